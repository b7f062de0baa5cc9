import { createPublicKey, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BundleFeature } from '../core/compile.js';
import { BundleVerificationError, olderRelease, verifyEnvelope, type VerifiedBundle } from './envelope.js';
import { ActiveBundle, type Assignment, type ModelChoice, type RenderOptions, type RenderResult, type Unit } from './_active.js';
import { cacheFile, readCache, writeCache } from './_cache.js';
import { Emitter } from './_emitter.js';
import { DEFAULT_MAX_BUNDLE_BYTES, openSource, type Source } from './_source.js';
import { completeUsage, usageWriter, type LogUsageOptions, type UsageInput, type UsageRecord, type UsageSink, type UsageWriter } from './_usage.js';

export interface ClientOptions {
  /** `promptops serve` base URL (`https://…`), or the path / `file://` URL of an envelope file. */
  source: string;
  environment: string;
  /** Ed25519 public key (PEM or KeyObject) that bundles must be signed with. */
  publicKey: string | KeyObject;
  /** Folder for the last verified bundle (`<environment>.json`), used when the source is down at start. */
  cacheDir?: string;
  /** Interval polling: time between polls. Long-polling: base of the retry back-off. Default 30 s. */
  pollIntervalMs?: number;
  /** HTTP sources: seconds the server may hold a request until the release moves (`?wait=`); 0 polls every pollIntervalMs. Default 30. */
  longPollSeconds?: number;
  /** Emit `stale` when the source has failed for this long. Default 2 × pollIntervalMs. */
  staleAfterMs?: number;
  /** Longest wait between retries while the source fails. Default max(60 s, pollIntervalMs). */
  maxBackoffMs?: number;
  /** Time limit of one request, body included, on top of the long-poll wait. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * Largest envelope accepted, in bytes (decompressed; files too). A larger or endless body is cut
   * off at this size and refused. Default 32 MiB (see docs/runtime.md).
   */
  maxBundleBytes?: number;
  /** Bearer token for `promptops serve --token`. */
  token?: string;
  /** fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Where logUsage() writes: a JSON Lines file to append to, or a function. */
  usageLog?: UsageSink;
}

export interface ChangeEvent {
  revision: string;
  previous?: string;
  source: 'network' | 'cache';
  /** The signed release sequence number (absent for envelopes without a release statement). */
  seq?: number;
  /** The release is a rollback made by `promptops rollback` (signed). */
  rollback: boolean;
}

export interface StaleEvent {
  revision?: string;
  /** When the source started failing (ISO 8601). */
  since: string;
  error: Error;
}

export interface ClientEvents extends Record<string, unknown> {
  change: ChangeEvent;
  stale: StaleEvent;
  error: Error;
}

export interface ClientStatus {
  environment: string;
  revision?: string;
  /** Signed release sequence number of the active bundle (absent for envelopes without a release statement). */
  releaseSeq?: number;
  /** The active release is a rollback made by `promptops rollback`. */
  rollback?: boolean;
  /** Where the active bundle came from: the configured source, or the disk cache at start. */
  source?: 'network' | 'cache';
  /** When the source last confirmed the active bundle (or when the cache file was written), ISO 8601. */
  fetchedAt?: string;
  ageMs?: number;
  /** True once the source has failed for staleAfterMs; false again after the next success. */
  stale: boolean;
  lastError?: string;
}

type PollOutcome = 'changed' | 'unchanged' | 'failed';

/**
 * The runtime client: keeps the latest verified bundle of one environment in memory (and on disk),
 * renders its prompts and assigns experiment variants. Background failures never throw; they are
 * `error` events, and the last good bundle keeps serving.
 */
export class PromptOpsClient extends Emitter<ClientEvents> {
  readonly environment: string;
  private readonly publicKey: KeyObject;
  private readonly source: Source;
  private readonly cache?: { dir: string; file: string };
  private readonly pollIntervalMs: number;
  private readonly longPollSeconds: number;
  private readonly staleAfterMs: number;
  private readonly maxBackoffMs: number;
  private readonly usage?: UsageWriter;
  private readonly abort = new AbortController();
  private readonly started: Promise<void>;
  private readonly loopDone: Promise<void>;

  private active?: ActiveBundle;
  /** The newest verified release: the active one, or before the first activation the disk cache's. Never goes back. */
  private known?: Pick<VerifiedBundle, 'revision' | 'release'>;
  private origin?: 'network' | 'cache';
  private fetchedAt?: number;
  /**
   * ETag of the active bundle; never that of a refused one. A refused release is fetched again (with
   * back-off) rather than confirmed by a 304: a store may re-sign the same revision, keeping its ETag.
   */
  private etag?: string;
  private failures = 0;
  private failingSince?: number;
  private staleTimer?: NodeJS.Timeout;
  private stale = false;
  private lastError?: Error;
  /** Revision in the disk cache, so a source that re-sends the same bundle does not rewrite it. */
  private cachedRevision?: string;

