import type { RenderedMessage } from '../core/render.js';
import type { ModelParams } from '../core/schemas/_common.js';

/** One chat completion request, provider-neutral. */
export interface ChatRequest {
  /** `provider/model` from the catalog. */
  model: string;
  params: ModelParams;
  messages: RenderedMessage[];
}

export interface Usage {
  input: number;
  output: number;
  cachedInput?: number;
  reasoning?: number;
}

export interface ChatResponse {
  text: string;
  /** Provider-reported usage; undefined when the provider sent none. */
  usage?: Usage;
  latencyMs: number;
  finishReason?: string;
  /** Where the answer came from. */
  source: 'live' | 'cache' | 'offline';
}

export interface EmbeddingResponse {
  vectors: number[][];
  usage?: Usage;
  latencyMs: number;
  source: 'live' | 'cache' | 'offline';
}

/**
 * How a call failed. `unreachable` and `config` mean the provider cannot be used at all (exit 3);
 * `grader-offline` means the offline provider was asked to grade (`llm-rubric`), which `eval`
 * also cannot do (exit 3) but which `diff` reports as an errored test: offline diffs of a pull
 * request that adds a rubric must not fail as if a provider were down.
 */
export type CallErrorKind = 'unreachable' | 'config' | 'grader-offline' | 'timeout' | 'rate-limit' | 'http' | 'replay-miss' | 'invalid-response';

export class CallError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

/**
 * The kind a failed call gives its test. A provider still answering 5xx after the retries is down,
 * like one that cannot be connected to: `unreachable`, so the run exits 3 (infrastructure), not 1.
 */
export function testErrorKind(error: CallError): CallErrorKind {
  return error.kind === 'http' && error.status !== undefined && error.status >= 500 ? 'unreachable' : error.kind;
}

/**
 * Error kinds that mean the provider could not serve the run (down, unusable, out of time or quota
 * after the retries): infrastructure, exit 3 in `eval` and `diff` alike, never a failed check.
 */
export const PROVIDER_DOWN_KINDS: readonly string[] = ['unreachable', 'config', 'timeout', 'rate-limit'];

/** A model backend: the live OpenAI-compatible one or the offline one. */
export interface Provider {
  readonly name: 'live' | 'offline';
  chat(request: ChatRequest): Promise<ChatResponse>;
  embed(model: string, input: string[]): Promise<EmbeddingResponse>;
}
