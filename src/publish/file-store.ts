import { watch, type FSWatcher } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pathInside } from '../core/path-inside.js';
import { ABANDONED_MS, codeOf, createExclusive, ensureDir, listIfExists, readIfExists, replaceAtomic, sweepTemps } from './_fs.js';
import { waitForChange } from './_wait.js';
import { ConflictError, CorruptStoreError, releaseProblem, StoreUnavailableError, type Release, type ReleaseRequest, type Store, type StoredBundle } from './store.js';

export interface FileStoreOptions {
  dir: string;
}

/** Environment names and revisions become file names: no separators, no leading dot. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const RECORD = /^(\d{10})\.json$/;
const POLL_MS = 250;

/**
 * The `file://` store. Layout under `dir`:
 * - `bundles/<environment>/<revision>.json`: the bundle bytes, created once and replaced only by a
 *   re-sign (`replaceBundle`, under `<revision>.json.lock`);
 * - `environments/<environment>/history/<seq>.json`: one release per file. Creating record N+1 by
 *   link(2) is the compare-and-set, and the history is the source of truth;
 * - `environments/<environment>/current.json`: a copy of the latest record, so reading the current
 *   release is one read; it may lag (a publisher killed after linking its record), so readers
 *   check for later records.
 * Every file is written to a synced temp file and linked or renamed into place, so a writer
 * killed at any point leaves the previous state or the new one.
 */
