import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import { quantileSorted } from 'simple-statistics';
import type { EvalSummaryData, GroupOutcome } from '../core/schemas/eval-results.js';
import type { TestResult } from './run.js';
import { PROVIDER_DOWN_KINDS } from './types.js';

/** Version of the results file; 2: tests and assertions can be `skipped` (offline answers). */
export const RESULTS_SCHEMA_VERSION = 2;

export type GroupSummary = GroupOutcome;

export type EvalSummary = EvalSummaryData;

/** Running totals per prompt (and variant); keeps counters and latencies, never the results themselves. */
export function createSummary() {
  const groups = new Map<string, GroupSummary & { latencies: number[] }>();
  const totals: Omit<EvalSummary, 'groups'> = { total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, assertions_skipped: 0, unreachable: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, grading: { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 }, sources: {} };
  return {
    add(r: TestResult): void {
      const key = `${r.prompt}\u0000${r.variant ?? ''}`;
      let g = groups.get(key);
      if (!g) {
        g = { prompt: r.prompt, ...(r.variant ? { variant: r.variant } : {}), total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, assertions_skipped: 0, pass_rate: 0, input_tokens: 0, output_tokens: 0, tokens_estimated: false, cost_usd: 0, grading_cost_usd: 0, latencies: [] };
        groups.set(key, g);
      }
      for (const t of [g, totals]) {
        t.total++;
        if (r.status === 'pass') t.passed++;
        else if (r.status === 'fail') t.failed++;
        else if (r.status === 'skipped') t.skipped++;
        else t.errored++;
        t.input_tokens += r.tokens?.input ?? 0;
        t.output_tokens += r.tokens?.output ?? 0;
        t.cost_usd += r.cost_usd ?? 0;
      }
      g.tokens_estimated ||= r.tokens?.estimated ?? false;
      g.grading_cost_usd += r.grading.cost_usd;
      if (r.latency_ms !== undefined && r.source !== 'offline') g.latencies.push(r.latency_ms);
      // Infrastructure (exit 3): the provider is down, overloaded or unusable; see docs/eval.md, "Errors".
      if (r.error && (PROVIDER_DOWN_KINDS.includes(r.error.kind) || r.error.kind === 'grader-offline')) totals.unreachable++;
      if (r.source) totals.sources[r.source] = (totals.sources[r.source] ?? 0) + 1;
      const skippedAssertions = r.assertions.filter((a) => a.skipped).length;
      g.assertions_skipped += skippedAssertions;
      totals.assertions_skipped += skippedAssertions;
      totals.grading.calls += r.grading.calls;
      totals.grading.input_tokens += r.grading.input_tokens;
      totals.grading.output_tokens += r.grading.output_tokens;
      totals.grading.cost_usd += r.grading.cost_usd;
    },
    result(): EvalSummary {
      const list = [...groups.values()].map(({ latencies, ...g }) => {
        const sorted = latencies.sort((a, b) => a - b);
        return {
          ...g,
          pass_rate: passRate(g),
          cost_usd: roundUsd(g.cost_usd),
          grading_cost_usd: roundUsd(g.grading_cost_usd),
          ...(sorted.length ? { latency_p50_ms: Math.round(quantileSorted(sorted, 0.5)), latency_p95_ms: Math.round(quantileSorted(sorted, 0.95)) } : {}),
        };
      });
      return { ...totals, cost_usd: roundUsd(totals.cost_usd), grading: { ...totals.grading, cost_usd: roundUsd(totals.grading.cost_usd) }, groups: list };
    },
  };
}

const roundUsd = (n: number) => Math.round(n * 1e8) / 1e8;

/** Passed over the tests that were checked: a skipped test is no evidence either way. */
export const passRate = (g: { passed: number; total: number; skipped: number }) => (g.total - g.skipped > 0 ? g.passed / (g.total - g.skipped) : 0);

export interface ResultsHeader {
  environment: string;
  mode: string;
  provider: string;
  experiment?: string;
  started_at: string;
}

/**
 * The results file: `{schema_version, kind, ...header, results: [...], summary}` written as results
 * arrive, so memory stays flat however many tests run. Respects stream back-pressure.
 */
export async function openResultsFile(path: string, header: ResultsHeader) {
  mkdirSync(dirname(path), { recursive: true });
  const stream = createWriteStream(path);
  // Results are small; batching them into ~64 KiB writes keeps the stream's per-write cost off the hot path.
  let pending = '';
  const flush = async () => {
    const chunk = pending;
    pending = '';
    if (chunk && !stream.write(chunk)) await once(stream, 'drain');
  };
  const write = async (chunk: string) => {
    pending += chunk;
    if (pending.length >= 65_536) await flush();
  };
  const head = JSON.stringify({ schema_version: RESULTS_SCHEMA_VERSION, kind: 'promptops/eval-results', ...header });
  await write(`${head.slice(0, -1)},"results":[`);
  let first = true;
  return {
    async add(result: TestResult): Promise<void> {
      await write(`${first ? '\n' : ',\n'}${JSON.stringify(result)}`);
      first = false;
    },
    async close(summary: EvalSummary): Promise<void> {
      await write(`\n],"summary":${JSON.stringify(summary)}}\n`);
      await flush();
      stream.end();
      await once(stream, 'finish');
    },
  };
}

// The package is CommonJS whose module.exports is the builder; its types describe an ES default export.
const junit = junitModule as unknown as Builder;

interface JunitCase {
  suite: string;
  name: string;
  file: string;
  seconds: number;
  status: TestResult['status'];
  message?: string;
}

/** JUnit XML (one suite per prompt and variant) for CI systems; keeps one small record per test. */
export function createJunitCollector() {
  const cases: JunitCase[] = [];
  return {
    add(r: TestResult): void {
      // A skipped test says why it was skipped; a failed one lists only the assertions that were checked and failed.
      const failing = r.assertions.filter((a) => !a.pass && Boolean(a.skipped) === (r.status === 'skipped')).map((a) => `${a.type}${a.target === 'prompt' ? ' (prompt)' : ''}: ${a.reason}`);
      const message = r.error ? r.error.message : failing.join('\n') || undefined;
      cases.push({ suite: r.variant ? `${r.prompt} [${r.variant}]` : r.prompt, name: r.test, file: r.line ? `${r.file}:${r.line}` : r.file, seconds: (r.latency_ms ?? 0) / 1000, status: r.status, message });
    },
    write(path: string): void {
      const builder = junit.newBuilder();
      const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
      for (const c of cases) {
        let suite = suites.get(c.suite);
        if (!suite) suites.set(c.suite, (suite = builder.testSuite().name(c.suite)));
        const tc = suite.testCase().className(c.suite).name(c.name).file(c.file).time(c.seconds);
        if (c.status === 'fail') tc.failure(c.message);
        if (c.status === 'error') tc.error(c.message);
        if (c.status === 'skipped') tc.skipped().standardOutput(c.message);
      }
      mkdirSync(dirname(path), { recursive: true });
      builder.writeTo(path);
    },
  };
}
