import { compileRegex, fileInRepository } from '../core/assertion-values.js';
import { canonicalJson } from '../core/canonical.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileUserSchema } from '../core/user-schema.js';
import type { Assertion } from '../core/schemas/prompt.js';
import type { AssertionOutcome } from '../core/schemas/eval-results.js';
import type { RenderedMessage } from '../core/render.js';
import { gradeRubric, similarity, type GradingCall } from './grading.js';
import type { ModelClient } from './client.js';
import { CallError, testErrorKind } from './types.js';
import { runJsAssertionCall } from './js-assertion-worker.js';

export type Target = 'prompt' | 'output';

/** Outcome of one assertion (schemas/eval-results.schema.json). */
export type AssertionResult = AssertionOutcome;

export interface AssertionContext {
  root: string;
  vars: Record<string, unknown>;
  prompt: { messages: RenderedMessage[]; text: string; inputTokens: number; worstCaseCostUsd?: number };
  output?: { text: string; latencyMs: number; outputTokens: number; costUsd?: number };
  client: ModelClient;
  grader: string;
  embeddingModel: string;
  /** Time limit of one `javascript` assertion call (default ASSERTION_TIMEOUT_MS). */
  assertionTimeoutMs?: number;
  /** Grader and embedding calls are accounted separately from the tested call. */
  onGradingCall: (call: GradingCall) => void;
}

/** Default time limit of a `javascript` assertion call: generous for real checks, short enough to notice a loop. */
export const ASSERTION_TIMEOUT_MS = 5_000;

const PROMPT_DEFAULT = new Set(['max-tokens', 'max-cost']);
const OUTPUT_ONLY = new Set(['latency', 'cost', 'llm-rubric', 'similar']);

export const baseType = (type: string) => (type.startsWith('not-') ? type.slice(4) : type);
export const targetOf = (a: Pick<Assertion, 'type' | 'target'>): Target => a.target ?? (PROMPT_DEFAULT.has(baseType(a.type)) ? 'prompt' : 'output');
export const needsOutput = (a: Pick<Assertion, 'type' | 'target'>) => targetOf(a) === 'output';

interface Outcome {
  pass: boolean;
  score?: number;
  reason: string;
  error?: boolean;
  skipped?: boolean;
}

/** An output assertion on an offline answer: not checked, so neither passed nor failed, and without weight in the score. */
export function skippedAssertion(assertion: Assertion): AssertionResult {
  return { ...baseOf(assertion), pass: false, score: 0, skipped: true, reason: 'skipped: the offline provider answered (a stand-in made from the request, not a model answer); record real answers with "promptops eval --record"' };
}

const baseOf = (assertion: Assertion) => ({ type: assertion.type, target: targetOf(assertion), weight: assertion.weight ?? 1, ...(assertion.description ? { description: assertion.description } : {}) });

/** Evaluates one assertion; never throws, a problem becomes an errored result with its reason. */
export async function evaluateAssertion(assertion: Assertion, ctx: AssertionContext): Promise<AssertionResult> {
  const negate = assertion.type.startsWith('not-');
  const type = baseType(assertion.type);
  const target = targetOf(assertion);
  const base = baseOf(assertion);
  let outcome: Outcome;
  try {
    outcome = await evaluate(type, target, assertion, ctx);
  } catch (error) {
    // A grader or embedding provider that cannot be used at all makes the run exit 3, like the tested call.
    // A grading call missing from the recordings is a replay miss of the test, like a missing answer.
    // A grader that is down, overloaded or silent after the retries is as much an infrastructure failure as the tested call's provider.
    const kind = error instanceof CallError ? (error.kind === 'timeout' || error.kind === 'rate-limit' ? 'unreachable' : testErrorKind(error)) : undefined;
    const known = kind === 'unreachable' || kind === 'config' || kind === 'grader-offline' || kind === 'replay-miss' ? { error_kind: kind } : {};
    return { ...base, pass: false, score: 0, reason: (error as Error).message, error: true, ...known };
  }
  if (outcome.error) return { ...base, pass: false, score: 0, reason: outcome.reason, error: true };
  if (outcome.skipped) return { ...base, pass: false, score: 0, skipped: true, reason: outcome.reason };
  const score = outcome.score ?? (outcome.pass ? 1 : 0);
  return negate ? { ...base, pass: !outcome.pass, score: 1 - score, reason: `not: ${outcome.reason}` } : { ...base, pass: outcome.pass, score, reason: outcome.reason };
}

