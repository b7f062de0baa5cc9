import { csvLines } from './csv-lines.js';
import { sqlIdent, sqlString, type Db } from './duckdb.js';
import type { RejectedGroup } from './scan.js';
import type { UsageFile } from './sources.js';
import { ALL_SCALAR_FIELDS, checkedRowsSql, csvDialect, describeError, fieldsFor, isJsonLines, LINE_READER, NOT_BLANK, rejectsName, USAGE_FIELDS, type UsageField } from './usage-sql.js';

export interface RejectedRow {
  file: string;
  /** 1-based line in the file (JSON and CSV). */
  line?: number;
  /** 0-based row index (Parquet). */
  row?: number;
  code: string;
  message: string;
}

/**
 * Finds where the rejected rows of a scan are, for the files that had any: the scan itself only
 * counts them, because numbering lines would force a single-threaded read of every file. Here only
 * files with rejects are read again, on one thread so the row number is the line number.
 * `limit` caps the rows located per file (undefined: all of them).
 */
export async function locateRejected(db: Db, options: { files: readonly UsageFile[]; rejected: readonly RejectedGroup[]; columns?: ReadonlyMap<string, readonly string[]>; limit?: number }): Promise<RejectedRow[]> {
  const byPath = new Map(options.files.map((f) => [f.path, f]));
  const paths = [...new Set(options.rejected.map((r) => r.file))];
  const fields = fieldsFor(ALL_SCALAR_FIELDS);
  const out: RejectedRow[] = [];
  await db.run('SET threads = 1');
  try {
    for (const path of paths) {
      const file = byPath.get(path);
      if (!file) continue;
      const rows = await db.all<{ _line: number; _error: string }>(
        `SELECT _line, _error FROM (${checkedRowsSql({ files: [file], fields, source: numberedSource(file, fields, options.columns), passThrough: ['_line'] })})
         WHERE _error IS NOT NULL ORDER BY _line${options.limit === undefined ? '' : ` LIMIT ${options.limit}`}`,
      );
      // Lines the line reader could not return are missing from the numbering: put them back.
      const skipped = isJsonLines(file) ? await rejectedLines(db, locateRejects(file.path)) : [];
      // CSV rows are numbered by DuckDB's reader; their lines come from a pass that follows the quoting.
      const csv = file.format === 'csv' ? await csvLines(file.path, { rows: rows.map((r) => r._line), rejected: await rejectedLines(db, { errors: rejectsName('errors', file.path) }) }) : undefined;
      for (const r of rows) {
        const at = file.format === 'parquet' ? { row: r._line } : { line: csv ? (csv.rowLine.get(r._line) ?? r._line + 1) : lineAfterSkips(r._line, skipped) };
        out.push({ file: file.display, ...at, code: r._error, message: describeError(r._error) });
      }
    }
  } finally {
    await db.run('RESET threads');
  }
  return out;
}

/** The line of the `n`-th line returned when the (sorted) lines `skipped` were not returned. */
export function lineAfterSkips(n: number, skipped: readonly number[]): number {
  let line = n;
  for (const s of skipped) {
    if (s > line) break;
    line++;
  }
  return line;
}

const locateRejects = (path: string) => ({ scan: `locate_${rejectsName('scan', path)}`, errors: `locate_${rejectsName('errors', path)}` });

