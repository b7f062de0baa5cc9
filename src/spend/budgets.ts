import type { Entity } from '../core/repository.js';
import type { BudgetFile } from '../core/schemas/budget.js';
import { sqlString, type Db } from './duckdb.js';
import { SPEND_TABLE } from './scan.js';

export const BUDGET_STATUSES = ['on_track', 'warning', 'critical', 'over_budget'] as const;
export type BudgetSeverity = (typeof BUDGET_STATUSES)[number];
export type BudgetState = BudgetSeverity | 'inactive';

export interface BudgetAlert {
  at: number;
  severity: 'info' | 'warning' | 'critical';
}

export interface BudgetStatus {
  name: string;
  displayName: string;
  file: string;
  period: BudgetFile['period'];
  amount: number;
  enforce: 'warn' | 'block';
  /** Period window containing the as-of time: first day `start` and `end`, the day after the last (YYYY-MM-DD). */
  start: string;
  end: string;
  /** Last day of the window (YYYY-MM-DD): the day before `end`. Outputs show `start`…`lastDay`. */
  lastDay: string;
  asOf: string;
  spend: number;
  /** spend / amount. */
  used: number;
  /** USD per day over the elapsed part of the window. */
  burnRate: number;
  /** Spend at the end of the window if the burn rate holds. */
  projected: number;
  /** Day the amount was (or at this burn rate will be) used up within the window; null if not. */
  exhaustion: string | null;
  status: BudgetState;
  /** Alerts whose threshold the spend so far has reached. */
  crossed: BudgetAlert[];
  alerts: BudgetAlert[];
  /** Spend per day of the window so far. */
  daily: Array<{ day: string; cost: number }>;
  notify: NonNullable<BudgetFile['notify']>;
}

const DAY = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const utc = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d));

/** The calendar period (UTC; weeks start on Monday) that contains `at`. */
export function periodWindow(period: BudgetFile['period'], at: Date): { start: Date; end: Date } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  switch (period) {
    case 'daily':
      return { start: utc(y, m, d), end: utc(y, m, d + 1) };
    case 'weekly': {
      const monday = d - ((at.getUTCDay() + 6) % 7);
      return { start: utc(y, m, monday), end: utc(y, m, monday + 7) };
    }
    case 'monthly':
      return { start: utc(y, m, 1), end: utc(y, m + 1, 1) };
    case 'quarterly': {
      const q = Math.floor(m / 3) * 3;
      return { start: utc(y, q, 1), end: utc(y, q + 3, 1) };
    }
    case 'yearly':
      return { start: utc(y, 0, 1), end: utc(y + 1, 0, 1) };
  }
}

/**
 * A window in JSON outputs (--json, webhook payloads): the days it covers, both inclusive, as the
 * tables show them, and the instants that bound it, `end` exclusive (like `range.to` of reports).
 */
export const windowJson = (s: Pick<BudgetStatus, 'start' | 'end' | 'lastDay'>) => ({
  first_day: s.start,
  last_day: s.lastDay,
  start: `${s.start}T00:00:00.000Z`,
  end: `${s.end}T00:00:00.000Z`,
});

