// Benchmark: `render()` of the runtime client for a cached prompt (target: median under 5 µs).
// Baselines, in the same process: (1) the prompt's template functions as the client prepares them,
// called with an already checked context: the Handlebars work alone, so the difference is what the
// client adds (prompt lookup, variable checks and defaults, result object); (2) the same precompiled
// templates called the usual Handlebars way (`template(context, options)`), which redoes Handlebars'
// set-up on every call: what a service rendering precompiled Handlebars templates itself would pay.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { compileBundle } from '../src/core/compile.js';
import { loadRepository } from '../src/core/repository.js';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../src/publish/sign.js';
import { createClient } from '../src/runtime/index.js';
import HandlebarsRuntime from 'handlebars/runtime.js';
import { HELPERS, RUNTIME_OPTIONS } from '../src/core/template/helpers.js';
import { instantiatePrompt } from '../src/runtime/_templates.js';

const CALLS = 200_000;
const WARMUP = 20_000;
const root = join(import.meta.dirname, '..');
const environment = 'production';

const repo = loadRepository({ root }).value;
const compiled = compileBundle({ repo, environment }).value!;
const keys = generateSigningKeys();
const dir = mkdtempSync(join(tmpdir(), 'promptops-bench-runtime-'));
const file = join(dir, `${environment}.json`);
writeFileSync(file, signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment }, privateKeyFrom(keys.privateKey)));

const client = createClient({ source: file, environment, publicKey: keys.publicKey, pollIntervalMs: 3_600_000 });
await client.ready();

const ROUNDS = 20;

/**
 * Per-call times in ns (hrtime around each call, so p99 is per call, not per batch). The functions
 * run in alternating rounds, so load from other processes weighs on all of them alike.
 */
function measure(...fns: (() => unknown)[]): number[][] {
  for (const fn of fns) for (let i = 0; i < WARMUP; i++) fn();
  const perRound = CALLS / ROUNDS;
  const times = fns.map(() => new Float64Array(CALLS));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [f, fn] of fns.entries()) {
      const into = times[f]!;
      for (let i = round * perRound; i < (round + 1) * perRound; i++) {
        const start = process.hrtime.bigint();
        fn();
        into[i] = Number(process.hrtime.bigint() - start);
      }
    }
  }
  return times.map((t) => Array.from(t).sort((a, b) => a - b));
}

const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
const [clock] = measure(() => undefined) as [number[]];

console.log(`runtime render, ${CALLS.toLocaleString('en')} calls per prompt after ${WARMUP.toLocaleString('en')} warm-up calls (clock overhead per call ~${us(quantileSorted(clock, 0.5))}, included below)`);
for (const promptId of ['search/query-rewrite', 'shared/safety-check', 'chatbot/system']) {
  const vars = repo.prompts.get(promptId)!.data.tests![0]!.vars ?? {};
  const rendered = client.render(promptId, vars);
  const context = { ...Object.fromEntries(Object.entries(compiled.bundle.prompts[promptId]!.variables).map(([name, spec]) => [name, spec.default ?? null])), ...vars };
  const parts = instantiatePrompt(promptId, compiled.bundle.prompts[promptId]!.compiled);
  const plain = plainHandlebars(compiled.bundle.prompts[promptId]!.compiled);
  for (const fns of [parts, plain]) {
    if (fns.map((fn) => fn(context)).join('\n') !== rendered.messages.map((m) => m.content).join('\n')) throw new Error(`baseline of ${promptId} renders differently`);
  }

  const [render, baseline, usual] = measure(
    () => client.render(promptId, vars),
    () => {
      for (const fn of parts) fn(context);
    },
    () => {
      for (const fn of plain) fn(context);
    },
  ) as [number[], number[], number[]];
  const chars = rendered.messages.reduce((n, m) => n + m.content.length, 0);
  console.log(`  ${promptId} (${rendered.messages.length} message${rendered.messages.length > 1 ? 's' : ''}, ${chars.toLocaleString('en')} chars)`);
  console.log(`    render()                 median ${us(quantileSorted(render, 0.5))}  p99 ${us(quantileSorted(render, 0.99))}`);
  console.log(`    templates alone (base)   median ${us(quantileSorted(baseline, 0.5))}  p99 ${us(quantileSorted(baseline, 0.99))}`);
  console.log(`    usual Handlebars calls   median ${us(quantileSorted(usual, 0.5))}  p99 ${us(quantileSorted(usual, 0.99))}`);
  console.log(`    ratios (median)          render/base ${(quantileSorted(render, 0.5) / quantileSorted(baseline, 0.5)).toFixed(2)}×, render/usual ${(quantileSorted(render, 0.5) / quantileSorted(usual, 0.5)).toFixed(2)}×  (target: median < 5 µs${quantileSorted(render, 0.5) < 5000 ? ', met' : ', MISSED'})`);
}

// render() with a unit: the feature's running experiment (chatbot-tone: 50% coverage, the friendly
// variant renders chatbot/system-friendly) is applied on every call, against the same render without one.
{
  const vars = repo.prompts.get('chatbot/system')!.data.tests![0]!.vars ?? {};
  const unitIn = (variant: string | undefined) => {
    for (let i = 0; ; i++) {
      const rendered = client.render('chatbot/system', vars, { feature: 'chatbot', unit: { user_id: `user-${i}` } });
      if (rendered.variant === variant) return { user_id: `user-${i}` };
    }
  };
  const [outside, control, friendly] = [unitIn(undefined), unitIn('control'), unitIn('friendly')];
  const [none, out, ctl, fr] = measure(
    () => client.render('chatbot/system', vars, { feature: 'chatbot' }),
    () => client.render('chatbot/system', vars, { feature: 'chatbot', unit: outside }),
    () => client.render('chatbot/system', vars, { feature: 'chatbot', unit: control }),
    () => client.render('chatbot/system', vars, { feature: 'chatbot', unit: friendly }),
  ) as [number[], number[], number[], number[]];
  console.log('  chatbot/system with the chatbot-tone experiment (unit given as attributes)');
  for (const [label, times] of [['no unit', none], ['unit outside coverage', out], ['unit in control', ctl], ['unit in friendly (other prompt)', fr]] as const) {
    console.log(`    ${label.padEnd(32)} median ${us(quantileSorted(times, 0.5))}  p99 ${us(quantileSorted(times, 0.99))}`);
  }
}

/** The precompiled templates instantiated and called the usual way, with every helper registered. */
function plainHandlebars(spec: { parts: string[]; partials: Record<string, string> }): ((context: object) => string)[] {
  const env = (HandlebarsRuntime as unknown as typeof import('handlebars')).create();
  const load = (source: string) => env.template(new Function(`return (${source});`)());
  for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
  for (const [name, partial] of Object.entries(spec.partials)) env.registerPartial(name, load(partial));
  return spec.parts.map((part) => {
    const template = load(part);
    return (context) => template(context, RUNTIME_OPTIONS);
  });
}

await client.close();
rmSync(dir, { recursive: true, force: true });
