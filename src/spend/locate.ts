import { sqlIdent, sqlString, type Db } from './duckdb.js';
import type { RejectedGroup } from './scan.js';
import type { UsageFile } from './sources.js';
import { ALL_SCALAR_FIELDS, checkedRowsSql, csvDialect, describeError, fieldsFor, rejectsName, USAGE_FIELDS, type UsageField } from './usage-sql.js';

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
 */
export async function locateRejected(db: Db, options: { files: readonly UsageFile[]; rejected: readonly RejectedGroup[]; columns?: ReadonlyMap<string, readonly string[]>; limit: number }): Promise<RejectedRow[]> {
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
         WHERE _error IS NOT NULL ORDER BY _line LIMIT ${options.limit}`,
      );
      for (const r of rows) {
        const at = file.format === 'parquet' ? { row: r._line } : { line: r._line };
        out.push({ file: file.display, ...at, code: r._error, message: describeError(r._error) });
      }
    }
  } finally {
    await db.run('RESET threads');
  }
  return out;
}

/** CSV lines DuckDB's reader could not split into columns (structural errors), from its reject tables. */
export async function csvStructuralRejects(db: Db, files: readonly UsageFile[]): Promise<RejectedRow[]> {
  const out: RejectedRow[] = [];
  for (const file of files.filter((f) => f.format === 'csv')) {
    const table = rejectsName('errors', file.path);
    const exists = await db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = ${sqlString(table)}`);
    if (exists.length === 0) continue;
    const rows = await db.all<{ line: number; error_type: string; error_message: string }>(
      `SELECT line, error_type, error_message FROM ${sqlIdent(table)} ORDER BY line`,
    );
    for (const r of rows) {
      out.push({ file: file.display, line: r.line, code: `csv:${r.error_type.toLowerCase()}`, message: `CSV ${r.error_type.toLowerCase().replaceAll('_', ' ')}: ${r.error_message.split('\n')[0]}` });
    }
  }
  return out;
}

function numberedSource(file: UsageFile, fields: readonly UsageField[], columns?: ReadonlyMap<string, readonly string[]>): string {
  const path = sqlString(file.path);
  const name = `${path} AS _file`;
  if (file.format === 'json') {
    const struct = `{${fields.map((f) => `${sqlString(f)}: ${sqlString(USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR')}`).join(', ')}}`;
    // Raw lines: blank lines come back as NULL and keep the numbering; a line that is not JSON
    // becomes a NULL record and so is reported as malformed, like in the scan.
    return `SELECT j.*, _line, ${name}
      FROM (SELECT try(json_transform(raw, ${sqlString(struct.replaceAll("'", '"'))})) AS j, _line
        FROM (SELECT row_number() OVER () AS _line, raw FROM read_csv(${path}, columns = {'raw': 'VARCHAR'}, header = false, delim = chr(30), quote = '', escape = '', strict_mode = false, max_line_size = 16777216, ignore_errors = true))
        WHERE raw IS NOT NULL AND trim(raw) <> '')`;
  }
  if (file.format === 'csv') {
    const header = new Set(columns?.get(file.path) ?? []);
    const cols = fields.map((f) => (header.has(f) ? sqlIdent(f) : `NULL AS ${sqlIdent(f)}`)).join(', ');
    // Line = data row + 1 for the header (a quoted field spanning lines shifts it).
    return `SELECT ${cols}, row_number() OVER () + 1 AS _line, ${name} FROM read_csv(${path}, ${csvDialect(file)}, ignore_errors = true)`;
  }
  const present = new Set(columns?.get(file.path) ?? []);
  const cols = fields.map((f) => (present.has(f) ? sqlIdent(f) : `NULL AS ${sqlIdent(f)}`)).join(', ');
  return `SELECT ${cols}, file_row_number AS _line, ${name} FROM read_parquet(${path}, union_by_name = true, file_row_number = true)`;
}
