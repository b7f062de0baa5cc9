import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type FetchResult = { kind: 'unchanged' } | { kind: 'bundle'; body: string; etag?: string };

export interface FetchRequest {
  /** ETag of the last bundle seen (sent as If-None-Match). */
  etag?: string;
  /** Long-poll: ask the server to hold the request up to this many seconds until the release moves. */
  waitSeconds?: number;
  signal: AbortSignal;
}

/** Where envelopes come from: a `promptops serve` endpoint or a local file. */
export interface Source {
  /** For messages: the URL or path. */
  readonly location: string;
  /** Whether the source can hold a request until the release moves. */
  readonly longPoll: boolean;
  fetch(request: FetchRequest): Promise<FetchResult>;
}

export interface SourceOptions {
  source: string;
  environment: string;
  token?: string;
  fetch?: typeof globalThis.fetch;
  /** Time limit of one request, body included, on top of the long-poll wait. */
  requestTimeoutMs: number;
  /** Largest envelope read, in (decompressed) bytes. */
  maxBytes: number;
}

/**
 * Default limit of an envelope: 32 MiB. The largest real bundles (hundreds of prompts with tools and
 * schemas) are a few MiB of JSON; this leaves ample room, while a runaway or hostile body costs the
 * host at most this much memory (plus one chunk) instead of all of it.
 */
export const DEFAULT_MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

/** A body went past the size limit; reading stopped there. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the bundle is larger than the limit of ${limit.toLocaleString('en-US')} bytes (maxBundleBytes): refusing it`);
    this.name = 'TooLargeError';
  }
}

/**
 * Reads a byte stream up to `limit` bytes and stops (cancelling the stream) as soon as it goes
 * past: an endless, huge or decompression-bomb body never takes more than `limit` of memory.
 * Throws TooLargeError; stream errors (an abort, a reset) pass through.
 */
export async function readLimited(stream: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // for await…of calls the iterator's return() on break/throw, which cancels a web stream and destroys a node one.
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) throw new TooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A source failed (network error, HTTP status, unreadable file); the client retries with back-off. */
export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

export function openSource(options: SourceOptions): Source {
  return /^https?:\/\//i.test(options.source) ? httpSource(options) : fileSource(options.source, options.maxBytes);
}

function httpSource({ source, environment, token, fetch = globalThis.fetch, requestTimeoutMs, maxBytes }: SourceOptions): Source {
  const url = `${source.replace(/\/+$/, '')}/v1/environments/${encodeURIComponent(environment)}/bundle`;
  return {
    location: url,
    longPoll: true,
    async fetch({ etag, waitSeconds, signal }) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (etag) headers['if-none-match'] = etag;
      if (token) headers.authorization = `Bearer ${token}`;
      const wait = etag && waitSeconds ? Math.max(1, Math.round(waitSeconds)) : 0;
      // One deadline for the whole exchange: headers and body (a dripping body must not hold the poll forever).
      const timeout = AbortSignal.timeout(wait * 1000 + requestTimeoutMs);
      let response: Response;
      try {
        response = await fetch(wait ? `${url}?wait=${wait}` : url, { headers, signal: AbortSignal.any([signal, timeout]) });
      } catch (error) {
        const reason = timeout.aborted ? `no answer within ${wait * 1000 + requestTimeoutMs} ms` : ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
        throw new SourceError(`GET ${url} failed: ${reason}`, { cause: error });
      }
      if (response.status === 304) return { kind: 'unchanged' };
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new SourceError(`GET ${url} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
      }
      const declared = Number(response.headers.get('content-length'));
      // Content-Length counts encoded bytes; only an identity body can be refused before reading it.
      if (!response.headers.get('content-encoding') && declared > maxBytes) {
        await response.body?.cancel();
        throw new SourceError(`GET ${url}: ${new TooLargeError(maxBytes).message}`);
      }
      try {
        const body = response.body ? await readLimited(response.body, maxBytes) : Buffer.alloc(0);
        return { kind: 'bundle', body: body.toString('utf8'), etag: response.headers.get('etag') ?? undefined };
      } catch (error) {
        const reason = timeout.aborted ? `the body did not arrive within ${wait * 1000 + requestTimeoutMs} ms` : (error as Error).message;
        throw new SourceError(`GET ${url} failed while reading the bundle: ${reason}`, { cause: error });
      }
    },
  };
}

/** A local envelope file (a sidecar's output, a mounted volume, tests), re-read on every poll. */
function fileSource(source: string, maxBytes: number): Source {
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  let lastHash: string | undefined;
  return {
    location: path,
    longPoll: false,
    async fetch({ signal }) {
      let body: string;
      try {
        body = (await readLimited(createReadStream(path, { signal }), maxBytes)).toString('utf8');
      } catch (error) {
        throw new SourceError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      const hash = createHash('sha256').update(body).digest('hex');
      if (hash === lastHash) return { kind: 'unchanged' };
      lastHash = hash;
      return { kind: 'bundle', body, etag: `"${hash}"` };
    },
  };
}
