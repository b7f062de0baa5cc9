import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type OpenAIServer, type ServerOptions } from './helpers/openai-server.js';
import { evalRepo, LOCAL_MODELS_YAML, localEnv, promptWithTests } from './helpers/eval-repo.js';
import { run, tempDir, EXAMPLE_ROOT } from './helpers/repo.js';
import { compileValidator } from '../src/core/schemas/compile-validator.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: ServerOptions = {}): Promise<OpenAIServer> {
  server = await startOpenAIServer(options);
  return server;
}

const chatRequests = (s: OpenAIServer) => s.requests.filter((r) => r.path.endsWith('/chat/completions'));

interface ResultsFile {
  schema_version: number;
  results: { test: string; status: string; score: number; assertions: { type: string; pass: boolean; reason: string; error?: boolean }[]; error?: { kind: string; message: string }; tokens?: { input: number; output: number; estimated: boolean; cached_input?: number }; cost_usd?: number; source?: string; output?: string; grading: { calls: number; cost_usd: number; input_tokens: number } }[];
  summary: { total: number; passed: number; failed: number; errored: number };
}

async function evalJson(dir: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const out = join(dir, 'results.json');
  const result = await run(['eval', '--env', 'production', '--output', out, ...args], { cwd: dir, env });
  const file = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as ResultsFile) : undefined;
  return { ...result, file, byName: (name: string) => file!.results.find((r) => r.test === name)! };
}

