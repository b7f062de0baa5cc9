import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The `code` of a failed fs call (`ENOENT`, `EEXIST`, …). */
export const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

const TEMP_PREFIX = '.tmp-';

/** A unique temp name in `dir`: the same directory as the target, so link and rename never cross filesystems. */
function tempPath(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes the whole file and flushes it, so a name given to it later never points at partial content. */
async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a new or renamed directory entry durable. Windows cannot open directories, and NTFS journals the rename itself. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `dir` and its missing parents durably: a new directory is an entry in its parent, which needs flushing too. */
export async function ensureDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return;
  for (let created = dir; dirname(created) !== created; created = dirname(created)) {
    await syncDir(dirname(created));
    if (created === first) break;
  }
}

/**
 * Creates `path` holding `data` unless it already exists; returns false then. The content goes to a
 * synced temp file that is hard-linked into place: link(2) is atomic and fails with EEXIST instead of
 * replacing, so the name appears complete or not at all, and exactly one of racing creators wins.
 */
export async function createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const dir = dirname(path);
  const temp = tempPath(dir);
  await writeSynced(temp, data);
  try {
    await link(temp, path);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDir(dir);
  return true;
}

/** Replaces `path` with `data` by rename: readers see the old or the new content, never a mix. */
export async function replaceAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = tempPath(dir);
  await writeSynced(temp, data);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Directory entries, or none when the directory does not exist yet. */
export async function listIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return [];
    throw error;
  }
}

/** A temp file this old belongs to a writer that was killed (a write takes milliseconds); any host may remove it. */
export const ABANDONED_MS = 10 * 60_000;

/** Removes temp files left behind by killed writers; they are never read, only clutter. */
export async function sweepTemps(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await listIfExists(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > ABANDONED_MS) await unlink(path).catch(() => undefined);
  }
}
