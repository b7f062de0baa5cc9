import { DbError, sqlIdent, sqlString, type Db } from './duckdb.js';
import { baseModelSql, computedCostSql, modelKeySql } from './pricing.js';
import type { UsageFile } from './sources.js';
import { ALL_SCALAR_FIELDS, checkedRowsSql, duplicateIdsSql, fieldsFor, isJsonLines, type UsageField } from './usage-sql.js';

/** Call attributes a scan can keep as grouping keys (besides day, provider, model and status, always kept). */
export const KEY_FIELDS = ['feature', 'environment', 'prompt_id', 'prompt_version', 'user_id', 'organization_id', 'team', 'experiment', 'variant'] as const satisfies readonly UsageField[];
export type KeyField = (typeof KEY_FIELDS)[number];

export interface ScanOptions {
  files: readonly UsageFile[];
  /** Attributes to keep; the fewer, the smaller the aggregate. */
  keys: readonly KeyField[];
  /** Inclusive start and exclusive end of the calls counted (ISO date or date-time, UTC). */
  from?: string;
  to?: string;
  columns?: ReadonlyMap<string, readonly string[]>;
  /** JSON Lines files to read line by line from the start (a line may be over the limit). */
  lineByLine?: ReadonlySet<string>;
}

/** Where the aggregate of a scan lives in the database. */
export const SPEND_TABLE = 'spend_agg';

const MEASURES = ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'legacy_tokens', 'legacy_calls', 'cost_usd', 'latency_ms'] as const;

/**
 * Scans the usage files once (plus a one-column pass for duplicate ids) into the small table
 * `spend_agg`: one row per day × provider × model × status × kept attributes, with call counts,
 * token sums and the cost — the provider-reported cost where there is one, catalog prices of the
 * call's date otherwise. Rejected rows land in the same table with `_error` set, one row per
 * reason and file. Requires the `prices` table (see `loadPrices`). Returns the statements run
 * (the benchmark replays them on a bare connection).
 */
export async function runScan(db: Db, options: ScanOptions): Promise<ScanRun> {
  const keys = [...new Set<KeyField>(['feature', ...options.keys])];
  // Every field is read and checked whatever the grouping, so a row is valid or not the same way in every report.
  const fields = fieldsFor(ALL_SCALAR_FIELDS);
  const range: string[] = [];
  if (options.from) range.push(`ts >= ${sqlString(options.from)}::TIMESTAMPTZ`);
  if (options.to) range.push(`ts < ${sqlString(options.to)}::TIMESTAMPTZ`);
  const keep = range.length ? `_error IS NOT NULL OR (${range.join(' AND ')})` : 'TRUE';

  const keyCols = ['day', 'provider', 'model', 'status', ...keys].map(sqlIdent);
  const keyExpr = (c: string) => (c === '"day"' ? 'ts::DATE' : c);
  const nullUnlessValid = (expr: string) => `CASE WHEN _error IS NULL THEN ${expr} END`;
  const measureExpr: Record<(typeof MEASURES)[number], string> = {
    input_tokens: 'input_tokens',
    output_tokens: 'output_tokens',
    cached_input_tokens: 'cached_input_tokens',
    cache_write_tokens: 'cache_write_tokens',
    reasoning_tokens: 'reasoning_tokens',
    legacy_tokens: 'CASE WHEN input_tokens IS NULL AND output_tokens IS NULL THEN tokens_used END',
    legacy_calls: 'CASE WHEN input_tokens IS NULL AND output_tokens IS NULL AND tokens_used IS NOT NULL THEN 1 ELSE 0 END',
    cost_usd: 'cost_usd',
    latency_ms: 'latency_ms',
  };
  const t = (m: string) => `coalesce(${m}, 0)`;
  const cost = (p: string) =>
    computedCostSql(
      {
        input: t('input_tokens'),
        cached: t('cached_input_tokens'),
        written: t('cache_write_tokens'),
        output: t('output_tokens'),
        reasoning: t('reasoning_tokens'),
        legacy: t('legacy_tokens'),
      },
      p,
    );

  const dupTable = `${SPEND_TABLE}_dup_ids`;
  const { sql: first, fastJson } = await findDuplicates(db, dupTable, options);
  const [{ n }] = (await db.all<{ n: number }>(`SELECT count(*) AS n FROM ${dupTable}`)) as [{ n: number }];
  // Without duplicates (the usual case) the folding path is left out of the plan altogether.
  const dup = n > 0 ? `hash(request_id) IN (SELECT id_hash FROM ${dupTable})` : 'FALSE';
  const second = `CREATE OR REPLACE TEMP TABLE ${SPEND_TABLE} AS
WITH marked AS (
  SELECT *, ${dup} AS _dup
  FROM (${checkedRowsSql({ files: options.files, fields, columns: options.columns, fastJson })})
  WHERE ${keep}
),
pre AS (
  SELECT _error,
    CASE WHEN _error IS NOT NULL THEN _file END AS _bad_file,
    CASE WHEN _error IS NULL AND _dup THEN request_id END AS _dup_id,
    ${keyCols.map((c) => `${nullUnlessValid(keyExpr(c))} AS ${c}`).join(', ')},
    ${nullUnlessValid('cost_usd IS NOT NULL')} AS _reported,
    count(*) AS calls,
    ${MEASURES.map((m) => `sum(${measureExpr[m]}) AS ${m}`).join(', ')},
    count(latency_ms) AS latency_calls,
    max(ts) AS last_call,
    min({${MEASURES.map((m) => `${m}: ${measureExpr[m]}`).join(', ')}, last_call: ts}) FILTER (WHERE _dup AND _error IS NULL) AS _one
  FROM marked
  GROUP BY ALL
),
folded AS (
  SELECT * EXCLUDE (_dup_id, _one), calls AS rows FROM pre WHERE _dup_id IS NULL
  UNION ALL BY NAME
  SELECT * EXCLUDE (_dup_id, _one, calls, ${MEASURES.join(', ')}, latency_calls, last_call),
    1 AS calls, ${MEASURES.map((m) => `_one.${m} AS ${m}`).join(', ')},
    CASE WHEN _one.latency_ms IS NULL THEN 0 ELSE 1 END AS latency_calls, _one.last_call AS last_call,
    sum(pre.calls) OVER (PARTITION BY _dup_id) AS rows
  FROM pre WHERE _dup_id IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY _dup_id ORDER BY ${keyCols.join(', ')}, _reported, _one) = 1
),
keyed AS (
  SELECT *, ${modelKeySql('provider', 'model')} AS model_key FROM folded
)
SELECT k.* EXCLUDE (cost_usd),
  k.cost_usd AS reported_cost_usd,
  CASE WHEN k._reported THEN k.cost_usd ELSE coalesce(${cost('p1')}, ${cost('p2')}) END AS cost_usd,
  k._error IS NULL AND NOT k._reported AND p1.model_key IS NULL AND p2.model_key IS NULL AS unpriced
FROM keyed k
LEFT JOIN prices p1 ON p1.model_key = k.model_key AND k.day >= p1.effective_from AND k.day < p1.effective_to
LEFT JOIN prices p2 ON p1.model_key IS NULL AND p2.model_key = ${baseModelSql('k.model_key')} AND k.day >= p2.effective_from AND k.day < p2.effective_to`;
  await db.run(second);
  return { statements: [first, second], lineByLine: options.files.filter((f) => isJsonLines(f) && !fastJson.has(f.path)).map((f) => f.path) };
}

