import { sqlIdent, sqlList, sqlString } from './duckdb.js';
import type { UsageFile } from './sources.js';

/**
 * SQL that reads usage log files (JSONL, JSON, CSV, Parquet, gzip, hive folders) and types and
 * checks every row inside DuckDB. A row that cannot be used is not dropped: it carries the reason
 * in `_error`, so it is counted (and located later by `locate.ts`).
 */

type Kind = 'string' | 'integer' | 'number' | 'timestamp' | 'json';

export const USAGE_FIELDS = {
  timestamp: 'timestamp',
  request_id: 'string',
  feature: 'string',
  environment: 'string',
  prompt_id: 'string',
  prompt_version: 'integer',
  bundle_revision: 'string',
  experiment: 'string',
  variant: 'string',
  provider: 'string',
  model: 'string',
  input_tokens: 'integer',
  output_tokens: 'integer',
  cached_input_tokens: 'integer',
  cache_write_tokens: 'integer',
  reasoning_tokens: 'integer',
  tokens_used: 'integer',
  cost_usd: 'number',
  latency_ms: 'number',
  status: 'string',
  user_id: 'string',
  organization_id: 'string',
  team: 'string',
  metadata: 'json',
} as const satisfies Record<string, Kind>;

export type UsageField = keyof typeof USAGE_FIELDS;

/** Every field but `metadata` (read only by the experiment report). */
export const ALL_SCALAR_FIELDS = Object.keys(USAGE_FIELDS).filter((f) => f !== 'metadata') as UsageField[];

export const REQUIRED_FIELDS = ['timestamp', 'request_id', 'feature', 'provider', 'model', 'status'] as const satisfies readonly UsageField[];

const STATUSES = ['success', 'error', 'timeout'];

const raw = (field: string) => sqlIdent(field);

/**
 * First stage: each field parsed once. Numbers go through DOUBLE so `7.5` tokens can be told from
 * `7`; the raw value is kept beside the parsed one only where "present but invalid" must be seen.
 */
function parsedColumns(fields: readonly UsageField[]): string[] {
  const columns: string[] = [];
  for (const field of fields) {
    const r = raw(field);
    const name = sqlIdent(field === 'timestamp' ? 'ts' : field);
    switch (USAGE_FIELDS[field] as Kind) {
      case 'timestamp':
        columns.push(`try_cast(${r} AS TIMESTAMPTZ) AS ${name}`, `${r} IS NOT NULL AS _has_ts`);
        break;
      case 'integer':
      case 'number':
        columns.push(`try_cast(${r} AS DOUBLE) AS ${name}`, `${r} IS NOT NULL AS ${sqlIdent(`_has_${field}`)}`);
        break;
      case 'json':
        columns.push(`${r}::JSON AS ${name}`);
        break;
      default:
        columns.push(`nullif(${r}::VARCHAR, '') AS ${name}`);
    }
  }
  return columns;
}

/**
 * Largest number a usage field may hold: 2^53 − 1, the last integer a double (DuckDB's DOUBLE,
 * JavaScript's number) holds exactly. Anything larger is not a real token count, version or cost,
 * and one such value would overflow the integer cast or swamp every total.
 */
export const MAX_USAGE_NUMBER = Number.MAX_SAFE_INTEGER;

/** A parsed number that a valid row may hold: finite (not NaN, not ±Infinity) and within range. */
const inRange = (d: string, min: number) => `(isfinite(${d}) AND ${d} >= ${min} AND ${d} <= ${MAX_USAGE_NUMBER})`;

const minOf = (field: UsageField) => (field === 'prompt_version' ? 1 : 0);

/**
 * Second stage: integers become BIGINT once checked. A value out of range is NULL here whatever
 * the row's verdict, so no NaN, Infinity or overflowing cast can reach a sum or fail the query.
 */
function typedColumns(fields: readonly UsageField[]): string[] {
  return fields.map((f) => {
    const name = sqlIdent(f === 'timestamp' ? 'ts' : f);
    const kind = USAGE_FIELDS[f];
    if (kind !== 'integer' && kind !== 'number') return name;
    return `CASE WHEN ${inRange(name, minOf(f))} THEN ${kind === 'integer' ? `${name}::BIGINT` : name} END AS ${name}`;
  });
}

