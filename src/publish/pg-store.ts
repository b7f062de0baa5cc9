import pg from 'pg';
import { redact } from '../core/redact.js';
import { passwordOf } from '../core/store-url.js';
import { waitForChange } from './_wait.js';
import { ConflictError, CorruptStoreError, StoreUnavailableError, type Release, type ReleaseRequest, type Store } from './store.js';

export interface PgStoreOptions {
  /** `postgres://user[:password]@host[:port]/db`; without a password, `PGPASSWORD` (and the other PG* variables) apply. */
  url: string;
  /** Give up connecting after this long (default 5 s): an outage must fail the publish, not hang it. */
  connectionTimeoutMillis?: number;
}

/** Tables live in their own schema, so the store can share a database with anything else. */
export const SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS promptops;
CREATE TABLE IF NOT EXISTS promptops.bundles (
  revision    text PRIMARY KEY,
  environment text NOT NULL,
  bytes       bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS promptops.releases (
  environment  text NOT NULL,
  seq          integer NOT NULL CHECK (seq > 0),
  revision     text NOT NULL REFERENCES promptops.bundles (revision),
  "commit"     text,
  committed_at text,
  released_at  timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL CHECK (action IN ('publish', 'rollback')),
  previous     text,
  PRIMARY KEY (environment, seq)
);`;

const CHANNEL = 'promptops_release';
const COLUMNS = 'environment, seq, revision, "commit", committed_at, released_at, actor, action, previous';
const LATEST = `SELECT ${COLUMNS} FROM promptops.releases WHERE environment = $1 ORDER BY seq DESC LIMIT 1`;

interface ReleaseRow {
  environment: string; seq: number; revision: string; commit: string | null; committed_at: string | null;
  released_at: Date; actor: string; action: Release['action']; previous: string | null;
}

/**
 * The `postgres://` store. The current release of an environment is its highest `seq`; a release
 * inserts `expectedSeq + 1`, and the primary key lets only one of racing publishers have it. The
 * same transaction sends `NOTIFY promptops_release, '<environment>'`, delivered on commit.
 */
export function createPgStore(options: PgStoreOptions): Store {
  const url = redact(options.url);
  const secrets = [passwordOf(options.url), process.env.PGPASSWORD];
  const config = { connectionString: options.url, connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000, application_name: 'promptops' };
  const pool = new pg.Pool(config);
  // A pooled idle connection that dies (server restart) reports here; the pool replaces it on the next checkout.
  pool.on('error', () => undefined);
  const closing = new AbortController();
  const waiters = new Map<string, Set<{ wake: () => void; fail: (error: unknown) => void }>>();
  let schema: Promise<void> | undefined;
  let listener: Promise<pg.Client> | undefined;

  const unavailable = (what: string, error: unknown) => {
    const e = error as Error & { code?: string; errors?: Error[] };
    // Node reports a refused dual-stack connect as an AggregateError with an empty message.
    let detail = e.message || e.errors?.map((inner) => inner.message).join('; ') || e.code || String(error);
    // pg's wording when the server asks for a password and none was given.
    if (/client password must be a string/.test(detail)) detail = 'the server asks for a password and none was given: set PGPASSWORD in the environment (never in store.url, which is committed)';
    return new StoreUnavailableError(`cannot ${what}: the PostgreSQL store ${url} is unavailable (${redact(detail, { secrets })})`, { cause: error });
  };

  const withClient = async <T>(what: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    if (closing.signal.aborted) throw unavailable(what, new Error('the store was closed'));
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailable(what, error);
    }
    // pg emits 'error' on a checked-out client whose connection drops between two queries, and the
    // pool listens only while a client is idle: without this listener that event would crash the
    // process (serve!). The drop still surfaces, as the next query's failure.
    const dropped = () => undefined;
    client.on('error', dropped);
    try {
      const result = await run(client);
      client.off('error', dropped);
      client.release();
      return result;
    } catch (error) {
      const lost = isConnectionError(error);
      client.off('error', dropped);
      client.release(lost ? (error as Error) : undefined);
      throw lost ? unavailable(what, error) : error;
    }
  };

  const transaction = async <T>(client: pg.PoolClient, run: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      const result = await run();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  };

  const ensureSchema = () => (schema ??= withClient('prepare the store tables', async (client) => {
    const { rows } = await client.query<{ ready: boolean }>(`SELECT to_regclass('promptops.releases') IS NOT NULL AS ready`);
    // Skipping DDL when the tables exist lets a role without CREATE rights use a prepared database.
    if (rows[0]?.ready) return;
    await transaction(client, async () => {
      // Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog; the lock makes first use serial.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('promptops.schema'))`);
      await client.query(SCHEMA_SQL);
    });
  }).catch((error: unknown) => {
    schema = undefined;
    throw error;
  }));

  const query = async <T>(what: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    try {
      await ensureSchema();
    } catch (error) {
      // Say what the caller was doing ("read the release history"), not the first-use preparation.
      throw error instanceof StoreUnavailableError ? unavailable(what, error.cause) : error;
    }
    return withClient(what, run);
  };

  const latest = async (client: pg.PoolClient, environment: string) => {
    const { rows } = await client.query<ReleaseRow>(LATEST, [environment]);
    return rows[0] && toRelease(rows[0]);
  };

  /** One LISTEN connection per store, shared by all waits; when it breaks, its waits fail and the next wait opens a new one. */
  const listen = (): Promise<pg.Client> => {
    if (listener) return listener;
    const client = new pg.Client(config);
    const drop = (error: unknown) => {
      if (listener !== attempt) return;
      listener = undefined;
      client.end().catch(() => undefined);
      for (const set of waiters.values()) for (const waiter of set) waiter.fail(unavailable('wait for a release', error));
    };
    client.on('notification', (message) => {
      for (const waiter of waiters.get(message.payload ?? '') ?? []) waiter.wake();
    });
    client.on('error', drop);
    client.on('end', () => drop(new Error('the LISTEN connection closed')));
    const attempt = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        return client;
      } catch (error) {
        drop(error);
        throw unavailable('wait for a release', error);
      }
    })();
    listener = attempt;
    return attempt;
  };

  const current = (environment: string) => query('read the current release', (client) => latest(client, environment));

  return {
    url,

    putBundle: (bundle) => query('store the bundle', async (client) => {
      const bytes = Buffer.from(bundle.bytes.buffer, bundle.bytes.byteOffset, bundle.bytes.byteLength);
      await client.query('INSERT INTO promptops.bundles (revision, environment, bytes) VALUES ($1, $2, $3) ON CONFLICT (revision) DO NOTHING', [bundle.revision, bundle.environment, bytes]);
    }),

    replaceBundle: (bundle, expected) => query('replace the bundle', async (client) => {
      const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const { rowCount } = await client.query('UPDATE promptops.bundles SET bytes = $3 WHERE revision = $1 AND environment = $2 AND bytes = $4', [bundle.revision, bundle.environment, toBuffer(bundle.bytes), toBuffer(expected)]);
      return rowCount === 1;
    }),

    getBundle: (revision) => query('read the bundle', async (client) => {
      const { rows } = await client.query<{ environment: string; bytes: Buffer }>('SELECT environment, bytes FROM promptops.bundles WHERE revision = $1', [revision]);
      return rows[0] && { revision, environment: rows[0].environment, bytes: rows[0].bytes };
    }),

    current,

    release: (request: ReleaseRequest) => query('release', (client) => transaction(client, async () => {
      const { environment, revision } = request;
      const { rows: bundles } = await client.query<{ environment: string }>('SELECT environment FROM promptops.bundles WHERE revision = $1', [revision]);
      if (!bundles[0]) throw new Error(`cannot release "${environment}": revision ${revision} is not in the store (store its bundle first)`);
      if (bundles[0].environment !== environment) throw new Error(`cannot release revision ${revision} to "${environment}": it is a bundle of "${bundles[0].environment}"`);
      const previous = await latest(client, environment);
      if ((previous?.seq ?? 0) !== request.expectedSeq) throw new ConflictError(environment, previous);
      // A racing publisher that inserted the same seq first makes this a no-op (after waiting for its commit): we lost.
      const { rows } = await client.query<ReleaseRow>(
        `INSERT INTO promptops.releases (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)
         ON CONFLICT (environment, seq) DO NOTHING RETURNING ${COLUMNS}`,
        [environment, request.expectedSeq + 1, revision, request.commit ?? null, request.committed_at ?? null, request.actor, request.action, previous?.revision ?? null],
      );
      if (!rows[0]) throw new ConflictError(environment, await latest(client, environment));
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, environment]);
      return toRelease(rows[0]);
    })),

    history: (environment, historyOptions = {}) => query('read the release history', async (client) => {
      const limit = historyOptions.limit === undefined ? null : Math.max(0, historyOptions.limit);
      const { rows } = await client.query<ReleaseRow>(`SELECT ${COLUMNS} FROM promptops.releases WHERE environment = $1 ORDER BY seq DESC LIMIT $2`, [environment, limit]);
      // Releases are numbered 1..n without gaps (the compare-and-set inserts n + 1): a gap means rows were removed by hand.
      const expected = (i: number) => rows[0]!.seq - i;
      const gap = rows.findIndex((row, i) => row.seq !== expected(i));
      const missing = gap >= 0 ? expected(gap) : rows.length && rows.length !== limit && rows.at(-1)!.seq !== 1 ? rows.at(-1)!.seq - 1 : undefined;
      if (missing !== undefined) throw new CorruptStoreError(`the release history of "${environment}" in ${url} lacks release #${missing} (rows of promptops.releases were deleted or changed by hand): restore them from a backup`);
      return rows.map(toRelease);
    }),

    environments: () => query('list environments', async (client) => {
      const { rows } = await client.query<{ environment: string }>('SELECT DISTINCT environment FROM promptops.releases ORDER BY environment');
      return rows.map((row) => row.environment);
    }),

    waitForRelease: (environment, since, timeoutMs, signal) => waitForChange({
      since, timeoutMs,
      signal: signal ? AbortSignal.any([signal, closing.signal]) : closing.signal,
      read: () => current(environment),
      watch: async (wake, fail) => {
        await ensureSchema();
        await listen();
        const waiter = { wake, fail };
        const set = waiters.get(environment) ?? new Set();
        waiters.set(environment, set.add(waiter));
        return () => {
          set.delete(waiter);
          if (!set.size) waiters.delete(environment);
        };
      },
    }),

    close: async () => {
      if (closing.signal.aborted) return;
      closing.abort(new StoreUnavailableError(`the PostgreSQL store ${url} was closed`));
      const client = await listener?.catch(() => undefined);
      listener = undefined;
      await client?.end().catch(() => undefined);
      await pool.end();
    },
  };
}

function toRelease(row: ReleaseRow): Release {
  return {
    environment: row.environment,
    revision: row.revision,
    ...(row.commit !== null ? { commit: row.commit } : {}),
    ...(row.committed_at !== null ? { committed_at: row.committed_at } : {}),
    released_at: row.released_at.toISOString(),
    actor: row.actor,
    action: row.action,
    seq: row.seq,
    ...(row.previous !== null ? { previous: row.previous } : {}),
  };
}

/** Errors meaning the server is gone or refuses us, as opposed to a bug in a query. */
function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // SQLSTATE classes 08 (connection), 28 (authorization), 3D (no such database), 53 (resources), 57P (shutdown); E…: socket errors.
  if (typeof code === 'string' && /^(08|28|3D|53|57P|E[A-Z]+$)/.test(code)) return true;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connection is closed|Client was closed|not queryable/i.test(message);
}
