import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { redact } from '../core/redact.js';
import { CorruptStoreError, type Release, type Store } from './store.js';

export interface ServeOptions {
  store: Store;
  /** Required as `Authorization: Bearer <token>` on /v1/* when set. */
  token?: string;
  /** Longest `?wait=` honoured, in seconds (default 60, at most MAX_WAIT_SECONDS). */
  maxWaitSeconds?: number;
  /**
   * Memory for bundles that are no longer (or not yet) released, in bytes (default 64 MiB). The
   * released bundle of each environment is always kept, outside this budget, so the server can go
   * on serving it while the store is down.
   */
  cacheBytes?: number;
  log?: (line: string) => void;
}

export interface BundleServer {
  server: Server;
  /** Stops accepting, answers pending long-polls, stops watching the store. Does not close the store. */
  close(): Promise<void>;
}

/**
 * The longest long-poll a server holds: one hour. Proxies and load balancers cut idle connections
 * long before; and node's timers overflow past 2,147,483 s, which would answer every long-poll at once.
 */
export const MAX_WAIT_SECONDS = 3600;

/** A request this server cannot parse (bad percent-encoding, an unparsable target): 400. */
class BadRequestError extends Error {}

const REVISION = /^[0-9a-f]{64}$/;
const ENVIRONMENT = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/**
 * HTTP over a store (DESIGN §6). The current release of each environment is kept in memory and
 * refreshed by a watch on the store (LISTEN/NOTIFY or file watch), so conditional GETs and
 * long-polls never touch the store; bundles are immutable and cached by revision.
 */
