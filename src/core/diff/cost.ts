import { costOf, priceAt } from '../catalog/catalog.js';
import { estimateCall } from '../estimate.js';
import { renderPrompt } from '../render.js';
import type { Repository } from '../repository.js';
import type { CallCost, CostRow } from '../schemas/diff-report.js';
import type { PromptChange } from './prompts.js';

/** Calls of the last 30 days and their mean output tokens, for one feature × prompt × environment, from usage logs. */
export interface Volume {
  calls: number;
  outputTokens?: number;
}

export interface CostInputs {
  /** Volume by `volumeKey(feature, prompt, environment)` (prompt id as logged, i.e. the base id). */
  volumes?: ReadonlyMap<string, Volume>;
  /** Mean output tokens per call seen in the evals of each side, by `evalKey(prompt id of that side, model)`. */
  evalOutput?: { base?: ReadonlyMap<string, number>; head?: ReadonlyMap<string, number> };
  /** Environment a feature's `traffic` describes (default: the last one, usually production). */
  trafficEnvironment?: string;
  /** Date of the prices (YYYY-MM-DD). */
  date: string;
}

export const evalKey = (prompt: string, model: string) => `${prompt}\u0000${model}`;

export const volumeKey = (feature: string, prompt: string, environment: string) => `${feature}\u0000${prompt}\u0000${environment}`;

/** One side of a cost row, and a row: entries of `cost.rows` in the report (schemas/diff-report.schema.json). */
export type { CallCost, CostRow };

export const MONTH_DAYS = 30;

/** Cost per call and projected monthly cost of each changed prompt, per feature using it and environment, at base and head. */
export function costRows(base: Repository, head: Repository, prompts: readonly PromptChange[], inputs: CostInputs): CostRow[] {
  const rows: CostRow[] = [];
  const environments = Object.keys(head.config.environments);
  const trafficEnv = inputs.trafficEnvironment ?? environments.at(-1);
  for (const p of prompts) {
    const baseId = p.change === 'added' ? undefined : (p.base_id ?? p.id);
    const headId = p.change === 'removed' ? undefined : p.id;
    const features = new Set<string>();
    for (const f of base.features.values()) if (baseId && f.valid && f.data.prompts.includes(baseId)) features.add(f.id);
    for (const f of head.features.values()) if (headId && f.valid && f.data.prompts.includes(headId)) features.add(f.id);
    for (const feature of [...features].sort()) {
      for (const environment of environments) {
        const logged = baseId ? inputs.volumes?.get(volumeKey(feature, baseId, environment)) : undefined;
        const traffic = environment === trafficEnv ? (head.features.get(feature)?.data.traffic?.[headId ?? ''] ?? base.features.get(feature)?.data.traffic?.[baseId ?? '']) : undefined;
        const monthlyCalls = logged?.calls ? logged.calls : traffic !== undefined ? traffic * MONTH_DAYS : 0;
        const callsSource = logged?.calls ? 'usage' : traffic !== undefined ? 'traffic' : 'none';
        // Eval output lengths count only when both sides have them for the model each side uses here, so base and head are priced alike.
        const baseEval = evalOutputFor(base, baseId, feature, environment, inputs.evalOutput?.base);
        const headEval = evalOutputFor(head, headId, feature, environment, inputs.evalOutput?.head);
        const both = baseId === undefined || headId === undefined || (baseEval !== undefined && headEval !== undefined);
        const side = (repo: Repository, id: string | undefined, evalOutput: number | undefined) =>
          id === undefined ? undefined : callCost(repo, id, feature, environment, monthlyCalls, logged?.outputTokens ?? (both ? evalOutput : undefined), logged?.outputTokens !== undefined ? 'usage' : 'eval', inputs.date);
        const b = side(base, baseId, baseEval);
        const h = side(head, headId, headEval);
        if (!b && !h) continue;
        const team = head.features.get(feature)?.data.team ?? base.features.get(feature)?.data.team;
        rows.push({ prompt: p.id, feature, environment, ...(b ? { base: b } : {}), ...(h ? { head: h } : {}), monthly_calls: monthlyCalls, calls_source: callsSource, delta: (h?.monthly ?? 0) - (b?.monthly ?? 0), ...(team ? { team } : {}) });
      }
    }
  }
  return rows;
}

function evalOutputFor(repo: Repository, id: string | undefined, feature: string, environment: string, outputs?: ReadonlyMap<string, number>): number | undefined {
  const model = id === undefined ? undefined : repo.features.get(feature)?.data.environments?.[environment]?.model;
  return model && id !== undefined ? outputs?.get(evalKey(id, model)) : undefined;
}

function callCost(repo: Repository, prompt: string, feature: string, environment: string, monthlyCalls: number, outputTokens: number | undefined, outputSource: 'usage' | 'eval', date: string): CallCost | undefined {
  const f = repo.features.get(feature);
  if (!f?.valid || !f.data.prompts.includes(prompt) || !repo.config.environments[environment]) return undefined;
  const model = f.data.environments[environment]?.model;
  const entity = repo.prompts.get(prompt);
  // An environment only serves the prompt statuses it publishes (a draft costs nothing in production).
  if (!model || !entity?.valid || !repo.config.environments[environment]!.publish.includes(entity.data.status as never)) return undefined;
  const inputTokens = meanInputTokens(repo, prompt, feature, environment, date);
  if (inputTokens === undefined) return undefined;
  const catalogModel = repo.catalog.models[model];
  const price = catalogModel ? priceAt(catalogModel, date) : undefined;
  const output = outputTokens ?? 0;
  const costPerCall = price ? costOf(price, { input: inputTokens, output }) : undefined;
  return {
    model,
    input_tokens: inputTokens,
    output_tokens: output,
    output_source: outputTokens === undefined ? 'none' : outputSource,
    ...(costPerCall !== undefined ? { cost_per_call: costPerCall, monthly: costPerCall * monthlyCalls } : {}),
  };
}

/** Mean input tokens over the renderings of the prompt's tests (variable defaults when it has none that render). */
function meanInputTokens(repo: Repository, prompt: string, feature: string, environment: string, date: string): number | undefined {
  const tests = repo.prompts.get(prompt)!.data.tests ?? [];
  const counts: number[] = [];
  for (const vars of [...tests.map((t) => (t.vars ?? {}) as Record<string, unknown>)]) {
    const { value } = renderPrompt({ repo, prompt, vars, environment, feature });
    if (value) counts.push(estimateCall(repo, value, date).inputTokens);
  }
  if (counts.length === 0) {
    const { value } = renderPrompt({ repo, prompt, vars: {}, environment, feature });
    if (value) counts.push(estimateCall(repo, value, date).inputTokens);
  }
  return counts.length ? counts.reduce((s, n) => s + n, 0) / counts.length : undefined;
}
