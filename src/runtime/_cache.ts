import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { pathInside } from '../core/path-inside.js';

/** `cacheDir/<environment>.json`: the last verified envelope, byte for byte as received. */
export const cacheFile = (cacheDir: string, environment: string): string => pathInside(cacheDir, `${encodeURIComponent(environment)}.json`);

/** The cached envelope and when it was written, or undefined when there is none. */
export async function readCache(file: string): Promise<{ text: string; writtenAt: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { text, writtenAt: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written cache. */
export async function writeCache(file: string, dir: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
