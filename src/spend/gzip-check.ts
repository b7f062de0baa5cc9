import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DbError } from './duckdb.js';
import type { UsageFile } from './sources.js';

/**
 * DuckDB reads a truncated or corrupted `.gz` file without an error: it returns the rows it could
 * inflate and ignores the gzip trailer (CRC-32 and length), so half a file gives half the calls
 * and exit 0. Each gzip file is therefore inflated once more here, in a stream that keeps nothing
 * (constant memory, no rows parsed), and zlib checks every member's CRC-32 and length.
 */

export interface UnreadableFile {
  /** Absolute path. */
  path: string;
  /** Path for messages. */
  display: string;
  /** What is wrong, from zlib or the file system. */
  reason: string;
}

export const isGzip = (file: UsageFile): boolean => /\.gz$/i.test(file.path);

/** Why the gzip file cannot be read whole, or undefined when every member inflates and matches its trailer. */
export async function gzipProblem(path: string): Promise<string | undefined> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: 1 << 18 }), discard);
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) return 'the gzip stream ends early (truncated file)';
    if (e.code === 'Z_DATA_ERROR') return `corrupt gzip data (${e.message})`;
    return e.message;
  }
}

/** The gzip files among `files` that cannot be read whole, checked concurrently. */
export async function unreadableGzipFiles(files: readonly UsageFile[]): Promise<UnreadableFile[]> {
  const checked = await Promise.all(files.filter(isGzip).map(async (f) => ({ path: f.path, display: f.display, reason: await gzipProblem(f.path) })));
  return checked.filter((c): c is UnreadableFile => c.reason !== undefined);
}

/**
 * Usage files that cannot be read whole: an infrastructure failure (exit 3, like DuckDB's own
 * read errors), never a partial count. `--skip-unreadable` turns it into a warning.
 */
export class UnreadableUsageError extends DbError {
  constructor(readonly files: readonly UnreadableFile[]) {
    super(
      `${files.map((f) => `${f.display}: ${f.reason}`).join('; ')}: no total is reported from part of a file; re-export or re-download ${files.length === 1 ? 'it' : 'them'}, or pass --skip-unreadable to report without ${files.length === 1 ? 'it' : 'them'}`,
      '',
    );
    this.name = 'UnreadableUsageError';
  }
}
