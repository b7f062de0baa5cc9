import OpenAI from 'openai';
import type { Catalog } from '../../core/catalog/catalog.js';
import { redact, redactKnown } from '../../core/redact.js';
import { CallError, type ChatRequest, type ChatResponse, type EmbeddingResponse, type Provider, type Usage } from '../types.js';

export interface LiveProviderOptions {
  catalog: Catalog;
  /** Environment variables: API keys (by the names the catalog gives) and base URL overrides. */
  env: Record<string, string | undefined>;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries on 408/409/429/5xx, connection errors and timeouts, with exponential backoff and jitter, honouring `Retry-After`. */
  retries: number;
}

/** `PROMPTOPS_<PROVIDER>_BASE_URL` points one provider at a proxy (LiteLLM), a local server or a recorder. */
export const baseUrlEnv = (provider: string) => `PROMPTOPS_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;

/**
 * Chat completions and embeddings over any OpenAI-compatible endpoint (OpenAI, Azure, Anthropic's and
 * Google's compatibility endpoints, vLLM, Ollama, LiteLLM, GitHub Models) through the official SDK,
 * whose retry loop already does backoff with jitter and honours `Retry-After`/`retry-after-ms`.
 */
export function createLiveProvider(options: LiveProviderOptions): Provider {
  const clients = new Map<string, OpenAI>();

  function clientFor(ref: string): { client: OpenAI; model: string; type?: string } {
    const slash = ref.indexOf('/');
    const providerId = ref.slice(0, slash);
    const provider = options.catalog.providers[providerId];
    if (!provider) throw new CallError('config', `provider "${providerId}" is not in the model catalog; add it under providers: in features/_models.yaml`);
    let client = clients.get(providerId);
    if (!client) {
      const keyEnv = provider.api_key_env;
      const apiKey = keyEnv ? options.env[keyEnv] : undefined;
      if (keyEnv && !apiKey) throw new CallError('config', `environment variable ${keyEnv} (API key of provider "${providerId}") is not set; export it, or run with --replay or eval.provider: offline`);
      const baseURL = options.env[baseUrlEnv(providerId)] || provider.base_url;
      if (!baseURL) throw new CallError('config', `provider "${providerId}" has no base_url; set it in features/_models.yaml or ${baseUrlEnv(providerId)}`);
      // Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
      client = new OpenAI({ apiKey: apiKey ?? 'none', baseURL, timeout: options.timeoutMs, maxRetries: options.retries });
      clients.set(providerId, client);
    }
    return { client, model: ref.slice(slash + 1), type: provider.type };
  }

  // Provider error texts sometimes quote the key ("Incorrect API key provided: sk-ab***yz"), a proxy may
  // echo the Authorization header (base64 in `Basic …`, URL-encoded in a query): none reaches a log,
  // results file, recording or comment.
  const secrets = apiKeysOf(options.catalog, options.env);
  const toCallError = (error: unknown, ref: string) => {
    const e = callError(error, ref);
    return e instanceof CallError ? new CallError(e.kind, redact(e.message, { secrets }), e.status) : e;
  };

  return {
    name: 'live',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const { client, model, type } = clientFor(request.model);
      const started = performance.now();
      try {
        const completion = await client.chat.completions.create(chatBody(model, type, request));
        const choice = completion.choices?.[0];
        if (!choice) throw new CallError('invalid-response', `${request.model} answered without choices`);
        return {
          // Only the keys themselves: pattern-based masking would change answers that assertions judge.
          text: redactKnown(choice.message?.content ?? '', secrets),
          usage: usageOf(completion.usage),
          latencyMs: performance.now() - started,
          finishReason: choice.finish_reason ?? undefined,
          source: 'live',
        };
      } catch (error) {
        throw toCallError(error, request.model);
      }
    },
    async embed(ref: string, input: string[]): Promise<EmbeddingResponse> {
      const { client, model } = clientFor(ref);
      const started = performance.now();
      try {
        const response = await client.embeddings.create({ model, input });
        const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        if (vectors.length !== input.length) throw new CallError('invalid-response', `${ref} returned ${vectors.length} embeddings for ${input.length} inputs`);
        return { vectors, usage: response.usage ? { input: response.usage.prompt_tokens, output: 0 } : undefined, latencyMs: performance.now() - started, source: 'live' };
      } catch (error) {
        throw toCallError(error, ref);
      }
    },
  };
}

function chatBody(model: string, type: string | undefined, request: ChatRequest): OpenAI.ChatCompletionCreateParamsNonStreaming {
  const p = request.params;
  const body: OpenAI.ChatCompletionCreateParamsNonStreaming = { model, messages: request.messages };
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.top_p !== undefined) body.top_p = p.top_p;
  if (p.frequency_penalty !== undefined) body.frequency_penalty = p.frequency_penalty;
  if (p.presence_penalty !== undefined) body.presence_penalty = p.presence_penalty;
  if (p.seed !== undefined) body.seed = p.seed;
  if (p.stop !== undefined) body.stop = p.stop;
  if (p.reasoning_effort !== undefined) body.reasoning_effort = p.reasoning_effort;
  // OpenAI's reasoning models reject `max_tokens`; every other compatible server still expects it.
  if (p.max_tokens !== undefined) {
    if (type === 'openai' || type === 'azure') body.max_completion_tokens = p.max_tokens;
    else body.max_tokens = p.max_tokens;
  }
  const rf = p.response_format;
  if (rf?.type === 'json_object') body.response_format = { type: 'json_object' };
  if (rf?.type === 'json_schema' && rf.schema) {
    body.response_format = { type: 'json_schema', json_schema: { name: rf.name ?? 'output', schema: rf.schema, strict: rf.strict } };
  }
  return body;
}

function usageOf(usage: OpenAI.CompletionUsage | undefined | null): Usage | undefined {
  if (!usage || typeof usage.prompt_tokens !== 'number') return undefined;
  return {
    input: usage.prompt_tokens,
    output: usage.completion_tokens ?? 0,
    cachedInput: usage.prompt_tokens_details?.cached_tokens ?? undefined,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? undefined,
  };
}

function callError(error: unknown, ref: string): Error {
  if (error instanceof CallError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new CallError('timeout', `${ref}: request timed out (after retries)`);
  if (error instanceof OpenAI.APIConnectionError) {
    // fetch wraps the socket error: APIConnectionError → TypeError('fetch failed') → the system error with its code.
    let cause: unknown = error;
    let code: string | undefined;
    for (let depth = 0; cause && depth < 4 && !code; depth++) {
      code = (cause as { code?: string }).code;
      cause = (cause as { cause?: unknown }).cause;
    }
    return new CallError('unreachable', `${ref}: cannot reach the provider (${code ?? error.message})`);
  }
  if (error instanceof OpenAI.APIError) {
    const kind = error.status === 429 ? 'rate-limit' : error.status === 401 || error.status === 403 ? 'config' : 'http';
    // error.message carries the provider's own text; it never contains the key.
    // The SDK's message starts with the status already ("429 Rate limit…").
    const text = error.message.startsWith(String(error.status)) ? error.message : `${error.status} ${error.message}`;
    return new CallError(kind, `${ref}: HTTP ${text}`, error.status);
  }
  return error as Error;
}

/**
 * The API keys of the catalog's providers that the environment sets: the secrets eval redacts wherever
 * it writes. Shorter values are placeholders for local servers ("ollama", "none"), and masking them
 * would garble answers.
 */
export function apiKeysOf(catalog: Catalog, env: Record<string, string | undefined>): string[] {
  return Object.values(catalog.providers).flatMap((p) => {
    const key = p.api_key_env ? env[p.api_key_env] : undefined;
    return key && key.length >= 8 ? [key] : [];
  });
}
