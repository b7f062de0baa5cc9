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

/** Second stage: integers become BIGINT once checked. */
function typedColumns(fields: readonly UsageField[]): string[] {
  return fields.map((f) => {
    const name = sqlIdent(f === 'timestamp' ? 'ts' : f);
    return USAGE_FIELDS[f] === 'integer' ? `${name}::BIGINT AS ${name}` : name;
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
    const min = f === 'prompt_version' ? 1 : 0;
    cases.push(`WHEN ${present(f)} AND (${d} IS NULL OR ${d} < ${min}${whole}) THEN 'invalid:${f}'`);
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
      if (field === 'prompt_version') return 'invalid "prompt_version" (expected an integer ≥ 1)';
      return `invalid "${field}" (expected a non-negative ${USAGE_FIELDS[field as UsageField] === 'integer' ? 'integer' : 'number'})`;
    case 'inconsistent':
      return field === 'reasoning_tokens'
        ? '"reasoning_tokens" exceeds "output_tokens" (reasoning tokens are a subset of output tokens)'
        : '"cached_input_tokens" + "cache_write_tokens" exceed "input_tokens" (cached tokens are a subset of input tokens)';
    case 'csv':
      return `CSV line the reader could not split (${field})`;
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

/** One SELECT per format producing the raw fields plus `_file`. */
export function sourcesSql(
  files: readonly UsageFile[],
  fields: readonly UsageField[],
  options: { columns?: ReadonlyMap<string, readonly string[]>; rejects: boolean },
): string {
  const parts: string[] = [];
  const group = (pick: (f: UsageFile) => boolean) => files.filter(pick);
  const hive = (list: UsageFile[]) => (list.some((f) => f.hive) ? ', hive_partitioning = true' : ', hive_partitioning = false');
  const select = (present: (f: UsageField) => boolean) =>
    [...fields.map((f) => (present(f) ? raw(f) : `NULL AS ${raw(f)}`)), 'filename AS _file'].join(', ');

  const jsonColumns = `{${fields.map((f) => `${sqlString(f)}: ${sqlString(USAGE_FIELDS[f] === 'json' ? 'JSON' : 'VARCHAR')}`).join(', ')}}`;
  for (const [format, pick] of [
    ['newline_delimited', (f: UsageFile) => f.format === 'json' && !/\.json(\.gz)?$/i.test(f.path)],
    ['auto', (f: UsageFile) => f.format === 'json' && /\.json(\.gz)?$/i.test(f.path)],
  ] as const) {
    const list = group(pick);
    if (list.length === 0) continue;
    // ignore_errors keeps a row of NULLs for a line that is not JSON, so it is counted as malformed.
    parts.push(
      `SELECT ${select(() => true)} FROM read_json(${sqlList(list.map((f) => f.path))}, format = '${format}', records = true, columns = ${jsonColumns}, ignore_errors = true, filename = true, maximum_object_size = 16777216${hive(list)})`,
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
}): string {
  const extra = ['_file', ...(options.passThrough ?? [])].join(', ');
  const source = options.source ?? sourcesSql(options.files, options.fields, { columns: options.columns, rejects: true });
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
export function duplicateIdsSql(options: { files: readonly UsageFile[]; columns?: ReadonlyMap<string, readonly string[]> }): string {
  return `SELECT hash(request_id) AS id_hash FROM (
    SELECT nullif(request_id::VARCHAR, '') AS request_id FROM (${sourcesSql(options.files, ['request_id'], { columns: options.columns, rejects: false })})
  ) WHERE request_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1`;
}
