import { costOf, priceAt, type Model, type TokenUsage } from '../core/catalog/catalog.js';
import type { Repository } from '../core/repository.js';
import { renderPrompt } from '../core/render.js';
import { countChatTokens } from '../core/tokens.js';
import { sqlString, type Db } from './duckdb.js';
import { SPEND_TABLE } from './scan.js';
import { plural } from '../core/plural.js';

export interface Recommendation {
  kind: 'cheaper-model' | 'prompt-caching' | 'errors';
  /** What to change: `feature@environment`, a prompt id, or `feature · model`. */
  target: string;
  summary: string;
  /** Saving over the analysed window, measured on its calls. */
  saving_usd: number;
  /** The same scaled to 30 days. */
  monthly_saving_usd: number;
  /** What backs it: eval results of both models, usage only, or no evals yet (then `verify` says how). */
  evidence: 'evals' | 'usage' | 'unverified';
  detail: string;
  verify?: string;
}

/** Pass counts per prompt test and model, from `promptops eval --output` files. */
export interface EvalEvidence {
  /** `prompt\0test` → model → passed? */
  outcomes: Map<string, Map<string, boolean>>;
}

export function evalEvidence(results: ReadonlyArray<{ prompt: string; test: string; model?: string; status: string }>): EvalEvidence {
  const outcomes = new Map<string, Map<string, boolean>>();
  for (const r of results) {
    // Errored and skipped tests (offline answers, nothing checked) are no evidence either way.
    if (!r.model || r.status === 'error' || r.status === 'skipped') continue;
    const key = `${r.prompt}\0${r.test}`;
    const byModel = outcomes.get(key) ?? new Map<string, boolean>();
    byModel.set(r.model, (byModel.get(r.model) ?? true) && r.status === 'pass');
    outcomes.set(key, byModel);
  }
  return { outcomes };
}

interface Volume {
  feature: string;
  environment: string | null;
  model_key: string;
  calls: number;
  input: number;
  cached: number;
  written: number;
  output: number;
  reasoning: number;
  cost: number;
}

const MATTERS = ['json_mode', 'structured_output', 'vision', 'tools', 'audio', 'reasoning'] as const;
const CACHE_MIN_PREFIX = 1024;

export interface OptimizeOptions {
  repo: Repository;
  /** First and last day of the analysed window (YYYY-MM-DD, inclusive). */
  window: { from: string; to: string };
  evidence?: EvalEvidence;
  /** Smallest monthly saving worth a line (USD). */
  minMonthly?: number;
}

export async function recommend(db: Db, options: OptimizeOptions): Promise<Recommendation[]> {
  const days = Math.max(1, (Date.parse(options.window.to) - Date.parse(options.window.from)) / 86_400_000 + 1);
  const monthly = (usd: number) => (usd * 30) / days;
  const inWindow = `s._error IS NULL AND s.day BETWEEN DATE ${sqlString(options.window.from)} AND DATE ${sqlString(options.window.to)}`;
  const out = [
    ...(await cheaperModels(db, options, inWindow, monthly)),
    ...(await promptCaching(db, options, inWindow, monthly)),
    ...(await errorSpend(db, inWindow, monthly)),
  ];
  return out.filter((r) => r.monthly_saving_usd >= (options.minMonthly ?? 0.01)).sort((a, b) => b.monthly_saving_usd - a.monthly_saving_usd);
}

const usageOf = (v: Volume, caching: boolean): TokenUsage => ({
  input: v.input,
  output: v.output,
  // A model without prompt caching bills every input token at the input rate.
  cachedInput: caching ? v.cached : 0,
  cacheWrite: caching ? v.written : 0,
  reasoning: v.reasoning,
});

