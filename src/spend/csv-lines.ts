import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Physical line numbers of CSV records. DuckDB numbers CSV records, not lines: a quoted field
 * holding a line break makes one record span several lines, and every later number is short by
 * those breaks (both `row_number()` over the rows read and the `line` of its reject table).
 * This pass reads the file once more as bytes (the quote `"` and line ends are ASCII, so UTF-8
 * needs no decoding), follows the quoting, and keeps only the lines asked for: constant memory
 * beyond the answer.
 */
export interface CsvLineQuery {
  /** Rows as DuckDB's reader returns them, 1-based (blank lines and `rejected` records are not rows). */
  rows: readonly number[];
  /** Records DuckDB's reader rejected, numbered as its reject table does: the header is 1, a blank line counts. */
  rejected: readonly number[];
}

export interface CsvLines {
  /** Returned row → physical line where it starts. */
  rowLine: Map<number, number>;
  /** Rejected record → physical line where it starts. */
  recordLine: Map<number, number>;
}

export async function csvLines(path: string, query: CsvLineQuery): Promise<CsvLines> {
  const wantedRows = new Set(query.rows);
  const rejected = new Set(query.rejected);
  const rowLine = new Map<number, number>();
  const recordLine = new Map<number, number>();
  let line = 1;
  let record = 1;
  let start = 1;
  let returned = 0;
  let quoted = false;
  let content = false;
  const endRecord = () => {
    if (record > 1) {
      if (rejected.has(record)) recordLine.set(record, start);
      else if (content) {
        returned++;
        if (wantedRows.has(returned)) rowLine.set(returned, start);
      }
    }
    record++;
    start = line;
    content = false;
  };
  const input: Readable = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = /\.gz$/i.test(path) ? input.pipe(createGunzip()) : input;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a) {
        line++;
        if (!quoted) endRecord();
      } else if (b === 0x22) {
        quoted = !quoted;
        content = true;
      } else if (b !== 0x0d) content = true;
    }
  }
  if (content) endRecord();
  return { rowLine, recordLine };
}