async function evaluate(type: string, target: Target, a: Assertion, ctx: AssertionContext): Promise<Outcome> {
  if (target === 'prompt' && OUTPUT_ONLY.has(type)) return { pass: false, error: true, reason: `${type} checks the model output; remove "target: prompt"` };
  const subject = target === 'prompt' ? ctx.prompt.text : ctx.output?.text;
  if (subject === undefined) return { pass: false, error: true, reason: 'no model output to check' };
  const what = target === 'prompt' ? 'prompt' : 'output';
  switch (type) {
    case 'contains':
    case 'icontains': {
      const needle = text(a.value, type);
      const found = type === 'icontains' ? subject.toLowerCase().includes(needle.toLowerCase()) : subject.includes(needle);
      return { pass: found, reason: found ? `${what} contains ${quote(needle)}` : `${what} does not contain ${quote(needle)}${excerpt(subject)}` };
    }
    case 'starts-with': {
      const prefix = text(a.value, type);
      const ok = subject.startsWith(prefix);
      return { pass: ok, reason: ok ? `${what} starts with ${quote(prefix)}` : `${what} does not start with ${quote(prefix)}${excerpt(subject)}` };
    }
    case 'equals': {
      if (a.value !== null && typeof a.value === 'object') {
        const parsed = parseJson(subject);
        const ok = parsed.ok && canonicalJson(parsed.value) === canonicalJson(a.value);
        return { pass: ok, reason: ok ? `${what} equals the expected JSON` : parsed.ok ? `${what} JSON differs from the expected value${excerpt(subject)}` : `${what} is not JSON (${parsed.error})` };
      }
      const expected = text(a.value, type);
      const ok = subject === expected;
      return { pass: ok, reason: ok ? `${what} equals ${quote(expected)}` : `${what} is not equal to ${quote(expected)}${excerpt(subject)}` };
    }
    case 'regex': {
      const re = regex(a.value);
      const ok = re.test(subject);
      return { pass: ok, reason: ok ? `${what} matches ${re}` : `${what} does not match ${re}${excerpt(subject)}` };
    }
    case 'is-json': {
      const parsed = parseJson(subject);
      return { pass: parsed.ok, reason: parsed.ok ? `${what} is valid JSON` : `${what} is not valid JSON: ${parsed.error}${excerpt(subject)}` };
    }
    case 'json-schema': {
      const parsed = parseJson(subject);
      if (!parsed.ok) return { pass: false, reason: `${what} is not valid JSON: ${parsed.error}${excerpt(subject)}` };
      const validate = schemaValidator(a.value);
      const ok = validate(parsed.value) as boolean;
      const first = validate.errors?.[0];
      return { pass: ok, reason: ok ? `${what} matches the JSON Schema` : `${what} does not match the JSON Schema: ${first?.instancePath || '(root)'} ${first?.message ?? ''}`.trim() };
    }
    case 'max-tokens': {
      const limit = number(a.value, type);
      const tokens = target === 'prompt' ? ctx.prompt.inputTokens : ctx.output!.outputTokens;
      return { pass: tokens <= limit, reason: `${what} has ${tokens} tokens (limit ${limit})` };
    }
    case 'max-cost':
    case 'cost': {
      const limit = number(a.value, type);
      const cost = target === 'prompt' ? ctx.prompt.worstCaseCostUsd : ctx.output!.costUsd;
      if (cost === undefined) return { pass: false, error: true, reason: 'the model has no price in the catalog on this date; add pricing to features/_models.yaml' };
      const label = target === 'prompt' ? 'worst-case cost per call (input + max_tokens output)' : 'call cost';
      return { pass: cost <= limit, reason: `${label} $${cost.toFixed(6)} (limit $${limit})` };
    }
    case 'latency': {
      const limit = number(a.value, type);
      const ms = Math.round(ctx.output!.latencyMs);
      return { pass: ms <= limit, reason: `latency ${ms} ms (limit ${limit} ms)` };
    }
    case 'llm-rubric': {
      const grade = await gradeRubric({ client: ctx.client, model: a.provider ?? ctx.grader, rubric: text(a.value, type), output: subject, onCall: ctx.onGradingCall });
      const threshold = a.threshold ?? 0.5;
      const pass = grade.pass && grade.score >= threshold;
      return { pass, score: grade.score, reason: `grader score ${grade.score.toFixed(2)} (threshold ${threshold})${grade.pass ? '' : ', judged failing'}: ${grade.reason}` };
    }
    case 'similar': {
      const expected = Array.isArray(a.value) ? a.value.map((v) => text(v, type)) : [text(a.value, type)];
      const threshold = a.threshold ?? 0.8;
      const { scores, offline } = await similarity({ client: ctx.client, model: a.provider ?? ctx.embeddingModel, output: subject, expected, onCall: ctx.onGradingCall });
      // Offline embeddings are hashed bags of words: a score from them is not the similarity the test asks about.
      if (offline) return { pass: false, skipped: true, reason: `skipped: the offline provider answered the embedding call (hashed words, not ${a.provider ?? ctx.embeddingModel}); record real embeddings with "promptops eval --record"` };
      const best = Math.max(...scores);
      return { pass: best >= threshold, score: Math.max(0, best), reason: `cosine similarity ${best.toFixed(3)} (threshold ${threshold})` };
    }
    case 'javascript':
      return runJavascript(a, subject, ctx);
    default:
      return { pass: false, error: true, reason: `unknown assertion type "${type}"` };
  }
}

