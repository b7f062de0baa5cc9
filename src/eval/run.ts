import pLimit from 'p-limit';
import { costOf, priceAt, todayUtc } from '../core/catalog/catalog.js';
import { estimateCall } from '../core/estimate.js';
import { renderPrompt } from '../core/render.js';
import type { Repository } from '../core/repository.js';
import { locate } from '../core/source.js';
import { countChatTokens, countTokens, encodingFor } from '../core/tokens.js';
import { evaluateAssertion, needsOutput, skippedAssertion, type AssertionContext, type AssertionResult } from './assertions.js';
import type { ModelClient } from './client.js';
import type { GradingCall } from './grading.js';
import type { EvalJob } from './plan.js';
import type { TestOutcome } from '../core/schemas/eval-results.js';
import { CallError, testErrorKind, type CallErrorKind, type ChatResponse } from './types.js';

export type TestStatus = TestOutcome['status'];

export type TokenCount = NonNullable<TestOutcome['tokens']>;

/** One test's result: an entry of `results` in the results file (schemas/eval-results.schema.json). */
export type TestResult = TestOutcome;

export interface RunOptions {
  repo: Repository;
  environment: string;
  jobs: EvalJob[];
  client: ModelClient;
  /** Default grader (`llm-rubric`) and embedding (`similar`) models. */
  grader: string;
  embeddingModel: string;
  /** Time limit of one `javascript` assertion call, in ms (default ASSERTION_TIMEOUT_MS). */
  assertionTimeoutMs?: number;
  /** Tests in flight at once. */
  concurrency: number;
  /** Date of the prices (default today, UTC). */
  date?: string;
  /** Called once per test, in plan order, as soon as it and all earlier ones are done (so results stream). */
  onResult?: (result: TestResult) => void | Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

/** Runs the planned tests; a failing call errors its test and the run goes on. */
export async function runTests(options: RunOptions): Promise<void> {
  const { jobs } = options;
  const limit = pLimit(options.concurrency);
  const done = new Map<number, TestResult>();
  let next = 0;
  let finished = 0;
  // Results complete out of order; a small reorder buffer keeps the output deterministic.
  let flushing = Promise.resolve();
  const flush = () => {
    flushing = flushing.then(async () => {
      while (done.has(next)) {
        const result = done.get(next)!;
        done.delete(next++);
        await options.onResult?.(result);
      }
    });
    return flushing;
  };
  await Promise.all(
    jobs.map((job, i) =>
      limit(async () => {
        const result = await runTest(job, options);
        // Where to look: tests that did not pass, and those with assertions no model answered.
        if (result.status !== 'pass' || result.assertions.some((a) => a.skipped)) result.line = locate(options.repo.prompts.get(job.prompt)!.source, ['tests', job.testIndex]).line;
        done.set(i, result);
        options.onProgress?.(++finished, jobs.length);
        await flush();
      }),
    ),
  );
  await flushing;
}

async function runTest(job: EvalJob, options: RunOptions): Promise<TestResult> {
  const { repo, environment, client } = options;
  const entity = repo.prompts.get(job.prompt)!;
  const date = options.date ?? todayUtc();
  const grading = { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, estimated: false };
  const base = {
    prompt: job.prompt,
    ...(job.render !== job.prompt ? { rendered_prompt: job.render } : {}),
    prompt_version: repo.prompts.get(job.render)?.data.version ?? entity.data.version,
    test: job.test.name,
    ...(job.variant ? { variant: job.variant } : {}),
    environment,
    file: entity.file,
    ...(job.test.threshold !== undefined ? { threshold: job.test.threshold } : {}),
  };
  const errored = (kind: NonNullable<TestResult['error']>['kind'], message: string, rest: Partial<TestResult> = {}): TestResult => ({ ...base, status: 'error', score: 0, assertions: [], grading, ...rest, error: { kind, message } });

  const rendered = renderPrompt({ repo, prompt: job.render, vars: job.test.vars ?? {}, environment, feature: job.feature });
  if (!rendered.value) {
    return errored('render', rendered.diagnostics.map((d) => d.message + (d.hint ? ` (${d.hint})` : '')).join('; '));
  }
  const model = job.model ?? rendered.value.model;
  const params = { ...rendered.value.params, ...job.params };
  const call = { ...rendered.value, model, params };
  const assertions = job.test.assert;
  const wantsOutput = assertions.some(needsOutput);
  // The call goes out first; counting tokens and checking the prompt overlap with waiting for it.
  const pending = wantsOutput && model
    ? client.chat({ model, params, messages: call.messages }).then((response) => ({ response }), (error: unknown) => ({ error }))
    : undefined;
  const estimate = estimateCall(repo, call, date);
  const catalogModel = model ? repo.catalog.models[model] : undefined;
  const price = catalogModel ? priceAt(catalogModel, date) : undefined;
  const where = { feature: rendered.value.feature, model };

  const ctx: AssertionContext = {
    root: repo.root,
    vars: job.test.vars ?? {},
    prompt: { messages: call.messages, text: call.messages.map((m) => m.content).join('\n\n'), inputTokens: estimate.inputTokens, worstCaseCostUsd: estimate.maxCostUsd },
    client,
    grader: options.grader,
    embeddingModel: options.embeddingModel,
    assertionTimeoutMs: options.assertionTimeoutMs,
    onGradingCall: (g) => account(repo, g, date, grading),
  };
  // Slots in file order: prompt assertions run first, output ones after the call.
  const slots: (AssertionResult | undefined)[] = new Array(assertions.length);
  for (const [i, a] of assertions.entries()) if (!needsOutput(a)) slots[i] = await evaluateAssertion(a, ctx);
  const evaluated = () => slots.filter((r): r is AssertionResult => r !== undefined);

  let response: ChatResponse | undefined;
  let tokens: TokenCount | undefined;
  let cost: number | undefined;
  if (wantsOutput) {
    if (!pending) {
      return errored('no-model', `no model serves prompt "${job.render}" in ${environment}: no feature using it assigns one; set "feature" or "model" on the test`, { ...where, assertions: evaluated() });
    }
    const settled = await pending;
    if ('error' in settled) {
      if (!(settled.error instanceof CallError)) throw settled.error;
      return errored(testErrorKind(settled.error), settled.error.message, { ...where, assertions: evaluated() });
    }
    response = settled.response;
    tokens = response.usage
      ? { input: response.usage.input, output: response.usage.output, cached_input: response.usage.cachedInput, reasoning: response.usage.reasoning, estimated: false }
      : { input: estimate.inputTokens, output: countTokens(estimate.encoding, response.text), estimated: true };
    // The offline provider's echo is not a real answer; pricing it would invent spend.
    cost = price && response.source !== 'offline' ? costOf(price, { input: tokens.input, output: tokens.output, cachedInput: tokens.cached_input, reasoning: tokens.reasoning }) : undefined;
    ctx.output = { text: response.text, latencyMs: response.latencyMs, outputTokens: tokens.output, costUsd: cost };
    // The offline answer is an echo of the input (or the smallest JSON the schema allows): checking
    // it would pass "icontains password" because the question said "password". Nothing is checked.
    for (const [i, a] of assertions.entries()) if (needsOutput(a)) slots[i] = response.source === 'offline' ? skippedAssertion(a) : await evaluateAssertion(a, ctx);
  }
  const results = evaluated();
  // Only checked assertions decide; with none checked, the test is skipped rather than passed.
  const checked = results.filter((r) => !r.skipped);
  const weight = checked.reduce((s, r) => s + r.weight, 0);
  const score = weight > 0 ? checked.reduce((s, r) => s + r.weight * r.score, 0) / weight : checked.every((r) => r.pass) ? 1 : 0;
  const failedError = checked.find((r) => r.error);
  const pass = job.test.threshold !== undefined ? score >= job.test.threshold - 1e-9 : checked.every((r) => r.pass);
  const skipped = checked.length === 0 && results.length > 0;
  return {
    ...base,
    ...where,
    status: failedError ? 'error' : skipped ? 'skipped' : pass ? 'pass' : 'fail',
    score: round(score),
    assertions: results,
    ...(failedError ? { error: { kind: failedError.error_kind ?? ('assertion' as const), message: `${failedError.type}: ${failedError.reason}` } } : {}),
    ...(skipped ? { score: 0 } : {}),
    ...(response ? { output: response.text, source: response.source, latency_ms: Math.round(response.latencyMs), tokens, ...(cost !== undefined ? { cost_usd: round(cost, 1e10) } : {}) } : {}),
    grading,
  };
}

const round = (n: number, scale = 1e6) => Math.round(n * scale) / scale;

function account(repo: Repository, call: GradingCall, date: string, into: TestResult['grading']): void {
  into.calls++;
  if (call.source === 'offline') return;
  const model = repo.catalog.models[call.model];
  let usage = call.usage;
  if (!usage) {
    into.estimated = true;
    const { encoding } = encodingFor(model);
    const texts = call.input ?? [];
    usage = call.output === undefined
      ? { input: texts.reduce((n, t) => n + countTokens(encoding, t), 0), output: 0 }
      : { input: countChatTokens(texts.map((content) => ({ role: 'user', content })), model).total, output: countTokens(encoding, call.output) };
  }
  into.input_tokens += usage.input;
  into.output_tokens += usage.output;
  const price = model ? priceAt(model, date) : undefined;
  if (price) into.cost_usd = round(into.cost_usd + costOf(price, { input: usage.input, output: usage.output, cachedInput: usage.cachedInput, reasoning: usage.reasoning }));
}
