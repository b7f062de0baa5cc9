import type { EvalDiff, PromptEvals, TestChange, TestChangeKind, TestStatus } from '../schemas/diff-report.js';
import type { TestOutcome } from '../schemas/eval-results.js';

/** The `evals` section of the report and its entries (schemas/diff-report.schema.json). */
export type { EvalDiff, PromptEvals, TestChange, TestChangeKind, TestStatus };

const ORDER: TestChangeKind[] = ['regression', 'fixed', 'added', 'removed', 'unanswered', 'still-failing', 'unchanged'];

/**
 * Per-test comparison of two eval runs. Tests are matched by prompt and name; `renamed` maps a
 * base prompt id to its head id so a renamed prompt's tests are compared, not added and removed.
 * A side where no model answered (an offline answer, a replay miss, an offline grader) has no
 * verdict, so that test is not compared: an offline echo that changes with the wording, or an
 * answer not recorded yet, is never a regression or a fix.
 */
export function diffEvals(base: readonly TestOutcome[], head: readonly TestOutcome[], renamed: ReadonlyMap<string, string> = new Map()): EvalDiff {
  const key = (prompt: string, t: TestOutcome) => `${prompt}\u0000${t.variant ?? ''}\u0000${t.test}`;
  const before = new Map(base.map((t) => [key(renamed.get(t.prompt) ?? t.prompt, t), t]));
  const after = new Map(head.map((t) => [key(t.prompt, t), t]));
  const tests: TestChange[] = [];
  for (const [k, h] of after) {
    const b = before.get(k);
    const kind: TestChangeKind = !b ? 'added' : unanswered(b) || unanswered(h) ? 'unanswered' : pass(b) && !pass(h) ? 'regression' : !pass(b) && pass(h) ? 'fixed' : pass(h) ? 'unchanged' : 'still-failing';
    const skipped = skippedAssertions(h);
    tests.push({ kind, prompt: h.prompt, test: h.test, ...(b ? { base: b.status } : {}), head: h.status, file: h.file, ...(h.line ? { line: h.line } : {}), ...(pass(h) ? {} : { reason: reasonOf(h) }), ...(skipped ? { skipped_assertions: skipped } : {}) });
  }
  for (const [k, b] of before) {
    if (!after.has(k)) tests.push({ kind: 'removed', prompt: renamed.get(b.prompt) ?? b.prompt, test: b.test, base: b.status, file: b.file, ...(b.line ? { line: b.line } : {}) });
  }
  tests.sort((x, y) => ORDER.indexOf(x.kind) - ORDER.indexOf(y.kind) || x.prompt.localeCompare(y.prompt) || x.test.localeCompare(y.test));

  const prompts = new Map<string, PromptEvals>();
  const tally = (side: 'base' | 'head', prompt: string, t: TestOutcome) => {
    const p = prompts.get(prompt) ?? { prompt };
    const counts = (p[side] ??= { passed: 0, total: 0, skipped: 0 });
    counts.total++;
    if (pass(t)) counts.passed++;
    if (t.status === 'skipped') counts.skipped++;
    prompts.set(prompt, p);
  };
  for (const t of base) tally('base', renamed.get(t.prompt) ?? t.prompt, t);
  for (const t of head) tally('head', t.prompt, t);
  return {
    tests,
    prompts: [...prompts.values()].sort((a, b) => a.prompt.localeCompare(b.prompt)),
    base: totals(base),
    head: totals(head),
    assertions_skipped: head.reduce((n, t) => n + skippedAssertions(t), 0),
    regressions: tests.filter((t) => t.kind === 'regression').length,
    fixed: tests.filter((t) => t.kind === 'fixed').length,
  };
}

const pass = (t: TestOutcome) => t.status === 'pass';
const unanswered = (t: TestOutcome) => t.status === 'skipped' || t.error?.kind === 'replay-miss' || t.error?.kind === 'grader-offline';
const skippedAssertions = (t: TestOutcome) => t.assertions.filter((a) => a.skipped).length;
const totals = (ts: readonly TestOutcome[]) => ({ passed: ts.filter(pass).length, total: ts.length, skipped: ts.filter((t) => t.status === 'skipped').length });

function reasonOf(t: TestOutcome): string {
  if (t.error) return t.error.message;
  if (t.status === 'skipped') return t.assertions.find((a) => a.skipped)?.reason ?? 'skipped';
  const failed = t.assertions.filter((a) => !a.pass && !a.skipped).map((a) => `${a.type}: ${a.reason}`);
  return failed.join('; ') || `score ${t.score} below threshold ${t.threshold ?? 1}`;
}
