import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DbError } from './duckdb.js';
import type { UsageFile } from './sources.js';
import { isJsonLines, MAX_LINE_BYTES } from './usage-sql.js';

/**
 * Checks of the usage files that DuckDB's readers do not make, run in Node beside the scan.
 *
 * - gzip: DuckDB reads a truncated or corrupted `.gz` file without an error: it returns the rows
 *   it could inflate and ignores the gzip trailer (CRC-32 and length), so half a file gives half
 *   the calls and exit 0. Each gzip file is inflated once more here, in a stream that keeps
 *   nothing (constant memory, no rows parsed), and zlib checks every member's trailer.
 * - long lines: DuckDB's JSON reader (the fast path for JSON Lines) does not enforce
 *   `maximum_object_size`, so a line over the limit would be counted there and rejected by the
 *   line-by-line reader. A line longer than the limit holds a whole aligned block of half the
 *   limit without a line break, so a file whose every such block has one has no long line; a
 *   file with a block without one is read line by line, where the exact limit applies.
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

/** Alignment and size of the blocks that must each hold a line break (see above). */
const BLOCK = MAX_LINE_BYTES / 2;

export interface FileCheck {
  /** Files that cannot be read whole. */
  unreadable: UnreadableFile[];
  /** JSON Lines files that may have a line over the limit: to be read line by line. */
  longLines: Set<string>;
}

/** Checks every file concurrently (zlib inflates on libuv's threads). */
export async function checkUsageFiles(files: readonly UsageFile[]): Promise<FileCheck> {
  const unreadable: UnreadableFile[] = [];
  const longLines = new Set<string>();
  await Promise.all(
    files.map(async (f) => {
      const lines = isJsonLines(f);
      if (isGzip(f)) {
        const found = await inflateCheck(f.path, lines);
        if (found.problem) unreadable.push({ path: f.path, display: f.display, reason: found.problem });
        else if (found.blockWithoutBreak) longLines.add(f.path);
      } else if (lines && plainBlockWithoutBreak(f.path)) longLines.add(f.path);
    }),
  );
  unreadable.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { unreadable, longLines };
}

/** Inflates a gzip file to its end (discarding the data) and, for JSON Lines, looks at each block. */
async function inflateCheck(path: string, lines: boolean): Promise<{ problem?: string; blockWithoutBreak: boolean }> {
  const blocks = blockWatcher();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (lines) blocks.feed(chunk);
      done();
    },
  });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: 1 << 18 }), sink);
    return { blockWithoutBreak: blocks.found() };
  } catch (error) {
    return { problem: gzipReason(error as NodeJS.ErrnoException), blockWithoutBreak: false };
  }
}

function gzipReason(e: NodeJS.ErrnoException): string {
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) return 'the gzip stream ends early (truncated file)';
  if (e.code === 'Z_DATA_ERROR') return `corrupt gzip data (${e.message})`;
  return e.message;
}

/** Follows a stream of bytes: `found()` tells whether a whole aligned block had no line break. */
export function blockWatcher() {
  let offset = 0;
  // Whether the current block has had a line break yet.
  let seen = false;
  let missing = false;
  return {
    feed(chunk: Buffer) {
      let i = 0;
      while (i < chunk.length && !missing) {
        const blockEnd = BLOCK - (offset % BLOCK);
        const end = Math.min(chunk.length, i + blockEnd);
        if (!seen) {
          // Stops at the first break, a few hundred bytes in for a usage log.
          const lf = chunk.indexOf(0x0a, i);
          seen = lf !== -1 && lf < end;
        }
        offset += end - i;
        if (offset % BLOCK === 0) {
          if (!seen) missing = true;
          seen = false;
        }
        i = end;
      }
    },
    found: () => missing,
  };
}

/**
 * A plain file: reads the start of each aligned block, and the whole block only when its start has
 * no line break. Synchronous on purpose: ~10,000 reads of 4 KiB for 5 GB take 0.07 s from the page
 * cache, where as many promise round trips took 0.6 s, and the event loop has nothing else to do
 * meanwhile but wait for DuckDB.
 */
function plainBlockWithoutBreak(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const { size } = fstatSync(fd);
    const head = Buffer.alloc(4096);
    for (let start = 0; start + BLOCK <= size; start += BLOCK) {
      const n = readSync(fd, head, 0, head.length, start);
      if (head.subarray(0, n).includes(0x0a)) continue;
      const block = Buffer.alloc(BLOCK);
      const whole = readSync(fd, block, 0, BLOCK, start);
      if (!block.subarray(0, whole).includes(0x0a)) return true;
    }
    return false;
  } catch {
    // DuckDB reports a file it cannot read, with its own message.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