async function cheaperModels(db: Db, options: OptimizeOptions, inWindow: string, monthly: (n: number) => number): Promise<Recommendation[]> {
  const volumes = await db.all<Volume>(
    `SELECT s.feature, s.environment, s.model_key, sum(s.calls) AS calls,
       coalesce(sum(s.input_tokens), 0) AS input, coalesce(sum(s.cached_input_tokens), 0) AS cached, coalesce(sum(s.cache_write_tokens), 0) AS written,
       coalesce(sum(s.output_tokens), 0) AS output, coalesce(sum(s.reasoning_tokens), 0) AS reasoning, coalesce(sum(s.cost_usd), 0) AS cost
     FROM ${SPEND_TABLE} s WHERE ${inWindow} AND NOT s.unpriced GROUP BY ALL HAVING sum(s.cost_usd) > 0`,
  );
  const { catalog } = options.repo;
  const priceDay = options.window.to;
  const out: Recommendation[] = [];
  for (const v of volumes) {
    const current = catalog.models[v.model_key];
    const currentPrice = current && priceAt(current, priceDay);
    if (!current || !currentPrice) continue;
    const needs = MATTERS.filter((c) => current.capabilities.includes(c));
    const currentCost = costOf(currentPrice, usageOf(v, current.capabilities.includes('prompt_caching')));
    const tests = featureTests(options.repo, v.feature);
    let best: { id: string; model: Model; cost: number; evidence: Recommendation['evidence']; detail: string } | undefined;
    for (const [id, model] of Object.entries(catalog.models)) {
      if (id === v.model_key || !['available', 'beta'].includes(model.status) || !model.capabilities.includes('chat')) continue;
      if (!needs.every((c) => model.capabilities.includes(c))) continue;
      const price = priceAt(model, priceDay);
      if (!price) continue;
      const cost = costOf(price, usageOf(v, model.capabilities.includes('prompt_caching')));
      if (cost >= currentCost * 0.95) continue;
      const verdict = compareEvals(options.evidence, tests, v.model_key, id);
      if (verdict.worse) continue;
      const rankOf = (e: Recommendation['evidence']) => (e === 'evals' ? 1 : 0);
      if (!best || rankOf(verdict.evidence) > rankOf(best.evidence) || (rankOf(verdict.evidence) === rankOf(best.evidence) && cost < best.cost)) {
        best = { id, model, cost, evidence: verdict.evidence, detail: verdict.detail };
      }
    }
    if (!best) continue;
    // The measured saving scales the repriced difference to what these calls actually cost.
    const saving = (v.cost * (currentCost - best.cost)) / currentCost;
    out.push({
      kind: 'cheaper-model',
      target: `${v.feature}@${v.environment ?? '(no environment)'}`,
      summary: `${v.model_key} → ${best.id}`,
      saving_usd: saving,
      monthly_saving_usd: monthly(saving),
      evidence: best.evidence,
      detail: `${plural(v.calls, 'call')} repriced: ${pct(1 - best.cost / currentCost)} cheaper; ${best.detail}`,
      verify:
        best.evidence === 'unverified'
          ? `add a model_comparison experiment for ${v.feature} with a variant using ${best.id}, then run promptops eval --experiment <name> --output .promptops/eval/results.json`
          : undefined,
    });
  }
  return out;
}

function featureTests(repo: Repository, feature: string): string[] {
  const prompts = repo.features.get(feature)?.data.prompts ?? [];
  return prompts.flatMap((p) => (repo.prompts.get(p)?.data.tests ?? []).map((t) => `${p}\0${t.name}`));
}

function compareEvals(evidence: EvalEvidence | undefined, tests: readonly string[], current: string, candidate: string): { evidence: Recommendation['evidence']; worse: boolean; detail: string } {
  let both = 0;
  let currentPass = 0;
  let candidatePass = 0;
  for (const t of tests) {
    const byModel = evidence?.outcomes.get(t);
    if (!byModel?.has(current) || !byModel.has(candidate)) continue;
    both++;
    if (byModel.get(current)) currentPass++;
    if (byModel.get(candidate)) candidatePass++;
  }
  if (both === 0) return { evidence: 'unverified', worse: false, detail: `no eval results of ${candidate} on the feature's tests yet` };
  const detail = `evals on ${both} shared tests: ${candidatePass}/${both} pass vs ${currentPass}/${both} now`;
  return { evidence: 'evals', worse: candidatePass < currentPass, detail };
}

