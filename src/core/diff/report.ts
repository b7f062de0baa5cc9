import { DEFAULT_POLICY } from '../defaults.js';
import type { Diagnostic } from '../diagnostics.js';
import { formatUsd } from '../money.js';
import { locate } from '../source.js';
import type { Repository } from '../repository.js';
import type { CostSummary, DiffReport, Side } from '../schemas/diff-report.js';
import type { TestOutcome } from '../schemas/eval-results.js';
import { budgetImpacts, type BudgetActual, type BudgetImpact } from './budgets.js';
import { costRows, type CostInputs } from './cost.js';
import { diffEntities, type EntityChange } from './entities.js';
import { diffEvals, type EvalDiff } from './evals.js';
import { unansweredFindings } from './evidence.js';
import { checkPolicies } from './policy.js';
import { plural } from '../plural.js';
import { promptChanges, type PromptChange } from './prompts.js';

/** Version of the JSON report (`schema_version`); `comment --from` reads only this one. Matches schemas/diff-report.schema.json. */
export const DIFF_SCHEMA_VERSION = 3;

/** The report, its sides and its cost section (schemas/diff-report.schema.json, from src/core/schemas/diff-report.ts). */
export type { CostSummary, DiffReport, Side };

export interface Thresholds {
  maxRegressions?: number;
  maxIncreaseUsd?: number;
  maxIncreasePct?: number;
}

export interface BuildOptions extends Omit<CostInputs, 'volumes'> {
  base: Repository;
  head: Repository;
  baseSide: Side;
  headSide: Side;
  environment: string;
  /** Prompts whose eval inputs changed without their file changing (feature or catalog changes). */
  assignmentChanged: readonly string[];
  evals?: { base: readonly TestOutcome[]; head: readonly TestOutcome[] };
  volumes?: CostInputs['volumes'];
  actuals?: ReadonlyMap<string, BudgetActual>;
  thresholds?: Thresholds;
}

/** Everything a reviewer needs about a change, from two loaded repositories and the measured inputs. */
export function buildDiffReport(o: BuildOptions): DiffReport {
  const entities = diffEntities(o.base, o.head);
  const prompts = promptChanges(o.base, o.head, entities, o.assignmentChanged, o.environment);
  const renamed = new Map(prompts.filter((p) => p.base_id).map((p) => [p.base_id!, p.id]));
  const evals = o.evals ? diffEvals(o.evals.base, o.evals.head, renamed) : undefined;
  const rows = costRows(o.base, o.head, prompts, o);
  const priced = rows.filter((r) => (!r.base || r.base.cost_per_call !== undefined) && (!r.head || r.head.cost_per_call !== undefined));
  const baseTotal = sum(priced.map((r) => r.base?.monthly ?? 0));
  const headTotal = sum(priced.map((r) => r.head?.monthly ?? 0));
  const cost: CostSummary = {
    rows, base: baseTotal, head: headTotal, delta: headTotal - baseTotal,
    pct: baseTotal > 0 ? ((headTotal - baseTotal) / baseTotal) * 100 : null,
    unpriced: rows.length - priced.length, date: o.date,
  };
  const budgets = budgetImpacts(o.head, priced, o.actuals, o.date);
  // The base's policy applies: a change cannot relax the checks it is judged by (a new policy applies once merged).
  const policyRepo = o.baseSide.exists ? o.base : o.head;
  const diagnostics = o.baseSide.exists ? checkPolicies(o.base, o.head, entities, prompts, { versionBump: policyRepo.config.policy?.require_version_bump ?? DEFAULT_POLICY.require_version_bump }) : [];
  diagnostics.push(...thresholdFindings(o.head, evals, cost, budgets, o.thresholds ?? thresholdsOf(policyRepo)));
  if (o.evals) diagnostics.push(...unansweredFindings(o.head, o.evals.head, { environment: o.environment, allowOffline: policyRepo.config.policy?.allow_offline ?? DEFAULT_POLICY.allow_offline }));
  return {
    kind: 'promptops/diff', schema_version: DIFF_SCHEMA_VERSION,
    base: o.baseSide, head: o.headSide, environment: o.environment,
    entities, prompts, ...(evals ? { evals } : {}), cost, budgets, diagnostics,
    headline: headline(prompts, entities, evals, cost),
  };
}