describe('eval assertions', () => {
  it('checks the rendered prompt and the model output, with not-, weights and thresholds, each with a reason', async () => {
    const s = await serve({ chat: () => ({ content: '{"answer": "Open the album and tap Share.", "steps": 2}', usage: { prompt_tokens: 40, completion_tokens: 12 } }) });
    const dir = evalRepo(`  - name: all-pass
    vars: { question: How do I share an album? }
    assert:
      - { type: contains, target: prompt, value: share an album }
      - { type: not-contains, target: prompt, value: password }
      - { type: max-tokens, value: 200 }
      - { type: max-cost, value: 0.01 }
      - { type: icontains, value: TAP SHARE }
      - { type: starts-with, value: '{"answer"' }
      - { type: regex, value: '/open the album/i' }
      - { type: is-json }
      - type: json-schema
        value: { type: object, required: [answer, steps], properties: { steps: { type: integer } } }
      - { type: equals, value: { steps: 2, answer: Open the album and tap Share. } }
      - { type: cost, value: 0.001 }
      - { type: latency, value: 5000 }
  - name: one-fails
    vars: { question: hi }
    assert:
      - { type: contains, value: Settings }
      - { type: not-icontains, value: album }
  - name: weighted-threshold
    vars: { question: hi }
    threshold: 0.7
    assert:
      - { type: contains, value: album, weight: 3 }
      - { type: contains, value: Settings, weight: 1 }
`);
    const r = await evalJson(dir, localEnv(s.url));
    expect(r.code).toBe(1);
    expect(r.file!.summary).toMatchObject({ total: 3, passed: 2, failed: 1, errored: 0 });
    const allPass = r.byName('all-pass');
    expect(allPass.status).toBe('pass');
    expect(allPass.assertions.every((a) => a.pass)).toBe(true);
    expect(allPass.tokens).toEqual({ input: 40, output: 12, estimated: false });
    expect(allPass.cost_usd).toBeCloseTo((40 * 1 + 12 * 2) / 1e6, 12);
    const failing = r.byName('one-fails');
    expect(failing.status).toBe('fail');
    expect(failing.assertions.map((a) => [a.type, a.pass])).toEqual([['contains', false], ['not-icontains', false]]);
    expect(failing.assertions[0]!.reason).toMatch(/^output does not contain "Settings" \(got "\{\\"answer\\": \\"Open the album/);
    expect(failing.assertions[1]!.reason).toBe('not: output contains "album"');
    expect(r.byName('weighted-threshold')).toMatchObject({ status: 'pass', score: 0.75 });
    expect(r.stdout).toContain('✗ answer › one-fails prompts/answer.yaml:');
    expect(r.stdout).toMatch(/3 tests: 2 passed, 1 failed/);
  });

  it('grades llm-rubric with the grader model and similar with embeddings, accounting grading calls apart', async () => {
    const s = await serve({
      chat: (body) => {
        if (body.model === 'grader-1') {
          const failing = body.messages[1]!.content.includes('in French');
          return { content: JSON.stringify({ reason: failing ? 'The answer is in English.' : 'Lists both steps.', score: failing ? 0.2 : 0.9, pass: !failing }), usage: { prompt_tokens: 100, completion_tokens: 20 } };
        }
        return { content: 'Open the album and tap Share to invite family.', usage: { prompt_tokens: 30, completion_tokens: 10 } };
      },
    });
    const dir = evalRepo(`  - name: rubric-and-similar
    vars: { question: share? }
    assert:
      - { type: llm-rubric, value: Explains the sharing steps., threshold: 0.8 }
      - { type: similar, value: Open the album and tap Share to invite family members., threshold: 0.8 }
      - { type: not-similar, value: Quarterly revenue grew in Europe., threshold: 0.5 }
  - name: rubric-fails
    vars: { question: share? }
    assert:
      - { type: llm-rubric, value: Answers in French. }
`);
    const r = await evalJson(dir, localEnv(s.url));
    expect(r.code).toBe(1);
    const good = r.byName('rubric-and-similar');
    expect(good.status).toBe('pass');
    expect(good.assertions[0]!.reason).toBe('grader score 0.90 (threshold 0.8): Lists both steps.');
    expect(good.assertions[1]!.reason).toMatch(/^cosine similarity 0\.9\d\d \(threshold 0\.8\)$/);
    // Grader and embedding calls are counted apart from the tested call.
    expect(good.grading.calls).toBe(3);
    expect(good.grading.input_tokens).toBeGreaterThanOrEqual(100);
    expect(good.tokens).toEqual({ input: 30, output: 10, estimated: false });
    expect(r.byName('rubric-fails')).toMatchObject({ status: 'fail', assertions: [{ pass: false, reason: 'grader score 0.20 (threshold 0.5), judged failing: The answer is in English.' }] });
    const graderBody = s.requests.find((q) => q.body?.model === 'grader-1')!.body;
    expect(graderBody.messages[1].content).toContain('<output>\nOpen the album and tap Share to invite family.\n</output>');
  });

  it('runs javascript assertions from files in the repository (validate rejects files outside it)', async () => {
    const s = await serve({ chat: () => ({ content: 'three words here' }) });
    const dir = evalRepo(`  - name: js
    vars: { question: q }
    assert:
      - { type: javascript, value: checks/word-count.mjs }
      - { type: javascript, value: checks/score.mjs, threshold: 0.5 }
`, {
      'checks/word-count.mjs': 'export default (output, { vars }) => ({ pass: output.split(" ").length === 3, reason: `3 words for ${vars.question}` });\n',
      'checks/score.mjs': 'export default (output) => output.length / 100;\n',
    });
    const r = await evalJson(dir, localEnv(s.url));
    const js = r.byName('js');
    expect(js.assertions[0]).toMatchObject({ pass: true, reason: '3 words for q' });
    expect(js.assertions[1]).toMatchObject({ pass: false, reason: 'checks/score.mjs scored 0.16 (threshold 0.5)' });
  });

  it('estimates tokens with tiktoken when the provider reports no usage, and says so', async () => {
    const s = await serve({ chat: () => ({ content: 'hello world', usage: null }) });
    const r = await evalJson(evalRepo(`  - name: t
    vars: { question: q }
    assert: [{ type: contains, value: hello }]
`), localEnv(s.url));
    expect(r.code).toBe(0);
    expect(r.byName('t').tokens).toMatchObject({ output: 2, estimated: true });
    expect(r.byName('t').tokens!.input).toBeGreaterThan(10);
    expect(r.stdout).toMatch(/~\d+/);
  });
});

describe('eval robustness', () => {
  it('retries a 429 after Retry-After and a 500 with backoff; a call that keeps failing errors only its test', async () => {
    const s = await serve({
      chat: (body, { attempt }) => {
        const q = body.messages[1]!.content;
        if (q === 'rate-limited' && attempt === 1) return { status: 429, headers: { 'retry-after': '1' }, content: 'slow down' };
        if (q === 'flaky' && attempt === 1) return { status: 500, content: 'boom' };
        if (q === 'broken') return { status: 500, content: 'always broken' };
        return { content: `answer to ${q}` };
      },
    });
    const tests = ['rate-limited', 'flaky', 'broken', 'fine'].map((q) => `  - name: ${q}\n    vars: { question: ${q} }\n    assert: [{ type: contains, value: answer }]\n`).join('');
    const r = await evalJson(evalRepo(tests), localEnv(s.url));
    // A provider still failing after the retries is down: exit 3 (test/eval-infra-exit.test.ts).
    expect(r.code).toBe(3);
    expect(r.file!.summary).toMatchObject({ total: 4, passed: 3, errored: 1 });
    expect(r.byName('broken').error).toEqual({ kind: 'unreachable', message: expect.stringContaining('local/chat-1: HTTP 500') });
    const times = (q: string) => chatRequests(s).filter((x) => x.body.messages[1].content === q).map((x) => x.at);
    const limited = times('rate-limited');
    expect(limited).toHaveLength(2);
    expect(limited[1]! - limited[0]!).toBeGreaterThanOrEqual(950);
    expect(times('flaky')).toHaveLength(2);
    // retries: 2 → three attempts, then the test errors and the others still ran.
    expect(times('broken')).toHaveLength(3);
    expect(r.stdout).toContain('! answer › broken');
  });

  it('times out a hanging call per attempt and goes on', async () => {
    const s = await serve({ chat: (body) => (body.messages[1]!.content === 'hang' ? { hang: true } : { content: 'answer' }) });
    const dir = evalRepo(['hang', 'ok'].map((q) => `  - name: ${q}\n    vars: { question: ${q} }\n    assert: [{ type: contains, value: answer }]\n`).join(''));
    const r = await evalJson(dir, localEnv(s.url), ['--timeout', '150']);
    expect(r.code).toBe(3);
    expect(r.byName('hang')).toMatchObject({ status: 'error', error: { kind: 'timeout' } });
    expect(r.byName('ok').status).toBe('pass');
  });

  it('never has more calls in flight than the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const s = await serve({
      chat: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((done) => setTimeout(done, 30));
        inFlight--;
        return { content: 'answer' };
      },
    });
    const tests = Array.from({ length: 20 }, (_, i) => `  - name: t${i}\n    vars: { question: q${i} }\n    assert: [{ type: contains, value: answer }]\n`).join('');
    const r = await evalJson(evalRepo(tests), localEnv(s.url), ['--concurrency', '3']);
    expect(r.code).toBe(0);
    expect(chatRequests(s)).toHaveLength(20);
    expect(peak).toBe(3);
  });

  it('exits 3 when the provider cannot be reached or its key is missing', async () => {
    const s = await serve();
    const url = s.url;
    await s.close();
    server = undefined;
    const dir = evalRepo(`  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, value: x }]\n`);
    const down = await run(['eval', '--env', 'production'], { cwd: dir, env: localEnv(url) });
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/error \(unreachable\): local\/chat-1: cannot reach the provider \(ECONNREFUSED\)/);
    const graderDown = evalRepo(`  - name: t\n    vars: { question: q }\n    assert: [{ type: llm-rubric, value: Is polite., provider: remote/grader }]\n`, {
      'features/_models.yaml': `${LOCAL_MODELS_YAML.replace('models:\n', 'models:\n  remote/grader:\n    context_window: 8192\n    max_output_tokens: 1024\n    capabilities: [chat]\n    status: available\n    pricing: [{ effective_from: 2025-01-01, input_per_mtok: 1, output_per_mtok: 1 }]\n').replace('providers:\n', 'providers:\n  remote:\n    type: custom\n    base_url: http://127.0.0.1:9/v1\n    api_key_env: REMOTE_API_KEY\n')}`,
    });
    const up = await serve({ chat: () => ({ content: 'Hello!' }) });
    const grader = await run(['eval', '--env', 'production', '--provider', 'live'], { cwd: graderDown, env: localEnv(up.url) });
    expect(grader.code).toBe(3);
    expect(grader.stdout).toContain('environment variable REMOTE_API_KEY (API key of provider "remote") is not set');
    const noKey = await run(['eval', '--env', 'production'], { cwd: dir, env: { PROMPTOPS_LOCAL_BASE_URL: url } });
    expect(noKey.code).toBe(3);
    expect(noKey.stdout).toContain('environment variable LOCAL_API_KEY (API key of provider "local") is not set');
  });
});

