import pLimit from 'p-limit';
import { cacheKey, type CachedChat, type CachedEmbedding, type CacheRequest, type ResponseCache } from './cache.js';
import { CallError, type ChatRequest, type ChatResponse, type EmbeddingResponse, type Provider } from './types.js';

/**
 * `cache`: answer from the cache, call the provider on a miss and store live answers.
 * `record`: always call the provider and store. `replay`: cache only, a miss is an error.
 * `off`: never read or write the cache.
 */
export type CacheMode = 'cache' | 'record' | 'replay' | 'off';

export interface ModelClientOptions {
  provider: Provider;
  cache?: ResponseCache;
  mode: CacheMode;
  /** Most provider calls in flight at once (cache hits are not limited). */
  concurrency: number;
}

export interface ModelClient {
  readonly provider: Provider;
  readonly mode: CacheMode;
  chat(request: ChatRequest): Promise<ChatResponse>;
  embed(model: string, input: string[]): Promise<EmbeddingResponse>;
}

/** The provider behind the response cache, a concurrency limit and de-duplication of identical requests in flight. */
export function createModelClient(options: ModelClientOptions): ModelClient {
  const { provider, cache, mode } = options;
  const limit = pLimit(options.concurrency);
  const inFlight = new Map<string, Promise<unknown>>();

  async function through<C extends CachedChat | CachedEmbedding, R extends { source: string; latencyMs: number }>(
    request: CacheRequest,
    call: () => Promise<R>,
    fromCache: (c: C) => R,
    toCache: (r: R) => C,
  ): Promise<R> {
    const useCache = cache && mode !== 'off';
    const key = useCache ? cacheKey(request) : undefined;
    if (key && mode !== 'record') {
      const hit = await cache!.get<C>(key);
      if (hit) return fromCache(hit);
      if (mode === 'replay') {
        throw new CallError('replay-miss', `no recorded response for ${request.model} (key ${key.slice(0, 12)}, looked in ${cache!.pathOf(key)}); record it with "promptops eval --record", or run without --replay`);
      }
    }
    const pending = key ? (inFlight.get(key) as Promise<R> | undefined) : undefined;
    if (pending) return pending;
    const promise = limit(call).then(async (response) => {
      // Offline answers are cheap to recompute and must never pass for recorded ones.
      if (key && response.source === 'live') await cache!.set(key, request, toCache(response));
      return response;
    });
    if (key) {
      inFlight.set(key, promise);
      promise.then(() => inFlight.delete(key), () => inFlight.delete(key));
    }
    return promise;
  }

  return {
    provider,
    mode,
    chat: (request) =>
      through<CachedChat, ChatResponse>(
        { kind: 'chat', model: request.model, params: request.params, messages: request.messages },
        () => provider.chat(request),
        (c) => ({ ...c, source: 'cache' }),
        ({ text, usage, latencyMs, finishReason }) => ({ text, usage, latencyMs: Math.round(latencyMs), finishReason }),
      ),
    embed: (model, input) =>
      through<CachedEmbedding, EmbeddingResponse>(
        { kind: 'embedding', model, input },
        () => provider.embed(model, input),
        (c) => ({ ...c, source: 'cache' }),
        ({ vectors, usage, latencyMs }) => ({ vectors, usage, latencyMs: Math.round(latencyMs) }),
      ),
  };
}