export const thresholdsOf = (repo: Repository): Thresholds => ({
  maxRegressions: repo.config.policy?.max_eval_regressions ?? DEFAULT_POLICY.max_eval_regressions,
  maxIncreaseUsd: repo.config.policy?.max_monthly_cost_increase_usd,
  maxIncreasePct: repo.config.policy?.max_monthly_cost_increase_pct,
});

function thresholdFindings(head: Repository, evals: EvalDiff | undefined, cost: CostSummary, budgets: readonly BudgetImpact[], t: Thresholds): Diagnostic[] {
  const out: Diagnostic[] = [];
  const config = 'promptops.config.yaml';
  if (evals && t.maxRegressions !== undefined && evals.regressions > t.maxRegressions) {
    out.push({ code: 'eval-regressions', severity: 'error', file: config, message: `${plural(evals.regressions, 'test')} went from pass to fail (at most ${t.maxRegressions} allowed by policy.max_eval_regressions)`, hint: 'fix the regressions listed above, or raise the threshold' });
  }
  if (t.maxIncreaseUsd !== undefined && cost.delta > t.maxIncreaseUsd) {
    out.push({ code: 'cost-increase', severity: 'error', file: config, message: `projected monthly cost rises by ${formatUsd(cost.delta)}, above policy.max_monthly_cost_increase_usd (${formatUsd(t.maxIncreaseUsd)})` });
  }
  if (t.maxIncreasePct !== undefined && cost.pct !== null && cost.pct > t.maxIncreasePct) {
    out.push({ code: 'cost-increase', severity: 'error', file: config, message: `projected monthly cost of the changed prompts rises by ${cost.pct.toFixed(1)}%, above policy.max_monthly_cost_increase_pct (${t.maxIncreasePct}%)` });
  }
  for (const b of budgets.filter((x) => x.blocked)) {
    const entity = head.budgets.get(b.budget);
    out.push({ code: 'budget-blocked', severity: 'error', file: b.file, ...locate(entity?.source, ['amount']), message: `budget "${b.budget}" (enforce: block) would be exceeded: projected ${formatUsd(b.projected_head)} of ${formatUsd(b.amount)} per ${periodNoun(b.period)} after this change (+${formatUsd(b.delta)})`, hint: 'reduce the cost of the change, or raise the budget in the same pull request with its owners\' approval' });
  }
  return out;
}

const periodNoun = (p: BudgetImpact['period']) => ({ daily: 'day', weekly: 'week', monthly: 'month', quarterly: 'quarter', yearly: 'year' })[p];
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** `3 prompts changed · evals 41/42 (−1) · est. +$212/mo (+8.1%)` */
function headline(prompts: readonly PromptChange[], entities: readonly EntityChange[], evals: EvalDiff | undefined, cost: CostSummary): string {
  const parts: string[] = [];
  const n = prompts.length;
  const k = entities.length;
  parts.push(n ? `${plural(n, 'prompt')} changed` : k ? `${plural(k, 'config change')}, no prompt changed` : 'no prompt or config changes');
  if (evals && evals.head.total + evals.base.total > 0) {
    // Skipped tests have no verdict: they are out of the ratio and said apart; unanswered ones are out of the change.
    const d = evals.tests.filter((t) => t.kind !== 'unanswered').reduce((n, t) => n + (t.head === 'pass' ? 1 : 0) - (t.base === 'pass' ? 1 : 0), 0);
    const { skipped } = evals.head;
    const unanswered = skipped ? `, ${plural(skipped, 'test')} skipped (offline)` : evals.assertions_skipped ? `, ${plural(evals.assertions_skipped, 'output assertion')} skipped (offline)` : '';
    parts.push(`evals ${evals.head.passed}/${evals.head.total - skipped}${d ? ` (${signed(d)})` : ''}${unanswered}`);
  }
  if (cost.rows.length) {
    const pct = cost.pct === null ? '' : ` (${signedPct(cost.pct)})`;
    parts.push(`est. ${cost.delta >= 0 ? '+' : '−'}${formatUsd(Math.abs(cost.delta))}/mo${pct}`);
  }
  return parts.join(' · ');
}

/** `passed/checked`, skipped tests (no verdict) said apart: `3/4 + 1 skipped`. */
export const evalRatio = (c: { passed: number; total: number; skipped: number }): string => `${c.passed}/${c.total - c.skipped}${c.skipped ? ` + ${c.skipped} skipped` : ''}`;

export const signed = (n: number): string => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');
export const signedPct = (pct: number): string => `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