export interface ScanRun {
  /** Statements of the scan that succeeded, as run (the benchmark replays them). */
  statements: string[];
  /** JSON Lines files read line by line because DuckDB's JSON reader failed on one of their lines. */
  lineByLine: string[];
}

/**
 * The duplicate-id pass, which also decides how JSON Lines files are read: first all with DuckDB's
 * JSON reader in strict mode (fast, exact when every line is an object); when it fails on a line,
 * the file it names is read line by line, and after a second failure every JSON Lines file is.
 */
async function findDuplicates(db: Db, table: string, options: ScanOptions): Promise<{ sql: string; fastJson: Set<string> }> {
  const fastJson = new Set(options.files.filter((f) => isJsonLines(f) && !options.lineByLine?.has(f.path)).map((f) => f.path));
  for (let attempt = 0; ; attempt++) {
    const sql = `CREATE OR REPLACE TEMP TABLE ${table} AS ${duplicateIdsSql({ ...options, fastJson })}`;
    try {
      await db.run(sql);
      return { sql, fastJson };
    } catch (error) {
      const failed = fastJson.size > 0 && error instanceof DbError ? jsonLineFailure(error.message) : undefined;
      if (failed === undefined) throw error;
      if (attempt === 0 && fastJson.has(failed)) fastJson.delete(failed);
      else fastJson.clear();
    }
  }
}

/**
 * The file named by an error of DuckDB's JSON reader about the content of a line ('' when the
 * message names none), or undefined for any other error (a missing file, a corrupt gzip stream).
 */
export function jsonLineFailure(message: string): string | undefined {
  if (!/Malformed JSON|JSON transform error|maximum_object_size|Invalid Input Error: .*JSON/i.test(message)) return undefined;
  return /in file "([^"]+)"/.exec(message)?.[1] ?? '';
}

export interface RejectedGroup {
  file: string;
  code: string;
  rows: number;
}

export interface ScanStats {
  /** Rows read (valid, rejected and duplicates), within the range for valid rows. */
  rows: number;
  /** Distinct calls counted. */
  calls: number;
  duplicates: number;
  rejected: RejectedGroup[];
  rejectedRows: number;
  unpricedCalls: number;
  unpricedModels: string[];
  /** Calls priced from `tokens_used` alone (no input/output split). */
  legacyCalls: number;
  firstDay?: string;
  lastCall?: Date;
}

export async function scanStats(db: Db): Promise<ScanStats> {
  const [totals] = await db.all<{ rows: number; calls: number; unpriced: number; models: string[]; legacy: number; first_day: Date | null; last_call: Date | null }>(
    `SELECT coalesce(sum(rows), 0) AS rows,
       coalesce(sum(calls) FILTER (WHERE _error IS NULL), 0) AS calls,
       coalesce(sum(calls) FILTER (WHERE unpriced), 0) AS unpriced,
       coalesce(list(DISTINCT model_key ORDER BY model_key) FILTER (WHERE unpriced), []) AS models,
       coalesce(sum(legacy_calls), 0) AS legacy,
       min(day) AS first_day, max(last_call) AS last_call
     FROM ${SPEND_TABLE}`,
  );
  const rejected = await db.all<{ file: string; code: string; rows: number }>(
    `SELECT _bad_file AS file, _error AS code, sum(rows) AS rows FROM ${SPEND_TABLE} WHERE _error IS NOT NULL GROUP BY ALL ORDER BY file, code`,
  );
  const rejectedRows = rejected.reduce((n, r) => n + r.rows, 0);
  return {
    rows: totals!.rows,
    calls: totals!.calls,
    duplicates: totals!.rows - totals!.calls - rejectedRows,
    rejected,
    rejectedRows,
    unpricedCalls: totals!.unpriced,
    unpricedModels: totals!.models,
    legacyCalls: totals!.legacy,
    firstDay: totals!.first_day ? totals!.first_day.toISOString().slice(0, 10) : undefined,
    lastCall: totals!.last_call ?? undefined,
  };
}
