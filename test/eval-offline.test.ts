import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileValidator } from '../src/core/schemas/compile-validator.js';
import { evalRepo, localEnv, promptWithTests } from './helpers/eval-repo.js';
import { startOpenAIServer, type OpenAIServer } from './helpers/openai-server.js';
import { EXAMPLE_ROOT, run, tempDir } from './helpers/repo.js';

interface Assertion { type: string; target: string; pass: boolean; score: number; skipped?: boolean; reason: string }
interface Result { test: string; status: string; source?: string; assertions: Assertion[]; grading: { calls: number }; error?: { kind: string } }
interface ResultsFile { schema_version: number; results: Result[]; summary: Record<string, number> & { groups: Array<Record<string, number>> } }

// The offline provider echoes the last message: each of these output assertions would pass (or
// error) on the echo, although no model ever answered.
const TESTS = `  - name: echo-trap
    vars: { question: How do I reset my password? }
    assert:
      - { type: icontains, value: password }
  - name: mixed
    vars: { question: Where are my albums? }
    assert:
      - { type: contains, target: prompt, value: albums }
      - { type: icontains, value: albums }
      - { type: not-contains, value: nonsense }
  - name: prompt-fails
    vars: { question: q }
    assert:
      - { type: contains, target: prompt, value: never there }
      - { type: contains, value: q }
  - name: cost-and-rubric
    vars: { question: q }
    assert:
      - { type: cost, value: 1 }
      - { type: llm-rubric, value: Answers the question. }
`;

async function offlineEval(dir: string, extra: string[] = []) {
  const out = join(dir, 'out/results.json');
  const junit = join(dir, 'out/junit.xml');
  const result = await run(['eval', '--env', 'production', '--provider', 'offline', '--output', out, '--junit', junit, ...extra], { cwd: dir });
  const file = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
  return { ...result, file, junit: readFileSync(junit, 'utf8'), byName: (name: string) => file.results.find((r) => r.test === name)! };
}

describe('eval on offline answers', () => {
  it('skips output assertions on offline answers: never passed or failed; prompt assertions still decide', async () => {
    const r = await offlineEval(evalRepo(TESTS));
    expect(compileValidator('eval-results')(r.file)).toBe(true);
    expect(r.file.schema_version).toBe(2);
    for (const t of r.file.results) expect(t.source).toBe('offline');

    const trap = r.byName('echo-trap');
    expect(trap.status).toBe('skipped');
    expect(trap.assertions).toEqual([expect.objectContaining({ type: 'icontains', target: 'output', skipped: true, pass: false, score: 0 })]);
    expect(trap.assertions[0]!.reason).toContain('offline');

    const mixed = r.byName('mixed');
    expect(mixed.status).toBe('pass');
    expect(mixed.assertions.map((a) => [a.type, a.pass, a.skipped ?? false])).toEqual([['contains', true, false], ['icontains', false, true], ['not-contains', false, true]]);

    expect(r.byName('prompt-fails').status).toBe('fail');
    // cost has no offline price and llm-rubric has no offline grader: both are skipped, not errored, and nothing is graded.
    const other = r.byName('cost-and-rubric');
    expect(other).toMatchObject({ status: 'skipped', grading: { calls: 0 } });
    expect(other.error).toBeUndefined();

    // Totals, counted independently from the results.
    const statuses = r.file.results.map((t) => t.status);
    const count = (s: string) => statuses.filter((x) => x === s).length;
    const skippedAssertions = r.file.results.flatMap((t) => t.assertions).filter((a) => a.skipped).length;
    expect([count('pass'), count('fail'), count('skipped'), skippedAssertions]).toEqual([1, 1, 2, 6]);
    expect(r.file.summary).toMatchObject({ total: 4, passed: count('pass'), failed: count('fail'), errored: 0, skipped: count('skipped'), assertions_skipped: skippedAssertions });
    expect(r.file.summary.groups[0]).toMatchObject({ total: 4, passed: 1, failed: 1, skipped: 2, assertions_skipped: skippedAssertions, pass_rate: 0.5 });
    expect(r.stdout).toMatch(/answer\s+1\s+1\s+0\s+2\s+50%\*/);

    expect(r.stdout).toContain('4 tests: 1 passed, 1 failed, 2 skipped');
    expect(r.stdout).toContain('* 6 output assertions skipped: the offline provider answered');
    expect(r.stdout).toContain('- answer › echo-trap');
    // JUnit: a skipped test is <skipped/>, never a pass.
    expect(r.junit).toMatch(/<testsuite name="answer" tests="4" failures="1" errors="0" skipped="2"/);
    expect(r.junit).toMatch(/<testcase classname="answer" name="echo-trap"[^>]*>\s*<skipped\/>/);
    // The failed test decides the exit code; skipped ones do not make it pass or fail.
    expect(r.code).toBe(1);
  });

  it('exits 0 when nothing failed, and a test of only skipped assertions is listed as skipped', async () => {
    const r = await offlineEval(evalRepo(TESTS.split('  - name: mixed')[0]!));
    expect(r.code).toBe(0);
    expect(r.file.summary).toMatchObject({ total: 1, passed: 0, skipped: 1, assertions_skipped: 1 });
    expect(r.stdout).toContain('1 test: 1 skipped');
  });
});