/** The reason a row is rejected, as a short code (`missing:feature`), or NULL when it is valid. */
function errorExpression(fields: readonly UsageField[]): string {
  const col = (f: UsageField) => sqlIdent(f === 'timestamp' ? 'ts' : f);
  const present = (f: UsageField) => (f === 'timestamp' ? '_has_ts' : USAGE_FIELDS[f] === 'string' ? `${col(f)} IS NOT NULL` : sqlIdent(`_has_${f}`));
  const cases: string[] = [];
  cases.push(`WHEN NOT (${REQUIRED_FIELDS.map(present).join(' OR ')}) THEN 'malformed'`);
  for (const f of REQUIRED_FIELDS) cases.push(`WHEN NOT ${present(f)} THEN 'missing:${f}'`);
  cases.push(`WHEN ts IS NULL THEN 'invalid:timestamp'`);
  cases.push(`WHEN status NOT IN (${STATUSES.map(sqlString).join(', ')}) THEN 'invalid:status'`);
  for (const f of fields) {
    const kind = USAGE_FIELDS[f];
    if (kind !== 'integer' && kind !== 'number') continue;
    const d = col(f);
    const whole = kind === 'integer' ? ` OR ${d} <> floor(${d})` : '';
    cases.push(`WHEN ${present(f)} AND (${d} IS NULL OR NOT ${inRange(d, minOf(f))}${whole}) THEN 'invalid:${f}'`);
  }
  const has = (f: UsageField) => fields.includes(f);
  if (has('input_tokens') && has('cached_input_tokens') && has('cache_write_tokens')) {
    cases.push(`WHEN coalesce(cached_input_tokens, 0) + coalesce(cache_write_tokens, 0) > coalesce(input_tokens, 0) THEN 'inconsistent:cached_input_tokens'`);
  }
  if (has('output_tokens') && has('reasoning_tokens')) {
    cases.push(`WHEN coalesce(reasoning_tokens, 0) > coalesce(output_tokens, 0) THEN 'inconsistent:reasoning_tokens'`);
  }
  return `CASE ${cases.join('\n      ')} END`;
}

/** Human wording of the error codes of {@link errorExpression}. */
export function describeError(code: string): string {
  const [kind, field] = code.split(':');
  switch (kind) {
    case 'malformed':
      return 'not a usage record (malformed line, or none of the required fields)';
    case 'missing':
      return `missing required field "${field}"`;
    case 'invalid':
      if (field === 'timestamp') return 'invalid "timestamp" (expected an RFC 3339 date-time such as 2026-11-20T14:03:00Z)';
      if (field === 'status') return `invalid "status" (expected ${STATUSES.join(', ')})`;
      if (field === 'prompt_version') return `invalid "prompt_version" (expected an integer from 1 to 2^53 − 1)`;
      return `invalid "${field}" (expected ${USAGE_FIELDS[field as UsageField] === 'integer' ? 'an integer' : 'a number'} from 0 to 2^53 − 1)`;
    case 'inconsistent':
      return field === 'reasoning_tokens'
        ? '"reasoning_tokens" exceeds "output_tokens" (reasoning tokens are a subset of output tokens)'
        : '"cached_input_tokens" + "cache_write_tokens" exceed "input_tokens" (cached tokens are a subset of input tokens)';
    case 'csv':
      return `CSV line the reader could not split (${field})`;
    case 'line':
      if (field === 'too-long') return `line longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB (a usage record is a few hundred bytes)`;
      if (field === 'not-utf8') return 'line is not valid UTF-8';
      return `line the reader could not return (${field})`;
    default:
      return code;
  }
}

/** Fields the readers must extract: the required ones, the wanted ones, and all token counts when any is wanted (their checks need each other). */
export function fieldsFor(wanted: readonly UsageField[]): UsageField[] {
  const set = new Set<UsageField>([...REQUIRED_FIELDS, ...wanted]);
  if (set.has('input_tokens') || set.has('output_tokens')) {
    for (const f of ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'tokens_used'] as const) set.add(f);
  }
  return [...set];
}

/**
 * Longest line (JSON Lines) and object (JSON) accepted, in bytes. A longer line is rejected as
 * too long, with its location; a usage record is a few hundred bytes.
 */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Options of DuckDB's CSV reader that make it return each line of a file whole, as one VARCHAR
 * column `line`: no quoting, a delimiter that valid JSON cannot contain unescaped (ASCII record
 * separator), LF and CRLF line ends. A blank line comes back as NULL, so row N is line N when the
 * file is read on one thread. A line the reader cannot return (too long, not UTF-8) goes to its
 * reject table when `store_rejects` is set, with its line number.
 */
