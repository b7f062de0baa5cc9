import type { Catalog } from '../core/catalog/catalog.js';
import { sqlString, type Db } from './duckdb.js';

/**
 * Catalog prices as a DuckDB table, one row per price period with its end date, so a call is
 * priced by a join on model and date instead of a lookup per row in JavaScript.
 */
export async function loadPrices(db: Db, catalog: Catalog): Promise<number> {
  const rows: string[] = [];
  for (const [key, model] of Object.entries(catalog.models)) {
    const periods = [...model.pricing].sort((a, b) => (a.effective_from < b.effective_from ? -1 : 1));
    periods.forEach((p, i) => {
      const until = periods[i + 1]?.effective_from ?? '9999-12-31';
      const num = (v: number | undefined) => (v === undefined ? 'NULL' : String(v));
      rows.push(
        `(${sqlString(key)}, DATE ${sqlString(p.effective_from)}, DATE ${sqlString(until)}, ${num(p.input_per_mtok)}, ${num(p.cached_input_per_mtok)}, ${num(p.cache_write_per_mtok)}, ${num(p.output_per_mtok)}, ${num(p.reasoning_per_mtok)})`,
      );
    });
  }
  await db.run(`CREATE OR REPLACE TEMP TABLE prices (
    model_key VARCHAR, effective_from DATE, effective_to DATE,
    input DOUBLE, cached_input DOUBLE, cache_write DOUBLE, output DOUBLE, reasoning DOUBLE)`);
  if (rows.length) await db.run(`INSERT INTO prices VALUES ${rows.join(',\n')}`);
  return rows.length;
}

/** `provider/model` of a usage row whose `model` may or may not carry the provider. */
export const modelKeySql = (provider: string, model: string): string => `CASE WHEN contains(${model}, '/') THEN ${model} ELSE ${provider} || '/' || ${model} END`;

/** Dated snapshot names (`gpt-4o-2024-08-06`, `claude-3-5-haiku-20241022`) fall back to their base model. */
export const baseModelSql = (key: string): string => `regexp_replace(${key}, '-(\\d{4}-\\d{2}-\\d{2}|\\d{8})$', '')`;

/**
 * Token sums of calls without a provider-reported cost, priced with the period `p`:
 * cached and cache-write tokens are part of input tokens, reasoning tokens part of output tokens,
 * each billed at its own rate (falling back to the input or output rate). Calls that only report
 * the legacy `tokens_used` total are billed at the input rate.
 */
export function computedCostSql(t: { input: string; cached: string; written: string; output: string; reasoning: string; legacy: string }, p = 'p'): string {
  return `((${t.input} - ${t.cached} - ${t.written}) * ${p}.input
    + ${t.cached} * coalesce(${p}.cached_input, ${p}.input)
    + ${t.written} * coalesce(${p}.cache_write, ${p}.input)
    + (${t.output} - ${t.reasoning}) * ${p}.output
    + ${t.reasoning} * coalesce(${p}.reasoning, ${p}.output)
    + ${t.legacy} * ${p}.input) / 1e6`;
}
