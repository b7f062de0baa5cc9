import type { Repository } from '../repository.js';
import type { BudgetFile } from '../schemas/budget.js';
import type { BudgetImpact, CallCost, CostRow } from '../schemas/diff-report.js';
import { MONTH_DAYS } from './cost.js';

/** Spend of a budget's current period measured in the usage logs. */
export interface BudgetActual {
  spend: number;
  /** Spend at the end of the period if the burn rate holds. */
  projected: number;
  start: string;
  end: string;
}

/** A budget whose scope covers a changed cost row: an entry of `budgets` in the report (schemas/diff-report.schema.json). */
export type { BudgetImpact };

const AVERAGE_PERIOD_DAYS: Record<BudgetFile['period'], number> = { daily: 1, weekly: 7, monthly: 30.436875, quarterly: 91.310625, yearly: 365.2425 };
const DAY = 86_400_000;

/** Budgets whose scope covers a changed cost row, with their projected period spend at base and head. */
export function budgetImpacts(head: Repository, rows: readonly CostRow[], actuals: ReadonlyMap<string, BudgetActual> = new Map(), today?: string): BudgetImpact[] {
  const out: BudgetImpact[] = [];
  for (const entity of [...head.budgets.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!entity.valid) continue;
    const b = entity.data;
    if (today && ((b.starts && today < b.starts) || (b.ends && today > b.ends))) continue;
    let baseMonthly = 0;
    let headMonthly = 0;
    let touched = false;
    for (const row of rows) {
      const inBase = row.base && inScope(b.scope, row, row.base);
      const inHead = row.head && inScope(b.scope, row, row.head);
      touched ||= Boolean(inBase || inHead);
      if (inBase) baseMonthly += row.base!.monthly ?? 0;
      if (inHead) headMonthly += row.head!.monthly ?? 0;
    }
    if (!touched) continue;
    const actual = actuals.get(b.name);
    const days = actual ? (Date.parse(actual.end) - Date.parse(actual.start)) / DAY : AVERAGE_PERIOD_DAYS[b.period];
    const toPeriod = (monthly: number) => (monthly / MONTH_DAYS) * days;
    const delta = toPeriod(headMonthly - baseMonthly);
    const projectedBase = actual ? actual.projected : toPeriod(baseMonthly);
    const projectedHead = Math.max(0, projectedBase + delta);
    const enforce = b.enforce ?? 'warn';
    out.push({
      budget: b.name, file: entity.file, period: b.period, amount: b.amount, enforce, delta, projected_base: projectedBase, projected_head: projectedHead,
      estimated: !actual,
      exceeds: projectedHead > b.amount,
      blocked: enforce === 'block' && delta > 0 && projectedHead > b.amount,
    });
  }
  return out;
}

function inScope(scope: BudgetFile['scope'], row: CostRow, side: CallCost): boolean {
  const provider = side.model.slice(0, side.model.indexOf('/'));
  const checks: Array<[string[] | undefined, string | undefined]> = [
    [scope?.feature, row.feature],
    [scope?.provider, provider],
    [scope?.model, side.model],
    [scope?.environment, row.environment],
    [scope?.team, row.team],
  ];
  return checks.every(([allowed, value]) => !allowed || (value !== undefined && allowed.includes(value)));
}