/** SQL condition for a budget's scope over `spend_agg s` joined with `feature_teams ft`. */
function scopeSql(scope: BudgetFile['scope']): string {
  const parts: string[] = [];
  const list = (values: string[]) => values.map(sqlString).join(', ');
  if (scope?.feature) parts.push(`s.feature IN (${list(scope.feature)})`);
  if (scope?.provider) parts.push(`s.provider IN (${list(scope.provider)})`);
  if (scope?.model) parts.push(`s.model_key IN (${list(scope.model)})`);
  if (scope?.environment) parts.push(`s.environment IN (${list(scope.environment)})`);
  if (scope?.team) parts.push(`coalesce(s.team, ft.team) IN (${list(scope.team)})`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/** Status of every budget at `asOf` (calls after it are not counted). */
export async function budgetStatuses(db: Db, options: { budgets: ReadonlyArray<Entity<BudgetFile>>; asOf: Date }): Promise<BudgetStatus[]> {
  const out: BudgetStatus[] = [];
  for (const entity of options.budgets) {
    const b = entity.data;
    // As-of is an exclusive instant (the end of the day given): its window is the one of the instant before.
    const at = new Date(options.asOf.getTime() - 1);
    const { start, end } = periodWindow(b.period, at);
    const alerts = [...(b.alerts ?? [])].sort((x, y) => x.at - y.at);
    const base = {
      name: b.name,
      displayName: b.display_name ?? b.name,
      file: entity.file,
      period: b.period,
      amount: b.amount,
      enforce: b.enforce ?? 'warn',
      start: dayOf(start),
      end: dayOf(end),
      lastDay: dayOf(new Date(end.getTime() - DAY)),
      asOf: options.asOf.toISOString(),
      alerts,
      notify: b.notify ?? [],
    } as const;
    const inactive = (b.starts && dayOf(at) < b.starts) || (b.ends && dayOf(at) > b.ends);
    if (inactive) {
      out.push({ ...base, spend: 0, used: 0, burnRate: 0, projected: 0, exhaustion: null, status: 'inactive', crossed: [], daily: [] });
      continue;
    }
    const daily = await db.all<{ day: string; cost: number }>(
      `SELECT strftime(s.day, '%Y-%m-%d') AS day, sum(s.cost_usd) AS cost
       FROM ${SPEND_TABLE} s LEFT JOIN feature_teams ft ON ft.feature = s.feature
       WHERE s._error IS NULL AND s.day >= DATE ${sqlString(base.start)} AND s.day <= DATE ${sqlString(dayOf(at))}
         AND s.day >= DATE ${sqlString(b.starts ?? '0001-01-01')}
         AND ${scopeSql(b.scope)}
       GROUP BY 1 ORDER BY 1`,
    );
    out.push({ ...base, ...project(b.amount, daily, start, end, options.asOf, alerts), daily });
  }
  return out;
}

/** Burn rate, projection, exhaustion and status from the daily spend of the window so far. */
export function project(amount: number, daily: ReadonlyArray<{ day: string; cost: number }>, start: Date, end: Date, asOf: Date, alerts: readonly BudgetAlert[]) {
  const spend = daily.reduce((s, d) => s + d.cost, 0);
  const elapsedDays = Math.max((asOf.getTime() - start.getTime()) / DAY, 1 / 24);
  const remainingDays = Math.max((end.getTime() - asOf.getTime()) / DAY, 0);
  const burnRate = spend / elapsedDays;
  const projected = spend + burnRate * remainingDays;
  const used = spend / amount;
  let exhaustion: string | null = null;
  if (spend >= amount) {
    let running = 0;
    for (const d of daily) {
      running += d.cost;
      if (running >= amount) {
        exhaustion = d.day;
        break;
      }
    }
  } else if (burnRate > 0 && projected > amount) {
    // The day during which the running total reaches the amount (a boundary instant belongs to the day before).
    exhaustion = dayOf(new Date(asOf.getTime() + ((amount - spend) / burnRate) * DAY - 1));
  }
  const crossed = alerts.filter((a) => used >= a.at);
  const worst = crossed.reduce<'info' | 'warning' | 'critical' | undefined>((w, a) => (rank(a.severity) > rank(w) ? a.severity : w), undefined);
  const status: BudgetSeverity = used >= 1 ? 'over_budget' : worst === 'critical' ? 'critical' : worst === 'warning' ? 'warning' : 'on_track';
  return { spend, used, burnRate, projected, exhaustion, status, crossed };
}

const rank = (s: string | undefined) => (s === 'critical' ? 3 : s === 'warning' ? 2 : s === 'info' ? 1 : 0);

/** True when `status` is at least as severe as `threshold`. */
export const atLeast = (status: BudgetState, threshold: BudgetSeverity): boolean =>
  status !== 'inactive' && BUDGET_STATUSES.indexOf(status) >= BUDGET_STATUSES.indexOf(threshold);