async function rejectedLines(db: Db, tables: { errors: string }): Promise<number[]> {
  const exists = await db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = ${sqlString(tables.errors)}`);
  if (exists.length === 0) return [];
  const rows = await db.all<{ line: number }>(`SELECT DISTINCT line FROM ${sqlIdent(tables.errors)} ORDER BY line`);
  return rows.map((r) => r.line);
}

/**
 * Lines DuckDB's CSV reader could not return, from the reject tables of the scan: CSV lines it
 * could not split into columns, and JSON Lines lines too long or not UTF-8.
 */
export async function structuralRejects(db: Db, files: readonly UsageFile[]): Promise<RejectedRow[]> {
  const out: RejectedRow[] = [];
  for (const file of files.filter((f) => f.format === 'csv' || isJsonLines(f))) {
    const table = rejectsName('errors', file.path);
    const exists = await db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = ${sqlString(table)}`);
    if (exists.length === 0) continue;
    const rows = await db.all<{ line: number; error_type: string; error_message: string }>(
      `SELECT line, any_value(error_type) AS error_type, any_value(error_message) AS error_message FROM ${sqlIdent(table)} GROUP BY line ORDER BY line`,
    );
    // DuckDB numbers CSV records, not lines (see csv-lines.ts).
    const csv = file.format === 'csv' && rows.length ? await csvLines(file.path, { rows: [], rejected: rows.map((r) => r.line) }) : undefined;
    for (const r of rows) {
      const type = r.error_type.toLowerCase();
      if (csv) {
        out.push({ file: file.display, line: csv.recordLine.get(r.line) ?? r.line, code: `csv:${type}`, message: `CSV ${type.replaceAll('_', ' ')}: ${r.error_message.split('\n')[0]}` });
      } else {
        const code = type.includes('line size') ? 'line:too-long' : type.includes('unicode') ? 'line:not-utf8' : `line:${type.replaceAll(/[ _]+/g, '-')}`;
        out.push({ file: file.display, line: r.line, code, message: describeError(code) });
      }
    }
  }
  return out;
}

function numberedSource(file: UsageFile, fields: readonly UsageField[], columns?: ReadonlyMap<string, readonly string[]>): string {
  const path = sqlString(file.path);
  const name = `${path} AS _file`;
  if (isJsonLines(file)) {
    const struct = JSON.stringify(Object.fromEntries(fields.map((f) => [f, USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR'])));
    const rejects = locateRejects(file.path);
    // The scan's line reader, numbered: blank lines come back as NULL and keep the numbering (then
    // are dropped, as in the scan); a line that is not JSON becomes a NULL record, malformed.
    return `SELECT j.*, _line, ${name}
      FROM (SELECT try(json_transform(line, ${sqlString(struct)})) AS j, _line
        FROM (SELECT row_number() OVER () AS _line, line FROM read_csv(${path}, ${LINE_READER}, store_rejects = true, rejects_scan = ${sqlString(rejects.scan)}, rejects_table = ${sqlString(rejects.errors)}))
        WHERE ${NOT_BLANK})`;
  }
  if (file.format === 'json') {
    // A JSON document: lines are only approximate (see docs/spend.md).
    const struct = `{${fields.map((f) => `${sqlString(f)}: ${sqlString(USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR')}`).join(', ')}}`;
    return `SELECT j.*, _line, ${name}
      FROM (SELECT try(json_transform(raw, ${sqlString(struct.replaceAll("'", '"'))})) AS j, _line
        FROM (SELECT row_number() OVER () AS _line, raw FROM read_csv(${path}, columns = {'raw': 'VARCHAR'}, header = false, delim = chr(30), quote = '', escape = '', strict_mode = false, max_line_size = 16777216, ignore_errors = true))
        WHERE raw IS NOT NULL AND trim(raw) <> '')`;
  }
  if (file.format === 'csv') {
    const header = new Set(columns?.get(file.path) ?? []);
    const cols = fields.map((f) => (header.has(f) ? sqlIdent(f) : `NULL AS ${sqlIdent(f)}`)).join(', ');
    // The row number as read; `csvLines` turns it into the line.
    return `SELECT ${cols}, row_number() OVER () AS _line, ${name} FROM read_csv(${path}, ${csvDialect(file)}, ignore_errors = true)`;
  }
  const present = new Set(columns?.get(file.path) ?? []);
  const cols = fields.map((f) => (present.has(f) ? sqlIdent(f) : `NULL AS ${sqlIdent(f)}`)).join(', ');
  return `SELECT ${cols}, file_row_number AS _line, ${name} FROM read_parquet(${path}, union_by_name = true, file_row_number = true)`;
}
