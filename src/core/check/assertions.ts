import { compileRegex, fileInRepository } from '../assertion-values.js';
import { didYouMean } from '../diagnostics.js';
import { quote } from '../quote.js';
import type { Entity } from '../repository.js';
import type { Assertion, PromptFile } from '../schemas/prompt.js';
import { compileUserSchema } from '../user-schema.js';
import { report, type CheckContext } from './_context.js';

const TEXT = new Set(['contains', 'icontains', 'starts-with', 'regex', 'llm-rubric']);
const NUMBER = new Set(['max-tokens', 'max-cost', 'latency', 'cost']);
const OUTPUT_ONLY = new Set(['latency', 'cost', 'llm-rubric', 'similar']);
const SCORED = new Set(['llm-rubric', 'similar', 'javascript']);

/** What `promptops eval` would only find out at run time: values of the wrong kind, bad regexes and schemas, missing files, impossible targets. */
export function checkAssertion(ctx: CheckContext, prompt: Entity<PromptFile>, a: Assertion, at: (string | number)[]): void {
  const type = a.type.replace(/^not-/, '');
  const bad = (message: string, hint?: string, key: string = 'value') => report(ctx, prompt, [...at, key], { code: 'assertion', message: `${a.type}: ${message}`, hint, key: a[key as keyof Assertion] === undefined });
  if (a.target === 'prompt' && OUTPUT_ONLY.has(type)) bad(`checks the model output and cannot target the prompt`, 'remove "target: prompt"', 'target');
  if (a.threshold !== undefined && !SCORED.has(type)) report(ctx, prompt, [...at, 'threshold'], { code: 'assertion', severity: 'warning', message: `${a.type}: "threshold" has no effect (only llm-rubric, similar and javascript scores use it)`, hint: 'use "threshold" on the test for a weighted pass mark' });
  if (a.provider !== undefined && !ctx.repo.catalog.models[a.provider]) bad(`unknown model "${a.provider}"`, didYouMean(a.provider, Object.keys(ctx.repo.catalog.models)) ?? 'add it to features/_models.yaml', 'provider');
  const v = a.value;
  if (type === 'is-json') return;
  if (v === undefined || v === null) return bad('needs a "value"', hintFor(type));
  if (TEXT.has(type) && typeof v !== 'string' && typeof v !== 'number') return bad(`"value" must be text, got ${kind(v)}`, hintFor(type));
  if (NUMBER.has(type) && (typeof v !== 'number' || v < 0)) return bad(`"value" must be a number ≥ 0, got ${kind(v)}`, hintFor(type));
  if (type === 'regex') {
    try {
      compileRegex(String(v));
    } catch (error) {
      bad((error as Error).message, 'write a JavaScript regex, optionally as /pattern/flags');
    }
  }
  if (type === 'json-schema') {
    if (typeof v !== 'object' || Array.isArray(v)) return bad(`"value" must be a JSON Schema object, got ${kind(v)}`);
    // Compiled as eval compiles it: a broken schema is an error here, not an errored test later.
    const compiled = compileUserSchema(v);
    if (!compiled.ok) report(ctx, prompt, [...at, 'value', ...compiled.path], { code: 'assertion', key: compiled.key, message: `${a.type}: ${compiled.message}`, hint: 'fix the JSON Schema (draft 2020-12) at this place' });
  }
  if (type === 'similar' && !(typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')))) bad(`"value" must be a text or a list of texts, got ${kind(v)}`);
  if (type === 'javascript') {
    if (typeof v !== 'string') return bad(`"value" must be the path of a .js/.mjs file, got ${kind(v)}`);
    const found = fileInRepository(ctx.repo.root, v);
    if ('problem' in found) bad(found.problem === 'missing' ? `file ${quote(v)} not found` : `file ${quote(v)} is outside the repository`, found.problem === 'missing' ? 'paths are relative to the repository root' : 'assertion code must live in the repository');
  }
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${quote(v)}`);

function hintFor(type: string): string | undefined {
  if (NUMBER.has(type)) return type === 'latency' ? 'milliseconds, e.g. value: 3000' : type === 'max-tokens' ? 'a token count, e.g. value: 800' : 'US dollars per call, e.g. value: 0.002';
  if (type === 'llm-rubric') return 'describe what a good answer does, e.g. value: Answers in two sentences and cites the article';
  return undefined;
}