  constructor(options: ClientOptions) {
    super();
    this.environment = options.environment;
    this.publicKey = typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
    this.pollIntervalMs = timerMs(options.pollIntervalMs ?? 30_000);
    this.staleAfterMs = timerMs(options.staleAfterMs ?? 2 * this.pollIntervalMs);
    this.maxBackoffMs = timerMs(options.maxBackoffMs ?? Math.max(60_000, this.pollIntervalMs));
    this.source = openSource({ source: options.source, environment: options.environment, token: options.token, fetch: options.fetch, requestTimeoutMs: options.requestTimeoutMs ?? 10_000, maxBytes: options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES });
    this.longPollSeconds = this.source.longPoll ? Math.min(Math.max(options.longPollSeconds ?? 30, 0), MAX_LONG_POLL_SECONDS) : 0;
    if (options.cacheDir) this.cache = { dir: options.cacheDir, file: cacheFile(options.cacheDir, options.environment) };
    if (options.usageLog) this.usage = usageWriter(options.usageLog, (error) => this.emit('error', error));
    this.started = this.start();
    // ready() hands out this promise; a client nobody awaits must not crash the process on rejection.
    this.started.catch(() => {});
    this.loopDone = this.started.then(
      () => this.loop(),
      () => this.loop(),
    );
  }

  /** Resolves once a verified bundle is active (from the source, or from the cache when the source is down). */
  ready(): Promise<void> {
    return this.started;
  }

  /**
   * Renders a prompt of the active bundle with its feature's model and params. With `unit`, the
   * feature's running experiment applies: the unit's variant decides prompt, model and params, and
   * the result names `experiment` and `variant`. Throws VariableError, RenderError or UnknownEntryError.
   */
  render(promptId: string, vars?: Record<string, unknown>, options?: RenderOptions): RenderResult {
    return this.current().render(promptId, vars, options);
  }

  /** The feature's assignment in this environment (model, params, fallbacks, prompts), or undefined. */
  feature(name: string): Readonly<BundleFeature> | undefined {
    return this.current().feature(name);
  }

  /**
   * The variant a unit gets in a running experiment (GrowthBook hash v2 on the experiment's seed),
   * or undefined when the experiment is not in the bundle, the unit has no id or falls outside coverage.
   * `unit` is the hash attribute's value, or the attributes to read `hash_attribute` from.
   */
  assign(experiment: string, unit: Unit): Assignment | undefined {
    return this.current().assign(experiment, unit);
  }

  /**
   * The models to try, in order, when the model `render()` returned fails: the feature's `fallbacks`
   * in this environment. Throws UnknownEntryError for a feature the bundle does not hold.
   */
  fallbacks(feature: string): ModelChoice[] {
    return this.current().fallbacks(feature);
  }

  status(): ClientStatus {
    const now = Date.now();
    return {
      environment: this.environment,
      revision: this.active?.revision,
      ...(this.active ? { releaseSeq: this.known?.release?.seq, rollback: this.known?.release?.action === 'rollback' } : {}),
      source: this.origin,
      fetchedAt: this.fetchedAt === undefined ? undefined : new Date(this.fetchedAt).toISOString(),
      ageMs: this.fetchedAt === undefined ? undefined : Math.max(0, now - this.fetchedAt),
      stale: this.stale,
      lastError: this.lastError?.message,
    };
  }

  /**
   * Completes a usage record (timestamp, request_id, environment, bundle revision, and what `rendered`
   * tells: prompt, version, feature, team, model, provider, experiment, variant) and hands it to
   * `usageLog`. Fields given in `record` win. Returns the record.
   */
  logUsage(record: UsageInput, options: LogUsageOptions = {}): UsageRecord {
    if (!this.usage) throw new Error('logUsage() needs the usageLog option (a file path or a function)');
    const feature = options.rendered?.feature;
    const complete = completeUsage(record, { ...options, environment: this.environment, revision: this.active?.revision, team: feature ? this.active?.feature(feature)?.team : undefined });
    this.usage.write(complete);
    return complete;
  }

  /** Stops polling and flushes the usage log. */
  async close(): Promise<void> {
    if (!this.abort.signal.aborted) this.abort.abort();
    clearTimeout(this.staleTimer);
    await this.loopDone;
    await this.usage?.close();
  }

  private current(): ActiveBundle {
    if (!this.active) throw new Error(`no bundle is active yet for "${this.environment}": await client.ready() first`);
    return this.active;
  }