export const LINE_READER = `columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = chr(30), quote = '', escape = '', new_line = '\\r\\n', strict_mode = false, max_line_size = ${MAX_LINE_BYTES}`;

/** Lines that are not blank (only spaces or tabs): a blank line of a JSON Lines file is no row. */
export const NOT_BLANK = `line IS NOT NULL AND trim(line, chr(32) || chr(9)) <> ''`;

/** JSON Lines files (as opposed to `.json` documents, which may hold an array). */
export const isJsonLines = (f: UsageFile): boolean => f.format === 'json' && !/\.json(\.gz)?$/i.test(f.path);

/** Keys of the `key=value` folders of a path (hive partitioning). */
const hiveKeys = (path: string): string[] => [...path.matchAll(/[\\/]([^\\/=]+)=[^\\/]*(?=[\\/])/g)].map((m) => m[1]!);

/**
 * One JSON Lines file read line by line: each line is parsed on its own (`json_transform`), so a
 * malformed line is one rejected row and never touches the next one. A line that is valid JSON
 * but not an object gives a record of NULLs, rejected as not a usage record.
 */
function jsonLinesSql(file: UsageFile, fields: readonly UsageField[], rejects: boolean): string {
  const struct = JSON.stringify(Object.fromEntries(fields.map((f) => [f, USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR'])));
  const hive = new Set(file.hive ? hiveKeys(file.path) : []);
  // A field given by a partition folder overrides the record's value, as with DuckDB's JSON reader.
  const column = (f: UsageField) => (hive.has(f) ? `${sqlIdent(f)}::VARCHAR AS ${sqlIdent(f)}` : `j.${sqlIdent(f)} AS ${sqlIdent(f)}`);
  const store = rejects
    ? `store_rejects = true, rejects_scan = ${sqlString(rejectsName('scan', file.path))}, rejects_table = ${sqlString(rejectsName('errors', file.path))}`
    : 'ignore_errors = true';
  return `SELECT ${[...fields.map(column), 'filename AS _file'].join(', ')} FROM (
    SELECT try(json_transform(line, ${sqlString(struct)})) AS j, *
    FROM read_csv(${sqlString(file.path)}, ${LINE_READER}, filename = true, hive_partitioning = ${file.hive}, ${store})
    WHERE ${NOT_BLANK})`;
}

/** What `sourcesSql` reads and how. */
export interface SourceOptions {
  columns?: ReadonlyMap<string, readonly string[]>;
  /** Keep lines the CSV reader cannot return in per-file reject tables (else they are skipped). */
  rejects: boolean;
  /**
   * JSON Lines files known to hold one JSON object per line, read with DuckDB's JSON reader (the
   * fast path, several times faster than line by line). Its strict mode fails on the first line
   * that is not an object instead of resynchronising after it — the resynchronisation after a
   * truncated line swallows the next, valid line — so `runScan` tries it and reads a file line by
   * line once it failed. Default: none; every JSON Lines file is read line by line.
   */
  fastJson?: ReadonlySet<string>;
}

/** One SELECT per format producing the raw fields plus `_file`. */
export function sourcesSql(files: readonly UsageFile[], fields: readonly UsageField[], options: SourceOptions): string {
  const parts: string[] = [];
  const group = (pick: (f: UsageFile) => boolean) => files.filter(pick);
  const hive = (list: UsageFile[]) => (list.some((f) => f.hive) ? ', hive_partitioning = true' : ', hive_partitioning = false');
  const select = (present: (f: UsageField) => boolean) =>
    [...fields.map((f) => (present(f) ? raw(f) : `NULL AS ${raw(f)}`)), 'filename AS _file'].join(', ');

  const jsonColumns = `{${fields.map((f) => `${sqlString(f)}: ${sqlString(USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR')}`).join(', ')}}`;
  const fast = group((f) => isJsonLines(f) && (options.fastJson?.has(f.path) ?? false));
  if (fast.length) {
    // ignore_errors = false: any line that is not an object fails the statement (see `fastJson`).
    parts.push(
      `SELECT ${select(() => true)} FROM read_json(${sqlList(fast.map((f) => f.path))}, format = 'newline_delimited', records = true, columns = ${jsonColumns}, ignore_errors = false, filename = true, maximum_object_size = ${MAX_LINE_BYTES}${hive(fast)})`,
    );
  }
  for (const file of group((f) => isJsonLines(f) && !fast.includes(f))) parts.push(jsonLinesSql(file, fields, options.rejects));
  const documents = group((f) => f.format === 'json' && !isJsonLines(f));
  if (documents.length) {
    // A document may be an array; ignore_errors keeps a row of NULLs for what is not a record, so it is counted as malformed.
    parts.push(
      `SELECT ${select(() => true)} FROM read_json(${sqlList(documents.map((f) => f.path))}, format = 'auto', records = true, columns = ${jsonColumns}, ignore_errors = true, filename = true, maximum_object_size = 16777216${hive(documents)})`,
    );
  }
  const csv = group((f) => f.format === 'csv');
  for (const file of csv) {
    const header = new Set(options.columns?.get(file.path) ?? []);
    const rejects = options.rejects
      ? `, store_rejects = true, rejects_scan = ${sqlString(rejectsName('scan', file.path))}, rejects_table = ${sqlString(rejectsName('errors', file.path))}`
      : ', ignore_errors = true';
    parts.push(
      `SELECT ${select((f) => header.has(f))} FROM read_csv(${sqlString(file.path)}, ${csvDialect(file)}, filename = true${rejects}${hive([file])})`,
    );
  }
  const parquet = group((f) => f.format === 'parquet');
  if (parquet.length) {
    const present = new Set(parquet.flatMap((f) => options.columns?.get(f.path) ?? []));
    parts.push(`SELECT ${select((f) => present.has(f))} FROM read_parquet(${sqlList(parquet.map((f) => f.path))}, union_by_name = true, filename = true${hive(parquet)})`);
  }
  return parts.join('\nUNION ALL BY NAME\n');
}

/** CSV dialect: given, not sniffed, so one broken line cannot make the sniffer misread the whole file. */
export const csvDialect = (file: UsageFile): string => `header = true, all_varchar = true, delim = ${/\.tsv(\.gz)?$/i.test(file.path) ? `'\\t'` : `','`}, quote = '"', escape = '"'`;

/** CSV reject tables are per file so their line numbers can be attributed (DuckDB numbers lines per scan). */
export const rejectsName = (kind: 'scan' | 'errors', path: string): string => `csv_rejects_${kind}_${hashName(path)}`;

function hashName(value: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * Every row read, typed, with `_error` (NULL when valid) and `_file`. `source` replaces the file
 * readers (the locator reads raw lines); `passThrough` columns of the source are kept.
 */
export function checkedRowsSql(options: {
  files: readonly UsageFile[];
  fields: readonly UsageField[];
  columns?: ReadonlyMap<string, readonly string[]>;
  source?: string;
  passThrough?: readonly string[];
  fastJson?: ReadonlySet<string>;
}): string {
  const extra = ['_file', ...(options.passThrough ?? [])].join(', ');
  const source = options.source ?? sourcesSql(options.files, options.fields, { columns: options.columns, rejects: true, fastJson: options.fastJson });
  return `SELECT ${typedColumns(options.fields).join(', ')},
    ${errorExpression(options.fields)} AS _error,
    ${extra}
  FROM (
    SELECT ${parsedColumns(options.fields).join(', ')}, ${extra}
    FROM (${source})
  )`;
}

/**
 * Hashes of the `request_id`s that occur more than once. A scan of one column grouped by a 64-bit
 * hash is cheap (Parquet reads only that column), and it lets the main scan fold duplicates
 * without a hash table of every call. A hash collision only sends a few unique calls down the
 * exact path, which groups by the id itself, so the result stays exact.
 */
export function duplicateIdsSql(options: { files: readonly UsageFile[]; columns?: ReadonlyMap<string, readonly string[]>; fastJson?: ReadonlySet<string> }): string {
  return `SELECT hash(request_id) AS id_hash FROM (
    SELECT nullif(request_id::VARCHAR, '') AS request_id FROM (${sourcesSql(options.files, ['request_id'], { columns: options.columns, rejects: false, fastJson: options.fastJson })})
  ) WHERE request_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1`;
}