function text(value: unknown, type: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${type} needs a text "value"`);
}

function number(value: unknown, type: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Error(`${type} needs a number "value"`);
}

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
const excerpt = (s: string) => ` (got ${quote(s.replace(/\s+/g, ' ').trim())}, ${s.length} chars)`;

const regexCache = new Map<string, RegExp>();
function regex(value: unknown): RegExp {
  const source = text(value, 'regex');
  let re = regexCache.get(source);
  if (!re) regexCache.set(source, (re = compileRegex(source)));
  return re;
}

function parseJson(s: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Compiled by the helper validate uses too, so a schema validate accepts is one eval can run (a shared $id included). */
function schemaValidator(schema: unknown): ValidateFunction {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('json-schema needs a JSON Schema object as "value"');
  const compiled = compileUserSchema(schema);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.validate;
}

/** A function exported (default) by a file inside the repository; it returns a boolean, a 0..1 score or `{pass, score?, reason?}`. */
async function runJavascript(a: Assertion, subject: string, ctx: AssertionContext): Promise<Outcome> {
  const file = text(a.value, 'javascript');
  const found = fileInRepository(ctx.root, file);
  if ('problem' in found) {
    const reason = found.problem === 'missing' ? `javascript file ${file} not found (paths are relative to the repository root)` : `javascript file ${file} is outside the repository`;
    return { pass: false, error: true, reason };
  }
  const result = await runJsAssertionCall({ file: found.path, label: file, output: subject, context: { vars: ctx.vars, prompt: ctx.prompt.text }, timeoutMs: ctx.assertionTimeoutMs ?? ASSERTION_TIMEOUT_MS });
  if (!result.ok) return { pass: false, error: true, reason: result.reason };
  const { value } = result;
  if (typeof value === 'boolean') return { pass: value, reason: `${file} returned ${value}` };
  if (typeof value === 'number') {
    const threshold = a.threshold ?? 0.5;
    return { pass: value >= threshold, score: Math.min(1, Math.max(0, value)), reason: `${file} scored ${value} (threshold ${threshold})` };
  }
  if (value && typeof value === 'object' && typeof (value as { pass?: unknown }).pass === 'boolean') {
    const r = value as { pass: boolean; score?: number; reason?: string };
    return { pass: r.pass, score: typeof r.score === 'number' ? Math.min(1, Math.max(0, r.score)) : undefined, reason: r.reason ?? `${file} returned pass=${r.pass}` };
  }
  return { pass: false, error: true, reason: `${file} returned ${JSON.stringify(value)}; expected a boolean, a number or {pass, score, reason}` };
}