  /**
   * First fetch without waiting; when it fails (or is older than the cache), the disk cache. The
   * cache is read first, so a restarted client never takes a release older than the one it had.
   */
  private async start(): Promise<void> {
    let cached: { text: string; writtenAt: number } | undefined;
    let cacheError: unknown;
    if (this.cache) {
      try {
        cached = await readCache(this.cache.file);
        if (cached) this.known = verifyEnvelope(cached.text, { publicKey: this.publicKey, environment: this.environment });
      } catch (error) {
        cacheError = error;
        cached = undefined;
      }
    }
    const outcome = await this.poll(0);
    if (this.active) return;
    const networkError = this.lastError;
    if (this.cache && !this.abort.signal.aborted) {
      try {
        if (cacheError) throw cacheError;
        if (cached) {
          const revision = this.activate(cached.text, 'cache');
          this.fetchedAt = cached.writtenAt;
          this.etag = `"${revision}"`;
          this.cachedRevision = revision;
          return;
        }
      } catch (error) {
        this.emit('error', new Error(`the cached bundle ${this.cache.file} is unusable: ${(error as Error).message}`, { cause: error }));
      }
    }
    const cacheNote = this.cache ? `no usable cache in ${this.cache.file}` : 'no cacheDir configured';
    throw new Error(`no verified bundle for "${this.environment}": ${outcome === 'failed' ? networkError?.message : `${this.source.location} gave nothing`}; ${cacheNote}`, { cause: networkError });
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      // After failures, a quick check first: a long-poll to a source that is back would only
      // answer (and clear `stale`) when the release moves or the wait runs out.
      const wait = this.failures > 0 ? 0 : this.longPollSeconds;
      const startedAt = Date.now();
      const outcome = await this.poll(wait);
      let delay: number;
      if (outcome === 'failed') {
        const base = this.longPollSeconds ? Math.min(1000, this.pollIntervalMs) : this.pollIntervalMs;
        delay = Math.min(this.maxBackoffMs, base * 2 ** Math.min(this.failures - 1, 30)) * (0.8 + Math.random() * 0.4);
      } else if (!this.longPollSeconds) {
        delay = this.pollIntervalMs;
      } else if (outcome === 'changed' || wait === 0 || Date.now() - startedAt >= (wait * 1000) / 2) {
        delay = 0;
      } else {
        // The server answered a long-poll at once without a change: it ignores ?wait=.
        delay = this.pollIntervalMs;
      }
      if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => {});
    }
  }

  private async poll(waitSeconds: number): Promise<PollOutcome> {
    try {
      const result = await this.source.fetch({ etag: this.etag, waitSeconds, signal: this.abort.signal });
      if (result.kind === 'unchanged') {
        this.origin = 'network';
        this.succeeded();
        return 'unchanged';
      }
      const previous = this.active?.revision;
      const revision = this.activate(result.body, 'network');
      this.etag = result.etag ?? `"${revision}"`;
      this.succeeded();
      if (this.cache && revision !== this.cachedRevision) this.writeCache(this.cache, revision, result.body);
      return revision === previous ? 'unchanged' : 'changed';
    } catch (error) {
      if (this.abort.signal.aborted) return 'failed';
      this.failed(error as Error);
      return 'failed';
    }
  }

  /** Verifies and switches to a bundle; throws (keeping the current one) when it does not verify. Returns its revision. */
  private activate(text: string, origin: 'network' | 'cache'): string {
    const verified = verifyEnvelope(text, { publicKey: this.publicKey, environment: this.environment });
    const older = olderRelease(verified, this.known);
    if (older) throw new BundleVerificationError('older-release', older);
    const previous = this.active?.revision;
    if (verified.revision !== previous) this.active = new ActiveBundle(verified.bundle, verified.revision, verified.manifest);
    // A re-signed envelope of the active revision may carry a newer release (or the first statement).
    if (verified.release || !this.known?.release) this.known = verified;
    this.origin = origin;
    this.fetchedAt = Date.now();
    if (verified.revision === previous) return previous;
    this.emit('change', { revision: verified.revision, ...(previous ? { previous } : {}), source: origin, ...(verified.release ? { seq: verified.release.seq } : {}), rollback: verified.release?.action === 'rollback' });
    return verified.revision;
  }

  private writeCache(cache: { dir: string; file: string }, revision: string, text: string): void {
    this.cachedRevision = revision;
    writeCache(cache.file, cache.dir, text).catch((error: Error) => {
      this.cachedRevision = undefined;
      this.emit('error', new Error(`cannot write the bundle cache ${cache.file}: ${error.message}`, { cause: error }));
    });
  }

  private succeeded(): void {
    this.fetchedAt = Date.now();
    this.failures = 0;
    this.failingSince = undefined;
    this.stale = false;
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
  }

  private failed(error: Error): void {
    this.failures++;
    this.lastError = error;
    this.emit('error', error);
    if (this.failingSince !== undefined) return;
    const since = (this.failingSince = Date.now());
    this.staleTimer = setTimeout(() => {
      this.stale = true;
      this.emit('stale', { revision: this.active?.revision, since: new Date(since).toISOString(), error: this.lastError ?? error });
    }, this.staleAfterMs);
    this.staleTimer.unref();
  }
}

/** The longest `?wait=` asked for: what `promptops serve` honours at most (its MAX_WAIT_SECONDS). */
const MAX_LONG_POLL_SECONDS = 3600;

/**
 * A duration Node's timers can hold: above 2^31 - 1 ms a timer fires after 1 ms (with only a process
 * warning), which would turn a long interval into a busy loop against the source.
 */
const timerMs = (ms: number) => Math.min(Math.max(ms, 0), 2 ** 31 - 1);

/** Creates a client and starts fetching; await `ready()` before rendering. */
export function createClient(options: ClientOptions): PromptOpsClient {
  return new PromptOpsClient(options);
}
