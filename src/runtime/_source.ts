import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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
  /** Time limit of one request, on top of the long-poll wait. */
  requestTimeoutMs: number;
}

/** A source failed (network error, HTTP status, unreadable file); the client retries with back-off. */
export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

export function openSource(options: SourceOptions): Source {
  return /^https?:\/\//i.test(options.source) ? httpSource(options) : fileSource(options.source);
}

function httpSource({ source, environment, token, fetch = globalThis.fetch, requestTimeoutMs }: SourceOptions): Source {
  const url = `${source.replace(/\/+$/, '')}/v1/environments/${encodeURIComponent(environment)}/bundle`;
  return {
    location: url,
    longPoll: true,
    async fetch({ etag, waitSeconds, signal }) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (etag) headers['if-none-match'] = etag;
      if (token) headers.authorization = `Bearer ${token}`;
      const wait = etag && waitSeconds ? Math.max(1, Math.round(waitSeconds)) : 0;
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
      try {
        return { kind: 'bundle', body: await response.text(), etag: response.headers.get('etag') ?? undefined };
      } catch (error) {
        throw new SourceError(`GET ${url} failed while reading the bundle: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** A local envelope file (a sidecar's output, a mounted volume, tests), re-read on every poll. */
function fileSource(source: string): Source {
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  let lastHash: string | undefined;
  return {
    location: path,
    longPoll: false,
    async fetch({ signal }) {
      let body: string;
      try {
        body = await readFile(path, { encoding: 'utf8', signal });
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