describe('eval cache, record and replay', () => {
  it('records responses, replays them without the provider, and misses on any change of input', async () => {
    const s = await serve({ chat: (body) => ({ content: `answer to ${body.messages[1]!.content}` }) });
    const dir = evalRepo(`  - name: t\n    vars: { question: q1 }\n    assert: [{ type: contains, value: answer }]\n`);
    const recorded = await evalJson(dir, localEnv(s.url), ['--record']);
    expect(recorded.code).toBe(0);
    expect(recorded.byName('t').source).toBe('live');
    expect(chatRequests(s)).toHaveLength(1);

    // Replay needs neither the server nor the key.
    const replayed = await evalJson(dir, {}, ['--replay']);
    expect(replayed.code).toBe(0);
    expect(replayed.byName('t')).toMatchObject({ source: 'cache', output: 'answer to q1' });

    const variants: [string, string][] = [
      ['message', promptWithTests(`  - name: t\n    vars: { question: q2 }\n    assert: [{ type: contains, value: answer }]\n`)],
      ['params', promptWithTests(`  - name: t\n    vars: { question: q1 }\n    assert: [{ type: contains, value: answer }]\n`, 'model:\n  temperature: 0.3\n')],
      ['model', promptWithTests(`  - name: t\n    model: local/chat-2\n    vars: { question: q1 }\n    assert: [{ type: contains, value: answer }]\n`)],
    ];
    for (const [what, yaml] of variants) {
      writeFileSync(join(dir, 'prompts/answer.yaml'), yaml);
      const miss = await evalJson(dir, {}, ['--replay']);
      expect(miss.code, what).toBe(1);
      expect(miss.byName('t').error, what).toMatchObject({ kind: 'replay-miss', message: expect.stringMatching(/^no recorded response for local\/chat-\d \(key [0-9a-f]{12}, looked in .+\); record it with "promptops eval --record"/) });
    }
    // The default mode reads through the cache: a hit makes no call, a miss calls and stores.
    writeFileSync(join(dir, 'prompts/answer.yaml'), variants[0]![1]);
    await evalJson(dir, localEnv(s.url));
    const again = await evalJson(dir, localEnv(s.url));
    expect(again.byName('t').source).toBe('cache');
    expect(chatRequests(s)).toHaveLength(2);
  });

  it('serves identical requests in flight once', async () => {
    const s = await serve({ chat: async () => ({ content: 'answer', delayMs: 50 }) });
    const tests = Array.from({ length: 5 }, (_, i) => `  - name: t${i}\n    vars: { question: same }\n    assert: [{ type: contains, value: answer }]\n`).join('');
    const r = await evalJson(evalRepo(tests), localEnv(s.url));
    expect(r.file!.summary.passed).toBe(5);
    expect(chatRequests(s)).toHaveLength(1);
  });
});

