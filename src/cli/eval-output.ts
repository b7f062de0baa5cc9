import cliProgress from 'cli-progress';
import { plural } from '../core/plural.js';
import { textTable } from './table.js';
import { passRate, type EvalSummary, type GroupSummary } from '../eval/report.js';
import type { TestResult } from '../eval/run.js';
import { workflowCommand } from './format.js';
import { colors, type Io } from './io.js';

/** A progress bar on an interactive terminal; nothing in CI logs or pipes. */
export function createProgress(io: Io, stream: NodeJS.WritableStream = process.stderr) {
  const enabled = io.isTTY && !io.env.CI;
  const bar = enabled ? new cliProgress.SingleBar({ format: 'eval {bar} {value}/{total} tests · {duration_formatted}', stream, hideCursor: true, clearOnComplete: true, noTTYOutput: true, notTTYSchedule: 100 }, cliProgress.Presets.shades_classic) : undefined;
  return {
    start: (total: number) => bar?.start(total, 0),
    update: (done: number) => bar?.update(done),
    stop: () => bar?.stop(),
  };
}

const ICON = { pass: '✓', fail: '✗', error: '!', skipped: '-' } as const;

/** Failing, errored and skipped tests (all tests with --verbose), each with the assertions that decided it. */
export function printFailures(io: Io, results: TestResult[]): void {
  const c = colors(io);
  for (const r of results) {
    const paint = r.status === 'pass' ? c.green : r.status === 'fail' ? c.red : r.status === 'skipped' ? c.dim : c.yellow;
    const name = `${r.prompt}${r.variant ? ` [${r.variant}]` : ''} › ${r.test}`;
    io.out(`${paint(`${ICON[r.status]} ${name}`)} ${c.dim(`${r.file}${r.line ? `:${r.line}` : ''}${r.model ? ` · ${r.model}` : ''}${r.threshold !== undefined ? ` · score ${r.score} (threshold ${r.threshold})` : ''}`)}`);
    if (r.error && r.error.kind !== 'assertion') io.out(`    ${c.yellow(`error (${r.error.kind}):`)} ${r.error.message}`);
    for (const a of r.assertions) {
      if (a.pass && r.status !== 'pass') continue;
      const mark = a.skipped ? c.dim('-') : a.error ? c.yellow('!') : a.pass ? c.green('✓') : c.red('✗');
      io.out(`    ${mark} ${a.type}${a.target === 'prompt' ? c.dim(' (prompt)') : ''}: ${a.reason}${a.description && !a.pass ? c.dim(` — ${a.description}`) : ''}`);
    }
  }
  if (results.length) io.out('');
}

