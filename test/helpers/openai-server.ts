import { setMaxListeners } from 'node:events';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A local OpenAI-compatible HTTP server: the only stand-in tests and benchmarks use for the real LLM API.
 * Only `node:http`, so it behaves like a real remote (real sockets, keep-alive, headers) for the `openai` SDK.
 */

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  [k: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface Reply {
  /** Assistant message text (default 'ok'); for an error status, the error message. */
  content?: string;
  /** HTTP status; anything but 200 sends an OpenAI-style error body `{error: {message, type, param, code}}`. */
  status?: number;
  /** Extra response headers, e.g. `{'retry-after': '1'}`. */
  headers?: Record<string, string>;
  /** Wait this long before answering; replaces the server's `latencyMs` for this answer. */
  delayMs?: number;
  /** Never answer; the request ends only when the client gives up or the server closes. */
  hang?: boolean;
  /** Token usage to report; `null` omits the `usage` field. Default: estimated from character counts. */
  usage?: Usage | null;
}

export interface ChatContext {
  /** 1-based count of chat requests seen so far. */
  n: number;
  /** How many chat requests so far had exactly this body: 1 for the first, 2 for the first retry, ... */
  attempt: number;
  headers: IncomingHttpHeaders;
}

export interface ServerOptions {
  /** Decides the reply to each chat completion. Default: `{content: 'ok'}`. */
  chat?: (body: ChatRequestBody, ctx: ChatContext) => Reply | Promise<Reply>;
  /**
   * Embeddings. Default: a deterministic 64-dim unit vector per input from its bag of lowercase words.
   * Returning a Reply instead sends that error (status != 200), or the default vectors with its delay/headers.
   */
  embed?: (input: string[], body: Record<string, unknown>) => number[][] | Reply;
  /** Latency added to every answer (ms) unless the Reply sets `delayMs`. */
  latencyMs?: number;
}

export interface RecordedRequest {
  path: string;
  body: any;
  /** `performance.now()` when the request arrived. */
  at: number;
  headers: IncomingHttpHeaders;
}

export interface OpenAIServer {
  /** Base URL including `/v1`, ready for `new OpenAI({ baseURL })`. */
  url: string;
  /** Every request received, in arrival order; only the last MAX_RECORDED_REQUESTS are kept. */
  requests: RecordedRequest[];
  /** Stops listening and destroys open sockets, so hanging requests end too. */
  close(): Promise<void>;
}

/** Benchmarks send many requests; bounding the log keeps memory flat while tests still see everything. */
export const MAX_RECORDED_REQUESTS = 10_000;

export const EMBEDDING_DIMENSIONS = 64;

export async function startOpenAIServer(options: ServerOptions = {}): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  // Aborted on close so delayed answers stop waiting and don't keep the process alive.
  const closing = new AbortController();
  // Every delayed answer listens on it; hundreds in flight is normal here, not a leak.
  setMaxListeners(0, closing.signal);
  const attempts = new Map<string, number>();
  let chatCount = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    requests.push({ path, body, at, headers: req.headers });
    if (requests.length > MAX_RECORDED_REQUESTS) requests.shift();

    let reply: Reply;
    let payload: (() => unknown) | undefined;
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      if (!isChatBody(body)) {
        reply = { status: 400, content: 'Expected a JSON body with model and messages.' };
      } else if (body.stream === true) {
        // Better a clear failure than a JSON answer the SDK would misread as a stream.
        reply = { status: 400, content: 'Streaming is not supported by the test server.' };
      } else {
        chatCount += 1;
        const key = createHash('sha1').update(raw).digest('hex');
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        reply = await (options.chat ?? (() => ({})))(body, { n: chatCount, attempt, headers: req.headers });
        payload = () => chatCompletion(body, reply);
      }
    } else if (req.method === 'POST' && path === '/v1/embeddings') {
      const input = embeddingInput(body);
      if (input === undefined) {
        reply = { status: 400, content: 'Expected a JSON body with input.' };
      } else {
        const custom = options.embed?.(input, body);
        reply = custom === undefined || Array.isArray(custom) ? {} : custom;
        const vectors = Array.isArray(custom) ? custom : input.map(embedText);
        payload = () => embeddingList(input, vectors, body);
      }
    } else {
      reply = { status: 404, content: `Invalid URL (${req.method} ${path})` };
    }

    if (reply.hang) return;
    const delay = reply.delayMs ?? options.latencyMs ?? 0;
    if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
    const status = reply.status ?? 200;
    const answer = status === 200 && payload ? payload() : errorBody(status, reply.content);
    send(res, status, answer, reply.headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      // A throwing `chat`/`embed` callback is a test bug: answer 500 so it shows up rather than hanging.
      send(res, 500, errorBody(500, error instanceof Error ? error.message : String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive and hanging connections would otherwise hold close() open forever.
        server.closeAllConnections();
      }),
  };
}

/** A deterministic unit vector: each word adds its own pseudo-random direction, so shared words raise the cosine. */
export function embedText(text: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const bytes = createHash('shake256', { outputLength: EMBEDDING_DIMENSIONS }).update(word).digest();
    bytes.forEach((byte, i) => (vector[i] = (vector[i] ?? 0) + (byte - 127.5) / 127.5));
  }
  const norm = Math.hypot(...vector);
  // Text without words still needs a valid (non-zero) vector.
  return norm === 0 ? vector.map((_, i) => (i === 0 ? 1 : 0)) : vector.map((x) => x / norm);
}

function chatCompletion(body: ChatRequestBody, reply: Reply): Record<string, unknown> {
  const content = reply.content ?? 'ok';
  const promptChars = body.messages.reduce((sum, m) => sum + textOf(m.content).length, 0);
  const usage = reply.usage === undefined ? { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(content.length / 4) } : reply.usage;
  return {
    id: `chatcmpl-${createHash('sha1').update(`${Date.now()}:${Math.random()}`).digest('hex').slice(0, 24)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    ...(usage === null ? {} : { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }),
  };
}

function embeddingList(input: string[], vectors: number[][], body: Record<string, unknown>): Record<string, unknown> {
  // The SDK asks for base64 (packed little-endian float32) unless the caller chose an encoding itself.
  const base64 = body.encoding_format === 'base64';
  const promptTokens = input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    })),
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** OpenAI's error `type`/`code` per status, so SDK error classes and messages look like the real thing. */
function errorBody(status: number, message?: string): Record<string, unknown> {
  const [type, code] =
    status === 429 ? ['requests', 'rate_limit_exceeded'] : status === 401 ? ['invalid_request_error', 'invalid_api_key'] : status >= 500 ? ['server_error', null] : ['invalid_request_error', null];
  return { error: { message: message ?? `Test server error (HTTP ${status})`, type, param: null, code } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // The client may have hung up (timeout, abort) while we were waiting.
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isChatBody(body: unknown): body is ChatRequestBody {
  return typeof body === 'object' && body !== null && typeof (body as ChatRequestBody).model === 'string' && Array.isArray((body as ChatRequestBody).messages);
}

/** `input` may be a string, a list of strings, or token arrays; tokens are treated as text so they still embed. */
function embeddingInput(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const input = (body as { input?: unknown }).input;
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return undefined;
  if (input.every((item) => typeof item === 'number')) return [input.join(' ')];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** Message content may also be an array of parts; count the text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}