export function createBundleServer(options: ServeOptions): BundleServer {
  const { store } = options;
  const maxWait = Math.min(Math.max(options.maxWaitSeconds ?? 60, 0), MAX_WAIT_SECONDS);
  const controller = new AbortController();
  const changes = new EventEmitter().setMaxListeners(0);
  const current = new Map<string, Promise<Release | undefined>>();
  /** Bytes of each environment's released bundle, by environment: never evicted. */
  const released = new Map<string, { revision: string; bytes: Uint8Array }>();
  const others = new LRUCache<string, Uint8Array>({ maxSize: Math.max(1, options.cacheBytes ?? 64 * 1024 * 1024), sizeCalculation: (bytes) => Math.max(1, bytes.byteLength) });
  let storeUp = true;

  const watch = (environment: string): Promise<Release | undefined> => {
    let known = current.get(environment);
    if (known) return known;
    known = store.current(environment).then(async (release) => {
      // Only released environments are watched: made-up names must not start watchers that never stop.
      if (release) {
        await keep(environment, release);
        void follow(environment, release);
      } else current.delete(environment);
      return release;
    });
    current.set(environment, known);
    // A failed first read is retried by the next request, not cached.
    known.catch(() => current.delete(environment));
    return known;
  };

  /** Loads the bytes of an environment's new release before it is announced, so they outlive a store outage. */
  async function keep(environment: string, release: Release): Promise<void> {
    // Every release move stores an envelope signed for it (a new seq; a rollback re-signs an older
    // revision), so its bytes are read from the store, past every cache.
    const bytes = (await store.getBundle(release.revision))?.bytes;
    if (!bytes) return;
    const before = released.get(environment);
    released.set(environment, { revision: release.revision, bytes });
    others.delete(release.revision);
    if (before && before.revision !== release.revision) others.set(before.revision, before.bytes);
  }

  async function follow(environment: string, initial: Release | undefined): Promise<void> {
    let release = initial;
    let backoff = 250;
    while (!controller.signal.aborted) {
      try {
        const next = await store.waitForRelease(environment, release, 25_000, controller.signal);
        if (next && (next.revision !== release?.revision || next.seq !== release.seq)) {
          const resigned = next.revision === release?.revision;
          await keep(environment, next);
          release = next;
          current.set(environment, Promise.resolve(next));
          // Long-polls wait for another revision; a re-sign keeps the ETag (the revision), so it does not answer them.
          if (!resigned) changes.emit(environment, next);
        }
        storeUp = true;
        backoff = 250;
      } catch (error) {
        if (controller.signal.aborted) return;
        // The store is down: keep serving what we know, retry with back-off.
        storeUp = false;
        options.log?.(redact(`watch ${environment}: ${(error as Error).message}`));
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  const bundleBytes = async (revision: string): Promise<Uint8Array | undefined> => {
    for (const live of released.values()) if (live.revision === revision) return live.bytes;
    const cached = others.get(revision);
    if (cached) return cached;
    const stored = await store.getBundle(revision);
    if (stored) others.set(revision, stored.bytes);
    return stored?.bytes;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      storeUp = false;
      // A request URL may carry a token (`?access_token=`), a driver error the store URL: both are redacted.
      options.log?.(redact(`${req.method} ${req.url}: ${(error as Error).message}`));
      if (!res.headersSent) send(res, 503, { error: error instanceof CorruptStoreError ? 'corrupt store record' : 'store unavailable', detail: redact((error as Error).message) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    // The token is checked before anything of the request is parsed: only /healthz is open.
    const target = req.url ?? '/';
    if (target.split('?')[0] !== '/healthz' && !authorized(req, options.token)) return send(res, 401, { error: 'bearer token required' }, { 'www-authenticate': 'Bearer' });
    try {
      return await route(req, res, target);
    } catch (error) {
      if (error instanceof BadRequestError) return send(res, 400, { error: 'bad request', detail: error.message });
      throw error;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(target, 'http://localhost');
    } catch {
      throw new BadRequestError(`cannot parse the request target ${JSON.stringify(target.slice(0, 200))}`);
    }
    if (url.pathname === '/healthz') {
      try {
        await store.environments();
        storeUp = true;
      } catch {
        storeUp = false;
      }
      // Degraded still answers 200: this server keeps serving its releases, and a load balancer
      // that dropped every instance during a store outage would turn it into a full one.
      const serving = Object.fromEntries([...released].map(([environment, live]) => [environment, live.revision]));
      const status = storeUp ? 'ok' : released.size > 0 ? 'degraded' : 'unavailable';
      return send(res, status === 'unavailable' ? 503 : 200, { status, store: store.url, store_reachable: storeUp, serving }, { 'cache-control': 'no-store' });
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/v1\/bundles\/([^/]+)$/.exec(url.pathname))) {
      const revision = m[1]!;
      if (!REVISION.test(revision)) return send(res, 404, { error: 'not a revision' });
      if (etagMatches(req, revision)) return notModified(req, res, revision, true);
      const bytes = await bundleBytes(revision);
      if (!bytes) return send(res, 404, { error: `no bundle ${revision}` });
      return sendBundle(req, res, revision, bytes, true);
    }
    if ((m = /^\/v1\/environments\/([^/]+)\/bundle$/.exec(url.pathname))) {
      const environment = decodePath(m[1]!);
      if (!ENVIRONMENT.test(environment)) return send(res, 404, { error: 'not an environment name' });
      let release = await watch(environment);
      if (!release) return send(res, 404, { error: `no release for environment "${environment}"` });
      const wait = Math.min(Math.max(Number(url.searchParams.get('wait') ?? 0) || 0, 0), maxWait);
      if (etagMatches(req, release.revision) && wait > 0) release = await nextRelease(environment, release, wait, res);
      if (etagMatches(req, release.revision)) return notModified(req, res, release.revision, false);
      const bytes = await bundleBytes(release.revision);
      if (!bytes) return send(res, 503, { error: `the released bundle ${release.revision} is missing from the store` });
      return sendBundle(req, res, release.revision, bytes, false);
    }
    if ((m = /^\/v1\/environments\/([^/]+)\/releases$/.exec(url.pathname))) {
      const environment = decodePath(m[1]!);
      if (!ENVIRONMENT.test(environment)) return send(res, 404, { error: 'not an environment name' });
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 1000);
      return send(res, 200, { environment, releases: await store.history(environment, { limit }) }, { 'cache-control': 'no-cache' });
    }
    return send(res, 404, { error: 'not found' });
  }

  function nextRelease(environment: string, release: Release, seconds: number, res: ServerResponse): Promise<Release> {
    return new Promise((resolve) => {
      const done = (next: Release) => {
        clearTimeout(timer);
        changes.off(environment, done);
        controller.signal.removeEventListener('abort', stop);
        resolve(next);
      };
      const stop = () => done(release);
      const timer = setTimeout(stop, seconds * 1000);
      changes.on(environment, done);
      controller.signal.addEventListener('abort', stop);
      res.on('close', stop);
    });
  }

  return {
    server,
    close: async () => {
      controller.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`malformed percent-encoding in ${JSON.stringify(segment.slice(0, 200))}`);
  }
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const etag = (revision: string) => `"${revision}"`;

/**
 * Gzipped bodies, computed once per bundle and kept as long as its bytes are (released bundles, or
 * in the LRU cache). Bundles are JSON with much repeated template code: about a fifth of the size.
 */
const gzipped = new WeakMap<Uint8Array, Buffer>();
const gzipOf = (bytes: Uint8Array): Buffer => {
  let body = gzipped.get(bytes);
  if (!body) gzipped.set(bytes, (body = gzipSync(bytes, { level: 9 })));
  return body;
};

/** Whether `Accept-Encoding` allows gzip (`gzip` or `*`, without `q=0`). */
function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q) > 0);
  });
}

/**
 * The ETag of the representation sent: the revision, weak (`W/`) for the gzipped one, since its
 * bytes differ. Matching ignores `W/`, so a client may send back either.
 */
const representationEtag = (req: IncomingMessage, revision: string) => (acceptsGzip(req) ? `W/${etag(revision)}` : etag(revision));

function etagMatches(req: IncomingMessage, revision: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag(revision));
}

const cacheControl = (immutable: boolean) => (immutable ? 'public, max-age=31536000, immutable' : 'no-cache');

function notModified(req: IncomingMessage, res: ServerResponse, revision: string, immutable: boolean): void {
  res.writeHead(304, { etag: representationEtag(req, revision), 'cache-control': cacheControl(immutable), vary: 'accept-encoding' });
  res.end();
}

function sendBundle(req: IncomingMessage, res: ServerResponse, revision: string, bytes: Uint8Array, immutable: boolean): void {
  const gzip = acceptsGzip(req) ? gzipOf(bytes) : undefined;
  const body = gzip ?? bytes;
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.byteLength,
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    vary: 'accept-encoding',
    etag: representationEtag(req, revision),
    'cache-control': cacheControl(immutable),
    'x-promptops-revision': revision,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
