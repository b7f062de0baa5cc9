import { volumeKey, type Volume } from '../core/diff/cost.js';
import { sqlString, type Db } from './duckdb.js';
import { SPEND_TABLE } from './scan.js';

const DAY = 86_400_000;

/**
 * Calls per feature × prompt × environment in the `days` days before `asOf`, with their mean
 * output tokens: the monthly volume cost projections multiply by. Needs a scan keeping those keys.
 */
export async function usageVolumes(db: Db, options: { asOf: Date; days?: number }): Promise<{ volumes: Map<string, Volume>; from: string; to: string }> {
  const days = options.days ?? 30;
  const to = options.asOf.toISOString().slice(0, 10);
  const from = new Date(Date.parse(to) - (days - 1) * DAY).toISOString().slice(0, 10);
  const rows = await db.all<{ feature: string; prompt_id: string; environment: string; calls: number; output: number | null; output_calls: number }>(
    `SELECT feature, prompt_id, environment, sum(calls) AS calls,
       sum(output_tokens) FILTER (WHERE status = 'success') AS output,
       coalesce(sum(calls) FILTER (WHERE status = 'success' AND output_tokens IS NOT NULL), 0) AS output_calls
     FROM ${SPEND_TABLE}
     WHERE _error IS NULL AND feature IS NOT NULL AND prompt_id IS NOT NULL AND environment IS NOT NULL
       AND day BETWEEN DATE ${sqlString(from)} AND DATE ${sqlString(to)}
     GROUP BY ALL`,
  );
  const volumes = new Map<string, Volume>();
  for (const r of rows) {
    volumes.set(volumeKey(r.feature, r.prompt_id, r.environment), { calls: Number(r.calls), ...(r.output_calls > 0 ? { outputTokens: Number(r.output) / Number(r.output_calls) } : {}) });
  }
  return { volumes, from, to };
}
