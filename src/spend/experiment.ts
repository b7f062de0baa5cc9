import type { ExperimentFile } from '../core/schemas/experiment.js';
import { sqlIdent, sqlString, type Db } from './duckdb.js';
import type { MetricInput, VariantInput } from './experiment-stats.js';
import type { UsageFile } from './sources.js';
import { ALL_SCALAR_FIELDS, checkedRowsSql, fieldsFor, USAGE_FIELDS, type UsageField } from './usage-sql.js';

const RECORD_METRICS = new Set(Object.entries(USAGE_FIELDS).filter(([, kind]) => kind === 'integer' || kind === 'number').map(([name]) => name));

export interface ExperimentData {
  variants: VariantInput[];
  /** Variants found in the logs that the experiment file does not declare. */
  unknown_variants: Array<{ name: string; units: number }>;
  /** Units seen in more than one variant (reassigned: counted in neither). */
  crossovers: number;
  calls: number;
  duplicates: number;
  first_day?: string;
  last_day?: string;
}

/**
 * Per variant sufficient statistics of an experiment, computed in DuckDB from the usage logs:
 * units (distinct values of the hash attribute), and per metric the unit-level observations —
 * a binomial metric counts units with at least one true value, a mean metric averages each
 * unit's values first — because units, not calls, are what the split randomises.
 * Metric values are read from each call's `metadata` by metric name.
 */
export async function experimentData(
  db: Db,
  options: { files: readonly UsageFile[]; columns?: ReadonlyMap<string, readonly string[]>; experiment: ExperimentFile; from?: string; to?: string },
): Promise<ExperimentData> {
  const exp = options.experiment;
  const attribute = exp.hash_attribute ?? 'user_id';
  const unit = attribute === 'user_id' || attribute === 'organization_id' ? sqlIdent(attribute) : `json_extract_string(metadata, ${sqlString(`$.${attribute}`)})`;
  const metrics = exp.metrics ?? [];
  const recordMetrics = metrics.map((x) => x.name).filter((n) => RECORD_METRICS.has(n)) as UsageField[];
  // Every field is read and checked, as in the spend scan, so a row the spend reports reject is not counted here either.
  const fields = fieldsFor([...ALL_SCALAR_FIELDS, 'metadata', ...recordMetrics]);
  const range = [options.from ? `ts >= ${sqlString(options.from)}::TIMESTAMPTZ` : '', options.to ? `ts < ${sqlString(options.to)}::TIMESTAMPTZ` : ''].filter(Boolean);
  // A metric named after a numeric field of the record (latency_ms, cost_usd, output_tokens, …) reads that field.
  const value = (name: string, kind: 'binomial' | 'mean') =>
    RECORD_METRICS.has(name)
      ? `c.${sqlIdent(name)}::DOUBLE`
      : kind === 'binomial'
      ? `try_cast(json_extract_string(c.metadata, ${sqlString(`$.${name}`)}) AS BOOLEAN)`
      : `try_cast(json_extract_string(c.metadata, ${sqlString(`$.${name}`)}) AS DOUBLE)`;
  const m = (i: number) => sqlIdent(`m${i}`);
  const sql = `WITH rows AS (
    SELECT request_id, variant, ${unit} AS unit, metadata::VARCHAR AS metadata, ts${recordMetrics.map((f) => `, ${sqlIdent(f)}`).join('')}
    FROM (${checkedRowsSql({ files: options.files, fields, columns: options.columns })})
    WHERE _error IS NULL AND experiment = ${sqlString(exp.name)} ${range.map((r) => `AND ${r}`).join(' ')}
  ),
  calls AS (
    SELECT request_id, count(*) AS copies, min({variant: variant, unit: unit, metadata: metadata, ts: ts${recordMetrics.map((f) => `, ${sqlIdent(f)}: ${sqlIdent(f)}`).join('')}}) AS c FROM rows GROUP BY request_id
  ),
  units AS (
    SELECT c.unit AS unit, list(DISTINCT c.variant) AS variants, any_value(c.variant) AS variant, count(*) AS calls, sum(copies) - count(*) AS duplicates,
      min(c.ts) AS first_ts, max(c.ts) AS last_ts
      ${metrics.map((x, i) => `, ${x.kind === 'binomial' ? `bool_or(${value(x.name, 'binomial')})` : `avg(${value(x.name, 'mean')})`} AS ${m(i)}`).join('')}
    FROM calls WHERE c.unit IS NOT NULL AND c.variant IS NOT NULL GROUP BY c.unit
  )
  SELECT CASE WHEN len(variants) = 1 THEN variant END AS variant, count(*) AS units, sum(calls) AS calls, sum(duplicates) AS duplicates,
    strftime(min(first_ts), '%Y-%m-%d') AS first_day, strftime(max(last_ts), '%Y-%m-%d') AS last_day
    ${metrics.map((x, i) => (x.kind === 'binomial' ? `, count(${m(i)}) AS n${i}, count_if(${m(i)}) AS s${i}` : `, count(${m(i)}) AS n${i}, coalesce(sum(${m(i)}), 0) AS s${i}, coalesce(sum(${m(i)} * ${m(i)}), 0) AS q${i}`)).join('')}
  FROM units GROUP BY 1 ORDER BY 1`;
  const rows = await db.all<Record<string, number | string | null>>(sql);

  const declared = new Map(exp.variants.map((v) => [v.name, v]));
  const byName = new Map(rows.filter((r) => r.variant !== null).map((r) => [r.variant as string, r]));
  const variants: VariantInput[] = exp.variants.map((v) => {
    const r = byName.get(v.name);
    const stats: Record<string, MetricInput> = {};
    metrics.forEach((x, i) => {
      stats[x.name] =
        x.kind === 'binomial'
          ? { kind: 'binomial', n: Number(r?.[`n${i}`] ?? 0), successes: Number(r?.[`s${i}`] ?? 0) }
          : { kind: 'mean', n: Number(r?.[`n${i}`] ?? 0), sum: Number(r?.[`s${i}`] ?? 0), sum_squares: Number(r?.[`q${i}`] ?? 0) };
    });
    return { name: v.name, weight: v.weight, units: Number(r?.units ?? 0), metrics: stats };
  });
  const days = rows.flatMap((r) => [r.first_day, r.last_day]).filter((d): d is string => typeof d === 'string').sort();
  return {
    variants,
    unknown_variants: rows.filter((r) => r.variant !== null && !declared.has(r.variant as string)).map((r) => ({ name: r.variant as string, units: Number(r.units) })),
    crossovers: Number(rows.find((r) => r.variant === null)?.units ?? 0),
    calls: rows.reduce((n, r) => n + Number(r.calls), 0),
    duplicates: rows.reduce((n, r) => n + Number(r.duplicates), 0),
    first_day: days[0],
    last_day: days[days.length - 1],
  };
}