async function promptCaching(db: Db, options: OptimizeOptions, inWindow: string, monthly: (n: number) => number): Promise<Recommendation[]> {
  const rows = await db.all<{ prompt_id: string; environment: string | null; model_key: string; calls: number; cached: number; day: Date }>(
    `SELECT s.prompt_id, s.environment, s.model_key, sum(s.calls) AS calls, coalesce(sum(s.cached_input_tokens), 0) AS cached, max(s.day) AS day
     FROM ${SPEND_TABLE} s WHERE ${inWindow} AND s.prompt_id IS NOT NULL AND NOT s._reported GROUP BY ALL`,
  );
  const out: Recommendation[] = [];
  for (const r of rows) {
    const model = options.repo.catalog.models[r.model_key];
    const price = model && priceAt(model, options.window.to);
    if (!model || !price || !model.capabilities.includes('prompt_caching')) continue;
    const cachedRate = price.cached_input_per_mtok ?? price.input_per_mtok;
    if (cachedRate >= price.input_per_mtok) continue;
    const prefix = staticPrefixTokens(options.repo, r.prompt_id, r.environment ?? undefined, model);
    if (prefix === undefined || prefix < CACHE_MIN_PREFIX) continue;
    const uncachedPerCall = prefix - r.cached / r.calls;
    if (uncachedPerCall <= 0) continue;
    const saving = (r.calls * uncachedPerCall * (price.input_per_mtok - cachedRate)) / 1e6;
    out.push({
      kind: 'prompt-caching',
      target: `${r.prompt_id}@${r.environment ?? '(no environment)'}`,
      summary: `cache the ${prefix.toLocaleString('en-US')}-token static prefix on ${r.model_key}`,
      saving_usd: saving,
      monthly_saving_usd: monthly(saving),
      evidence: 'usage',
      detail: `${plural(r.calls, 'call')} averaged ${Math.round(r.cached / r.calls).toLocaleString('en-US')} cached input tokens; the first ${prefix.toLocaleString('en-US')} tokens are the same on every call. Saving if every call hits the cache (keep the prefix first and byte-identical; cache writes not counted).`,
    });
  }
  return out;
}

/**
 * Tokens at the start of a prompt that do not depend on its variables: the common prefix of the
 * prompt rendered with two different tests' variables (undefined with fewer than two tests).
 */
export function staticPrefixTokens(repo: Repository, promptId: string, environment: string | undefined, model: Model): number | undefined {
  const tests = repo.prompts.get(promptId)?.data.tests ?? [];
  if (tests.length < 2) return undefined;
  const render = (vars: Record<string, unknown> | undefined) => renderPrompt({ repo, prompt: promptId, vars, environment }).value;
  const a = render(tests[0]!.vars);
  const b = render(tests[1]!.vars);
  if (!a || !b) return undefined;
  const prefix: Array<{ role: string; content: string }> = [];
  for (let i = 0; i < Math.min(a.messages.length, b.messages.length); i++) {
    const x = a.messages[i]!;
    const y = b.messages[i]!;
    if (x.role === y.role && x.content === y.content) {
      prefix.push(x);
      continue;
    }
    let n = 0;
    while (n < x.content.length && x.content[n] === y.content[n]) n++;
    if (x.role === y.role && n > 0) prefix.push({ role: x.role, content: x.content.slice(0, n) });
    break;
  }
  return prefix.length ? countChatTokens(prefix, model).total : 0;
}

async function errorSpend(db: Db, inWindow: string, monthly: (n: number) => number): Promise<Recommendation[]> {
  const rows = await db.all<{ feature: string; model_key: string; failed: number; calls: number; cost: number; total: number }>(
    `SELECT s.feature, s.model_key,
       coalesce(sum(s.calls) FILTER (WHERE s.status <> 'success'), 0) AS failed, sum(s.calls) AS calls,
       coalesce(sum(s.cost_usd) FILTER (WHERE s.status <> 'success'), 0) AS cost, coalesce(sum(s.cost_usd), 0) AS total
     FROM ${SPEND_TABLE} s WHERE ${inWindow} GROUP BY ALL HAVING cost > 0`,
  );
  return rows.map((r) => ({
    kind: 'errors' as const,
    target: `${r.feature} · ${r.model_key}`,
    summary: `${r.failed.toLocaleString('en-US')} failed calls (${pct(r.failed / r.calls)} of calls) cost ${pct(r.cost / r.total)} of this spend`,
    saving_usd: r.cost,
    monthly_saving_usd: monthly(r.cost),
    evidence: 'usage' as const,
    detail: 'tokens billed for calls that ended in error or timeout: check timeouts, retries and max_tokens',
  }));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

