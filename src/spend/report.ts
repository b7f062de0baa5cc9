import { sqlIdent, sqlString, type Db } from './duckdb.js';
import { SPEND_TABLE, type KeyField } from './scan.js';

export const DIMENSIONS = ['feature', 'model', 'provider', 'prompt', 'prompt_version', 'environment', 'user', 'organization', 'team', 'experiment', 'variant', 'day', 'week', 'month'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

interface DimensionDef {
  keys: KeyField[];
  columns: Array<{ name: string; sql: string }>;
}

const DIMENSION_DEFS: Record<Dimension, DimensionDef> = {
  feature: { keys: ['feature'], columns: [{ name: 'feature', sql: 's.feature' }] },
  model: { keys: [], columns: [{ name: 'model', sql: 's.model_key' }] },
  provider: { keys: [], columns: [{ name: 'provider', sql: 's.provider' }] },
  prompt: { keys: ['prompt_id'], columns: [{ name: 'prompt', sql: 's.prompt_id' }] },
  prompt_version: {
    keys: ['prompt_id', 'prompt_version'],
    columns: [
      { name: 'prompt', sql: 's.prompt_id' },
      { name: 'prompt_version', sql: 's.prompt_version' },
    ],
  },
  environment: { keys: ['environment'], columns: [{ name: 'environment', sql: 's.environment' }] },
  user: { keys: ['user_id'], columns: [{ name: 'user', sql: 's.user_id' }] },
  organization: { keys: ['organization_id'], columns: [{ name: 'organization', sql: 's.organization_id' }] },
  // A call without a team is attributed to the team of its feature file.
  team: { keys: ['team', 'feature'], columns: [{ name: 'team', sql: 'coalesce(s.team, ft.team)' }] },
  experiment: { keys: ['experiment'], columns: [{ name: 'experiment', sql: 's.experiment' }] },
  variant: { keys: ['experiment', 'variant'], columns: [{ name: 'variant', sql: 's.variant' }] },
  day: { keys: [], columns: [{ name: 'day', sql: `strftime(s.day, '%Y-%m-%d')` }] },
  week: { keys: [], columns: [{ name: 'week', sql: `strftime(date_trunc('week', s.day), '%G-W%V')` }] },
  month: { keys: [], columns: [{ name: 'month', sql: `strftime(s.day, '%Y-%m')` }] },
};

/** Scan keys a report by these dimensions needs. */
export const keysFor = (by: readonly Dimension[]): KeyField[] => [...new Set(by.flatMap((d) => DIMENSION_DEFS[d].keys))];

export interface SpendRow {
  /** Dimension values by column name (null when the calls did not carry the attribute). */
  group: Record<string, string | number | null>;
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  /** Calls whose cost came from the provider's `cost_usd`. */
  reportedCalls: number;
  unpricedCalls: number;
  avgLatencyMs: number | null;
}

export interface SpendReport {
  columns: string[];
  rows: SpendRow[];
  total: SpendRow;
}

const MEASURES_SQL = `sum(s.calls) AS calls,
  coalesce(sum(s.calls) FILTER (WHERE s.status <> 'success'), 0) AS failed_calls,
  coalesce(sum(s.input_tokens), 0) AS input_tokens,
  coalesce(sum(s.output_tokens), 0) AS output_tokens,
  coalesce(sum(s.cached_input_tokens), 0) AS cached_input_tokens,
  coalesce(sum(s.reasoning_tokens), 0) AS reasoning_tokens,
  coalesce(sum(s.cost_usd), 0) AS cost_usd,
  coalesce(sum(s.calls) FILTER (WHERE s._reported), 0) AS reported_calls,
  coalesce(sum(s.calls) FILTER (WHERE s.unpriced), 0) AS unpriced_calls,
  sum(s.latency_ms) / nullif(sum(s.latency_calls), 0) AS avg_latency_ms`;

type MeasureRow = {
  calls: number;
  failed_calls: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  reported_calls: number;
  unpriced_calls: number;
  avg_latency_ms: number | null;
} & Record<string, unknown>;

function toRow(r: MeasureRow, columns: readonly string[]): SpendRow {
  return {
    group: Object.fromEntries(columns.map((c) => [c, (r[`g_${c}`] as string | number | null) ?? null])),
    calls: r.calls ?? 0,
    failedCalls: r.failed_calls,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cachedInputTokens: r.cached_input_tokens,
    reasoningTokens: r.reasoning_tokens,
    costUsd: r.cost_usd,
    reportedCalls: r.reported_calls,
    unpricedCalls: r.unpriced_calls,
    avgLatencyMs: r.avg_latency_ms,
  };
}

/** Spend grouped by the dimensions, most expensive first (time dimensions in time order). */
export async function spendReport(db: Db, options: { by: readonly Dimension[]; limit?: number; fromDay?: string }): Promise<SpendReport> {
  const cols = uniqueColumns(options.by);
  const select = cols.map((c) => `${c.sql} AS ${sqlIdent(`g_${c.name}`)}`);
  const time = cols.filter((c) => ['day', 'week', 'month'].includes(c.name)).map((c) => sqlIdent(`g_${c.name}`));
  const order = [...time, 'cost_usd DESC', ...cols.map((c) => sqlIdent(`g_${c.name}`))].join(', ');
  const since = options.fromDay ? ` AND s.day >= DATE ${sqlString(options.fromDay)}` : '';
  const from = `${SPEND_TABLE} s LEFT JOIN feature_teams ft ON ft.feature = s.feature WHERE s._error IS NULL${since}`;
  const rows = await db.all<MeasureRow>(
    `SELECT ${[...select, MEASURES_SQL].join(',\n  ')} FROM ${from} ${cols.length ? 'GROUP BY ALL' : ''} ORDER BY ${cols.length ? order : '1'}${options.limit ? ` LIMIT ${options.limit}` : ''}`,
  );
  const [total] = await db.all<MeasureRow>(`SELECT ${MEASURES_SQL} FROM ${from}`);
  return { columns: cols.map((c) => c.name), rows: rows.map((r) => toRow(r, cols.map((c) => c.name))), total: toRow(total!, []) };
}

function uniqueColumns(by: readonly Dimension[]) {
  const seen = new Map<string, { name: string; sql: string }>();
  for (const d of by) for (const c of DIMENSION_DEFS[d].columns) seen.set(c.name, c);
  return [...seen.values()];
}