describe('eval output', () => {
  it('writes results JSON and JUnit XML, and annotations for GitHub', async () => {
    const s = await serve({ chat: () => ({ content: 'answer <ok> & done' }) });
    const dir = evalRepo(`  - name: passes\n    vars: { question: q }\n    assert: [{ type: contains, value: answer }]\n  - name: fails\n    vars: { question: q }\n    assert: [{ type: contains, value: 'missing & <gone>' }]\n`);
    const junit = join(dir, 'out/junit.xml');
    const r = await evalJson(dir, localEnv(s.url), ['--junit', junit, '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.file).toMatchObject({ schema_version: 2, kind: 'promptops/eval-results', environment: 'production', mode: 'cache', provider: 'live' });
    expect(r.file!.results.map((x) => x.test)).toEqual(['passes', 'fails']);
    const validate = compileValidator('eval-results');
    expect(validate(r.file), JSON.stringify(validate.errors)).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="answer" tests="2" failures="1" errors="0"/);
    expect(xml).toContain('<failure message="contains: output does not contain &quot;missing &amp; &lt;gone>&quot; (got &quot;answer &lt;ok> &amp; done&quot;, 18 chars)"/>');
    expect(r.stdout).toMatch(/^::error file=prompts\/answer\.yaml,line=\d+,title=eval fail%3A answer › fails::contains: output does not contain/m);
  });

  it('runs only the prompts named, and rejects unknown ones as a usage error', async () => {
    const dir = evalRepo(`  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, target: prompt, value: q }]\n`);
    const ok = await run(['eval', '--prompt', 'answer'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1 test: 1 passed/);
    const bad = await run(['eval', '--prompt', 'answr'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown prompt "answr"');
    expect(bad.stderr).toContain('did you mean "answer"?');
  });
});

describe('eval selection', () => {
  it('--changed-since runs only prompts whose eval inputs changed since the ref, without touching the working tree', async () => {
    const { gitRepo } = await import('./helpers/repo.js');
    const { simpleGit } = await import('simple-git');
    const test = `  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, target: prompt, value: q }]\n`;
    const dir = evalRepo(test, {
      'prompts/other.yaml': promptWithTests(test),
      'prompts/_partials/tone.hbs': 'Be brief.\n',
      'prompts/uses-partial.yaml': promptWithTests(test).replace('content: You answer questions about Lumen.', 'content: "{{> tone}} You answer."'),
    });
    await gitRepo(dir);
    const git = simpleGit({ baseDir: dir });
    const unchanged = await run(['eval', '--changed-since', 'HEAD'], { cwd: dir });
    expect(unchanged.code).toBe(0);
    expect(unchanged.stderr).toContain('changed since HEAD: no prompt');
    expect(unchanged.stdout).toContain('No tests to run');

    // Metadata only (description) is not an eval change; the partial and another prompt's content are.
    writeFileSync(join(dir, 'prompts/answer.yaml'), promptWithTests(test).replace('status: approved', 'status: approved\ndescription: docs only'));
    writeFileSync(join(dir, 'prompts/_partials/tone.hbs'), 'Be very brief.\n');
    writeFileSync(join(dir, 'prompts/other.yaml'), promptWithTests(test).replace('about Lumen', 'about Lumen photos'));
    const changed = await run(['eval', '--changed-since', 'HEAD', '--json'], { cwd: dir });
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ changed: ['other', 'uses-partial'], summary: { total: 2, passed: 2 } });
    expect((await git.status()).modified.sort()).toEqual(['prompts/_partials/tone.hbs', 'prompts/answer.yaml', 'prompts/other.yaml']);

    // A changed model assignment re-runs the prompts of that feature.
    await git.add('.');
    await git.commit('second');
    writeFileSync(join(dir, 'features/support.yaml'), readFileSync(join(dir, 'features/support.yaml'), 'utf8').replace(/production:\n    model: local\/chat-1/, 'production:\n    model: local/chat-2'));
    const reassigned = await run(['eval', '--env', 'production', '--changed-since', 'HEAD', '--json'], { cwd: dir });
    expect(JSON.parse(reassigned.stdout).changed).toEqual(['answer']);
    const otherEnv = await run(['eval', '--env', 'development', '--changed-since', 'HEAD', '--json'], { cwd: dir });
    expect(JSON.parse(otherEnv.stdout).changed).toEqual([]);

    const badRef = await run(['eval', '--changed-since', 'no-such-branch'], { cwd: dir });
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toContain('git ref "no-such-branch" does not name a commit');
  });

  it('--experiment runs every variant over the feature\'s tests and compares them side by side', async () => {
    const s = await serve({
      chat: (body) => ({
        content: body.model === 'chat-2' ? 'Tap Share.' : body.messages[0]!.content.includes('friendly') ? 'Hi! Open the album, then tap Share.' : 'Open the album, then tap Share.',
        usage: { prompt_tokens: 50, completion_tokens: body.model === 'chat-2' ? 5 : 10 },
      }),
    });
    const tests = `  - name: steps\n    vars: { question: share? }\n    assert: [{ type: contains, value: Open the album }]\n  - name: share\n    vars: { question: share? }\n    assert: [{ type: icontains, value: share }]\n`;
    const dir = evalRepo(tests, {
      'prompts/answer-friendly.yaml': promptWithTests('  []\n').replace('You answer questions about Lumen.', 'You answer questions about Lumen in a friendly tone.'),
      'experiments/compare.yaml': `name: compare
feature: support
type: prompt_testing
status: draft
variants:
  - { name: control, weight: 0.34 }
  - { name: friendly, weight: 0.33, prompt: answer-friendly }
  - { name: cheap-model, weight: 0.33, model: local/chat-2, params: { temperature: 0 } }
`,
    });
    const r = await evalJson(dir, localEnv(s.url), ['--experiment', 'compare']);
    expect(r.code).toBe(1);
    expect(r.file!.results.map((x) => [x.test, (x as { variant?: string }).variant, x.status])).toEqual([
      ['steps', 'control', 'pass'], ['steps', 'friendly', 'pass'], ['steps', 'cheap-model', 'fail'],
      ['share', 'control', 'pass'], ['share', 'friendly', 'pass'], ['share', 'cheap-model', 'pass'],
    ]);
    const cheap = chatRequests(s).find((q) => q.body.model === 'chat-2')!.body;
    expect(cheap.temperature).toBe(0);
    expect(r.stdout).toMatch(/answer \[control\]\s+2\s+0\s+0\s+0\s+100%\s+100\s+20\s+\$0\.00014/);
    expect(r.stdout).toMatch(/answer \[cheap-model\]\s+1\s+1\s+0\s+0\s+50%\s+100\s+10\s+\$0\.00120/);
    const unknown = await run(['eval', '--experiment', 'compar'], { cwd: dir, env: localEnv(s.url) });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown experiment "compar"');
  });
});

describe('validate checks assertions before any eval runs', () => {
  it('reports wrong values, bad regexes, impossible targets and files outside the repository at file:line:col', async () => {
    const dir = evalRepo(`  - name: bad
    vars: { question: q }
    assert:
      - { type: max-tokens, value: lots }
      - { type: regex, value: "(unclosed" }
      - { type: latency, target: prompt, value: 100 }
      - { type: contains }
      - { type: javascript, value: ../escape.mjs }
      - { type: contains, value: x, threshold: 0.5 }
      - { type: json-schema, value: [1, 2] }
`);
    writeFileSync(join(dir, '..', 'escape.mjs'), 'export default () => true;\n');
    const r = await run(['validate', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const found = (JSON.parse(r.stdout).diagnostics as { code: string; severity: string; message: string; line: number; col: number }[]).filter((d) => d.code === 'assertion');
    expect(found.map((d) => [d.severity, d.line, d.message])).toEqual([
      ['error', 15, 'max-tokens: "value" must be a number ≥ 0, got string "lots"'],
      ['error', 16, 'regex: invalid regular expression "(unclosed": Unterminated group'],
      ['error', 17, 'latency: checks the model output and cannot target the prompt'],
      ['error', 18, 'contains: needs a "value"'],
      ['error', 19, 'javascript: file "../escape.mjs" is outside the repository'],
      ['warning', 20, 'contains: "threshold" has no effect (only llm-rubric, similar and javascript scores use it)'],
      ['error', 21, 'json-schema: "value" must be a JSON Schema object, got a list'],
    ]);
  });
});

describe('the example repository', () => {
  it('evaluates offline from its recordings: every production test passes under --replay', async () => {
    const out = join(tempDir(), 'results.json');
    const junit = join(tempDir(), 'junit.xml');
    const r = await run(['eval', '--env', 'production', '--replay', '--output', out, '--junit', junit], { cwd: EXAMPLE_ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
    expect(compileValidator('eval-results')(file)).toBe(true);
    expect(file.summary).toMatchObject({ total: 31, passed: 31, failed: 0, errored: 0 });
    expect(file.results.filter((x) => x.source === 'cache')).toHaveLength(20);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuites tests="31" failures="0" errors="0"/);
  });
});

describe('eval keeps secrets out of output', () => {
  it('redacts API keys quoted back in provider errors', async () => {
    const key = 'sk-proj-AbCdEf0123456789';
    const s = await serve({ chat: () => ({ status: 401, content: `Incorrect API key provided: ${key}. Also sk-ab***************6789 here.` }) });
    const dir = evalRepo(`  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, value: x }]\n`);
    const r = await evalJson(dir, localEnv(s.url, { LOCAL_API_KEY: key }));
    expect(r.code).toBe(3);
    const everything = r.stdout + r.stderr + readFileSync(join(dir, 'results.json'), 'utf8');
    expect(everything).toContain('Incorrect API key provided: ***');
    expect(everything).not.toContain('AbCdEf0123456789');
    expect(everything).not.toContain('6789 here');
  });
});