export function printSummary(io: Io, s: EvalSummary, info: { environment: string; mode: string; provider: string; experiment?: string; seconds: number }): void {
  const c = colors(io);
  if (s.total === 0) {
    io.out(`No tests to run in ${info.environment}${info.experiment ? ` for experiment ${info.experiment}` : ''}.`);
    return;
  }
  const variants = s.groups.some((g) => g.variant);
  const head = [variants ? 'prompt [variant]' : 'prompt', 'pass', 'fail', 'error', 'skip', 'rate', 'tokens in', 'tokens out', 'cost', 'p50', 'p95'];
  const rows = (variants ? byVariant(s.groups) : s.groups).map((g) => [
    g.variant ? `${g.prompt} [${g.variant}]` : g.prompt,
    String(g.passed),
    String(g.failed),
    String(g.errored),
    String(g.skipped),
    // A rate that rests partly on prompt assertions alone (output ones skipped) is marked.
    `${g.skipped === g.total ? '-' : `${Math.round(g.pass_rate * 100)}%`}${g.assertions_skipped ? '*' : ''}`,
    `${g.tokens_estimated ? '~' : ''}${g.input_tokens.toLocaleString('en-US')}`,
    `${g.tokens_estimated ? '~' : ''}${g.output_tokens.toLocaleString('en-US')}`,
    `${g.tokens_estimated && g.cost_usd ? '~' : ''}${usd(g.cost_usd)}`,
    ms(g.latency_p50_ms),
    ms(g.latency_p95_ms),
  ]);
  io.out(textTable(head, rows, c.bold));
  const sources = Object.entries(s.sources).map(([k, v]) => `${v} ${k}`).join(', ');
  const status = [s.passed || !s.skipped ? `${s.passed} passed` : undefined, s.failed ? c.red(`${s.failed} failed`) : undefined, s.errored ? c.yellow(`${s.errored} errored`) : undefined, s.skipped ? c.dim(`${s.skipped} skipped`) : undefined].filter(Boolean).join(', ');
  const grading = s.grading.calls ? ` (+ ${usd(s.grading.cost_usd)} grading, ${plural(s.grading.calls, 'call')})` : '';
  io.out(`\n${c.bold(plural(s.total, 'test'))}: ${status} · ${(s.input_tokens + s.output_tokens).toLocaleString('en-US')} tokens · ${usd(s.cost_usd)}${grading} · ${info.environment} · ${info.provider}, ${info.mode}${sources ? ` (${sources})` : ''} · ${info.seconds.toFixed(1)}s`);
  if (s.assertions_skipped) io.out(c.yellow(`* ${plural(s.assertions_skipped, 'output assertion')} skipped: the offline provider answered, so no model output was checked; record real answers with "promptops eval --record --provider live" (API keys exported).`));
  if (s.unreachable) io.out(c.yellow(`${plural(s.unreachable, 'test')} got no answer from their provider (exit 3): check the errors above, the API key variables and base URLs.`));
}

/** With variants, rows group per variant (all prompts) first, so variants compare side by side. */
function byVariant(groups: GroupSummary[]): GroupSummary[] {
  const totals = new Map<string, GroupSummary>();
  for (const g of groups) {
    const t = totals.get(g.variant!) ?? { ...g, prompt: 'all prompts', total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, assertions_skipped: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, grading_cost_usd: 0, tokens_estimated: false, latency_p50_ms: undefined, latency_p95_ms: undefined };
    t.total += g.total;
    t.passed += g.passed;
    t.failed += g.failed;
    t.errored += g.errored;
    t.skipped += g.skipped;
    t.assertions_skipped += g.assertions_skipped;
    t.input_tokens += g.input_tokens;
    t.output_tokens += g.output_tokens;
    t.cost_usd += g.cost_usd;
    t.tokens_estimated ||= g.tokens_estimated;
    // Per-prompt percentiles cannot be merged exactly; show the worst prompt's.
    t.latency_p50_ms = max(t.latency_p50_ms, g.latency_p50_ms);
    t.latency_p95_ms = max(t.latency_p95_ms, g.latency_p95_ms);
    t.pass_rate = passRate(t);
    totals.set(g.variant!, t);
  }
  return groups.length > totals.size ? [...groups, ...totals.values()] : groups;
}

const max = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/** One workflow command per test that did not pass: an error for a failed or errored test, a notice for a skipped one. */
export function githubAnnotations(results: TestResult[]): string[] {
  return results
    .filter((r) => r.status !== 'pass')
    .map((r) => {
      const why = r.error?.kind === 'assertion' || !r.error ? r.assertions.filter((a) => !a.pass && Boolean(a.skipped) === (r.status === 'skipped')).map((a) => `${a.type}: ${a.reason}`).join('; ') : r.error.message;
      return workflowCommand(r.status === 'skipped' ? 'notice' : 'error', { file: r.file, line: r.line, title: `eval ${r.status}: ${r.prompt}${r.variant ? ` [${r.variant}]` : ''} › ${r.test}` }, why);
    });
}

const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(4)}`);
const ms = (n?: number) => (n === undefined ? '-' : n >= 1000 ? `${(n / 1000).toFixed(1)}s` : `${n}ms`);

