/**
 * The runtime store contract (DESIGN §6): immutable bundles by revision, one release pointer per
 * environment moved by compare-and-set, and the history of every move. `file://` and
 * `postgres://` implement it; one contract test suite runs against both.
 */

/** A signed bundle as stored and served: the exact bytes are kept, never re-serialised. */
export interface StoredBundle {
  revision: string;
  environment: string;
  /** The envelope JSON (see src/runtime/envelope.ts), byte for byte as published. */
  bytes: Uint8Array;
}

/** Serialised as is by `releases --json`, `publish --json` and `GET /v1/environments/{env}/releases`, hence snake_case. */
export interface Release {
  environment: string;
  revision: string;
  /** Commit the bundle was compiled from (absent for uncommitted sources). */
  commit?: string;
  /** Committer date of `commit` (ISO 8601): orders releases by source history. */
  committed_at?: string;
  /** When the pointer moved (ISO 8601, store clock). */
  released_at: string;
  /** Who moved it: `GITHUB_ACTOR`, the OS user, or the `--actor` flag. */
  actor: string;
  action: 'publish' | 'rollback';
  /** Sequence number of this move in the environment's history, 1-based, no gaps. */
  seq: number;
  /** The revision the pointer moved from (absent for the first release). */
  previous?: string;
}

export interface ReleaseRequest {
  environment: string;
  revision: string;
  /** The sequence number the caller saw as current (0: no release yet). The move fails if another happened since. */
  expectedSeq: number;
  commit?: string;
  committed_at?: string;
  actor: string;
  action: 'publish' | 'rollback';
}

/** Lost a compare-and-set race: someone else moved the pointer since `expectedSeq`. */
export class ConflictError extends Error {
  constructor(readonly environment: string, readonly current: Release | undefined) {
    super(`the release of "${environment}" moved concurrently (now ${current ? `#${current.seq} ${current.revision.slice(0, 12)}` : 'none'}); retry`);
    this.name = 'ConflictError';
  }
}

/** The store cannot be reached or used (exit 3); nothing was changed. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A store record that cannot be read as what it should be (edited by hand, damaged). Like an outage,
 * the store cannot be used until it is repaired, so it is one (exit 3); the message names the record.
 */
export class CorruptStoreError extends StoreUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptStoreError';
  }
}

/** What is wrong with a value that should be a Release, or undefined when it is one. */
export function releaseProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const key of ['environment', 'revision', 'released_at', 'actor'] as const) {
    if (typeof r[key] !== 'string' || !r[key]) return `"${key}" is not a non-empty string`;
  }
  if (!Number.isInteger(r.seq) || (r.seq as number) < 1) return '"seq" is not a positive integer';
  if (r.action !== 'publish' && r.action !== 'rollback') return '"action" is not "publish" or "rollback"';
  for (const key of ['commit', 'committed_at', 'previous'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') return `"${key}" is not a string`;
  }
  return undefined;
}

export interface Store {
  /** `file:///abs/path` or `postgres://host/db` without credentials, for messages. */
  readonly url: string;
  /** Stores a bundle; a revision already stored is left as is (immutable), so publishing twice is a no-op. */
  putBundle(bundle: StoredBundle): Promise<void>;
  getBundle(revision: string): Promise<StoredBundle | undefined>;
  /**
   * Replaces the envelope of a stored revision, if the store still holds exactly `expected` for it
   * (compare-and-set); returns whether it did. The only change a stored revision ever sees: `publish`
   * re-signing a revision stored with a key the configured public key does not verify. The payload,
   * hence the revision, is the same; `putBundle` never replaces anything.
   */
  replaceBundle(bundle: StoredBundle, expected: Uint8Array): Promise<boolean>;
  /** The current release of an environment. */
  current(environment: string): Promise<Release | undefined>;
  /** Moves the pointer atomically if `expectedSeq` is still the current sequence; throws ConflictError otherwise. The bundle must be stored. */
  release(request: ReleaseRequest): Promise<Release>;
  /** Release history of an environment, newest first. */
  history(environment: string, options?: { limit?: number }): Promise<Release[]>;
  /** Environments with a release. */
  environments(): Promise<string[]>;
  /**
   * Resolves when the release of `environment` differs from `since` (a revision; or a release, then
   * any move counts, a re-sign of the same revision included), or after `timeoutMs` (then with the
   * unchanged release). PostgreSQL pushes through LISTEN/NOTIFY; the file store watches its pointer
   * file. `signal` aborts the wait.
   */
  waitForRelease(environment: string, since: string | Pick<Release, 'revision' | 'seq'> | undefined, timeoutMs: number, signal?: AbortSignal): Promise<Release | undefined>;
  close(): Promise<void>;
}