describe('eval with recorded answers and unrecorded grading', () => {
  let server: OpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const judged = (rubric: string, expected: string) => `  - name: judged
    vars: { question: How do I share an album? }
    assert:
      - { type: llm-rubric, value: ${rubric} }
      - { type: similar, value: "${expected}", threshold: 0.1 }
`;

  it('skips similar when the embedding came from the offline provider, and errors a grading replay miss as replay-miss', async () => {
    server = await startOpenAIServer({
      chat: (body) => (body.model === 'grader-1' ? { content: '{"reason": "ok", "score": 1, "pass": true}' } : { content: 'Open the album and tap Share.' }),
    });
    const dir = evalRepo(judged('Explains sharing.', 'Tap Share in the album.'));
    const recorded = await run(['eval', '--env', 'production', '--record'], { cwd: dir, env: localEnv(server.url) });
    expect(recorded.code).toBe(0);

    // New expected text and rubric: the tested answer is recorded, the grading calls are not.
    writeFileSync(join(dir, 'prompts/answer.yaml'), promptWithTests(judged('Explains sharing in two steps.', 'Open the album, then tap Share.')));
    const out = join(dir, 'results.json');
    const replay = await run(['eval', '--env', 'production', '--replay', '--output', out], { cwd: dir });
    const replayed = (JSON.parse(readFileSync(out, 'utf8')) as ResultsFile).results[0]!;
    expect(replayed).toMatchObject({ status: 'error', source: 'cache', error: { kind: 'replay-miss' } });
    expect(replay.code).toBe(1);

    // Default cache mode with the offline provider: the answer comes from the recordings, the
    // embedding from the offline provider (hashed words), which is no evidence of similarity.
    writeFileSync(join(dir, 'prompts/answer.yaml'), promptWithTests(judged('Explains sharing.', 'Open the album, then tap Share.')));
    await run(['eval', '--env', 'production', '--provider', 'offline', '--output', out], { cwd: dir });
    const offline = (JSON.parse(readFileSync(out, 'utf8')) as ResultsFile).results[0]!;
    expect(offline.source).toBe('cache');
    expect(offline.assertions.map((a) => [a.type, a.pass, a.skipped ?? false])).toEqual([['llm-rubric', true, false], ['similar', false, true]]);
    expect(offline.assertions[1]!.reason).toContain('offline provider answered the embedding call');
    expect(offline.status).toBe('pass');
  });
});

describe('the example repository (npm start)', () => {
  it('evaluates its 31 tests as npm start does, none answered by the offline provider, none skipped (README)', async () => {
    const out = join(tempDir(), 'results.json');
    const r = await run(['eval', '--env', 'production', '--output', out], { cwd: EXAMPLE_ROOT });
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
    const answered = file.results.filter((t) => t.source !== undefined);
    const promptOnly = file.results.filter((t) => t.assertions.every((a) => a.target === 'prompt'));
    expect([file.results.length, answered.length, promptOnly.length]).toEqual([31, 20, 11]);
    expect(answered.every((t) => t.source === 'cache')).toBe(true);
    expect(file.results.flatMap((t) => t.assertions).filter((a) => a.skipped)).toEqual([]);
    expect(file.summary).toMatchObject({ total: 31, passed: 31, skipped: 0, assertions_skipped: 0 });
    expect(r.stdout).not.toContain('skipped');
  });
});