export function createFileStore(options: FileStoreOptions): Store {
  const root = resolve(options.dir);
  const bundlesDir = join(root, 'bundles');
  const environmentsDir = join(root, 'environments');
  const envDir = (environment: string) => pathInside(environmentsDir, checkName('environment', environment));
  const historyDir = (environment: string) => join(envDir(environment), 'history');
  const recordPath = (environment: string, seq: number) => join(historyDir(environment), `${String(seq).padStart(10, '0')}.json`);
  const pointerPath = (environment: string) => join(envDir(environment), 'current.json');
  const swept = new Set<string>();
  const closing = new AbortController();

  /** Turns fs failures (unwritable, not a directory, disk full, …) into the store-outage error. */
  const guard = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (/^E[A-Z]+$/.test(codeOf(error) ?? '')) {
        throw new StoreUnavailableError(`cannot ${what}: the file store ${root} is not usable (${(error as Error).message})`, { cause: error });
      }
      throw error;
    }
  };

  const readRecord = async (path: string, seq?: number): Promise<Release | undefined> => {
    const bytes = await readIfExists(path);
    if (!bytes) return undefined;
    let problem: string | undefined;
    let release: Release | undefined;
    try {
      release = JSON.parse(bytes.toString('utf8')) as Release;
      problem = releaseProblem(release) ?? (seq !== undefined && release.seq !== seq ? `"seq" is ${release.seq} in the record of release #${seq}` : undefined);
    } catch {
      problem = 'not JSON';
    }
    if (problem) throw new CorruptStoreError(`the release record ${path} is corrupt (${problem}): restore it from a backup (current.json next to the history holds a copy of the newest record, unless it is damaged too)`);
    return release;
  };
  const readHistory = (environment: string, seq: number) => readRecord(recordPath(environment, seq), seq);

  const latestListed = async (environment: string): Promise<Release | undefined> => {
    const seqs = (await listIfExists(historyDir(environment))).map((name) => RECORD.exec(name)?.[1]).filter((s) => s !== undefined).map(Number);
    return seqs.length ? readHistory(environment, Math.max(...seqs)) : undefined;
  };

  const readCurrent = async (environment: string): Promise<Release | undefined> => {
    // A pointer edited into garbage is only a lost shortcut: the history still says what is current.
    const pointer = await readRecord(pointerPath(environment)).catch((error: unknown) => {
      if (error instanceof CorruptStoreError) return undefined;
      throw error;
    });
    let release = pointer ?? await latestListed(environment);
    for (;;) {
      const next = await readHistory(environment, (release?.seq ?? 0) + 1);
      if (!next) return release;
      release = next;
    }
  };

  /** The environment a revision was stored for (bundles are grouped by environment on disk). */
  const bundleEnvironment = async (revision: string): Promise<string | undefined> => {
    if (!NAME.test(revision)) return undefined;
    for (const environment of await listIfExists(bundlesDir)) {
      if (!NAME.test(environment)) continue;
      const found = await stat(join(bundlesDir, environment, `${revision}.json`)).then(() => true, (error: unknown) => {
        // ENOTDIR: a stray file among the environment folders.
        if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return false;
        throw error;
      });
      if (found) return environment;
    }
    return undefined;
  };

  const sweepOnce = async (dir: string) => {
    if (swept.has(dir)) return;
    swept.add(dir);
    await sweepTemps(dir);
  };

  return {
    url: pathToFileURL(root).href,

    putBundle: (bundle) => guard('store the bundle', async () => {
      checkName('revision', bundle.revision);
      if (await bundleEnvironment(bundle.revision)) return;
      const dir = pathInside(bundlesDir, checkName('environment', bundle.environment));
      await ensureDir(dir);
      await sweepOnce(dir);
      await createExclusive(join(dir, `${bundle.revision}.json`), bundle.bytes);
    }),

    replaceBundle: (bundle, expected) => guard('replace the bundle', async () => {
      if (await bundleEnvironment(bundle.revision) !== bundle.environment) return false;
      const path = pathInside(bundlesDir, bundle.environment, `${bundle.revision}.json`);
      // The lock makes read-compare-rename one step for every replacer; one left by a killed replacer is taken over.
      const lock = `${path}.lock`;
      if (!(await createExclusive(lock, String(process.pid)))) {
        const info = await stat(lock).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs < ABANDONED_MS) return false;
        await unlink(lock).catch(() => undefined);
        if (!(await createExclusive(lock, String(process.pid)))) return false;
      }
      try {
        const current = await readIfExists(path);
        if (!current || !current.equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))) return false;
        await replaceAtomic(path, bundle.bytes);
        return true;
      } finally {
        await unlink(lock).catch(() => undefined);
      }
    }),

    getBundle: (revision) => guard('read the bundle', async () => {
      const environment = await bundleEnvironment(revision);
      // Bundles are never deleted, so the file found is still there.
      return environment ? { revision, environment, bytes: (await readIfExists(join(bundlesDir, environment, `${revision}.json`)))! } : undefined;
    }),

    current: (environment) => guard('read the current release', () => readCurrent(environment)),

    release: (request: ReleaseRequest) => guard('release', async () => {
      const { environment, revision } = request;
      const stored = await bundleEnvironment(revision);
      if (!stored) throw new Error(`cannot release "${environment}": revision ${revision} is not in the store (store its bundle first)`);
      if (stored !== environment) throw new Error(`cannot release revision ${revision} to "${environment}": it is a bundle of "${stored}"`);
      await ensureDir(historyDir(environment));
      await sweepOnce(historyDir(environment));
      const current = await readCurrent(environment);
      if ((current?.seq ?? 0) !== request.expectedSeq) throw new ConflictError(environment, current);
      const next: Release = {
        environment, revision,
        ...(request.commit ? { commit: request.commit } : {}),
        ...(request.committed_at ? { committed_at: request.committed_at } : {}),
        released_at: new Date().toISOString(),
        actor: request.actor,
        action: request.action,
        seq: request.expectedSeq + 1,
        ...(current ? { previous: current.revision } : {}),
      };
      const json = `${JSON.stringify(next)}\n`;
      // Only the creator of record N+1 gets past here, and it saw record N: the history has no gaps and no forks.
      if (!(await createExclusive(recordPath(environment, next.seq), json))) throw new ConflictError(environment, await readCurrent(environment));
      await replaceAtomic(pointerPath(environment), json);
      return next;
    }),

    history: (environment, historyOptions = {}) => guard('read the release history', async () => {
      const limit = historyOptions.limit ?? Number.POSITIVE_INFINITY;
      const current = await readCurrent(environment);
      if (!current || limit <= 0) return [];
      const releases = [current];
      for (let seq = current.seq - 1; seq >= 1 && releases.length < limit; seq--) {
        const release = await readHistory(environment, seq);
        if (!release) throw new CorruptStoreError(`the release history of "${environment}" in ${root} lacks release #${seq} (${recordPath(environment, seq)} was deleted by hand): restore it from a backup`);
        releases.push(release);
      }
      return releases;
    }),

    environments: () => guard('list environments', async () => {
      const names = (await listIfExists(environmentsDir)).filter((name) => NAME.test(name)).sort();
      const released = await Promise.all(names.map(async (name) => (await readCurrent(name)) !== undefined));
      return names.filter((_, i) => released[i]);
    }),

    waitForRelease: (environment, since, timeoutMs, signal) => waitForChange({
      since, timeoutMs,
      signal: signal ? AbortSignal.any([signal, closing.signal]) : closing.signal,
      read: () => guard('read the current release', () => readCurrent(environment)),
      // fs.watch misses events on some filesystems (network mounts, some containers): polling backs it up.
      watch: (wake) => {
        const timer = setInterval(wake, POLL_MS);
        let watcher: FSWatcher | undefined;
        for (const dir of [historyDir(environment), envDir(environment), environmentsDir, root]) {
          try {
            watcher = watch(dir, { persistent: false }, wake).on('error', () => undefined);
            break;
          } catch {
            continue;
          }
        }
        return () => {
          clearInterval(timer);
          watcher?.close();
        };
      },
    }),

    close: async () => {
      closing.abort(new StoreUnavailableError(`the file store ${root} was closed`));
    },
  };
}

function checkName(kind: string, name: string): string {
  if (!NAME.test(name)) throw new Error(`invalid ${kind} "${name}": use letters, digits, ".", "_" and "-" (not first)`);
  return name;
}
