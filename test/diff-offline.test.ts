import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simpleGit } from 'simple-git';
import { commitChanges, pullRequestRepo } from './helpers/git.js';
import { startOpenAIServer, type OpenAIServer } from './helpers/openai-server.js';
import { catalogModel, CONFIG_YAML, gitRepo, minimalRepo, repo, run } from './helpers/repo.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const config = (policy = '') => `${CONFIG_YAML}eval:
  provider: offline
  cache_dir: recordings
policy:
  max_eval_regressions: 0
${policy}`;

const MODELS = `providers:
  local:
    type: custom
    base_url: http://127.0.0.1:9/v1
models:
${catalogModel('local/small', 'chat', [{ effective_from: '2025-01-01', input_per_mtok: 1, output_per_mtok: 4 }])}`;

const FEATURE = `name: greeter
status: active
prompts: [greet]
environments:
  development:
    model: local/small
  staging:
    model: local/small
  production:
    model: local/small
`;

// The offline provider echoes the rendered prompt, so "icontains: hello" passes while the template
// says hello and "fails" once it says hi: a pass→fail regression that no model ever produced.
const prompt = (version: number, line: string) => `version: ${version}
status: approved
changelog:
${Array.from({ length: version }, (_, i) => `  - { version: ${i + 1}, note: v${i + 1} }`).join('\n')}
variables:
  name:
    type: string
template: |
  ${line}
tests:
  - name: greets
    vars: { name: Ada }
    assert:
      - { type: contains, target: prompt, value: Ada }
      - { type: icontains, value: hello }
  - name: prompt-only
    vars: { name: Ada }
    assert:
      - { type: max-tokens, value: 100 }
`;

const base = (policy = '') => minimalRepo({
  'promptops.config.yaml': config(policy),
  'features/_models.yaml': MODELS,
  'features/greeter.yaml': FEATURE,
  'prompts/greet.yaml': prompt(1, 'Say hello to {{name}}.'),
});
const HEAD = { 'prompts/greet.yaml': prompt(2, 'Say hi to {{name}}.') };
const RECORD = 'promptops eval --record --provider live --env production --prompt greet';

const diffJson = async (dir: string, ...argv: string[]) => {
  const result = await run(['diff', '--no-usage', '--json', ...argv], { cwd: dir });
  return { ...result, report: JSON.parse(result.stdout) };
};

describe('diff and ci on evals no model answered', () => {
  it('fails a change whose head tests were answered offline, naming them and the command that records them; never a regression', async () => {
    const dir = await pullRequestRepo(base(), HEAD);
    const { code, report } = await diffJson(dir);
    expect(report.schema_version).toBe(3);
    const greets = report.evals.tests.find((t: { test: string }) => t.test === 'greets');
    expect(greets).toMatchObject({ kind: 'unchanged', base: 'pass', head: 'pass', skipped_assertions: 1 });
    expect(report.evals.regressions).toBe(0);
    const offline = report.diagnostics.filter((d: { code: string }) => d.code === 'eval-offline');
    expect(offline).toEqual([expect.objectContaining({ severity: 'error', file: 'prompts/greet.yaml', line: 12 })]);
    expect(offline[0].message).toBe('1 test of prompt "greet" has output assertions no model answered (the offline provider did, so they were skipped): "greets"');
    expect(offline[0].hint).toContain(RECORD);
    expect(code).toBe(1);

    const text = await run(['diff', '--no-usage'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('prompts/greet.yaml:12:5 error [eval-offline] 1 test of prompt "greet" has output assertions no model answered');
    expect(text.stderr).toContain(RECORD);
    expect(text.stderr).toContain('promptops diff: 1 error; the check fails');
    const markdown = await run(['diff', '--no-usage', '--format', 'markdown'], { cwd: dir });
    expect(markdown.stdout).toContain('### ❌ promptops: 1 prompt changed · evals 2/2, 1 output assertion skipped (offline)');
  });

  it('shows a test whose every assertion was skipped as skipped, in the headline too', async () => {
    const only = (v: number, line: string) => prompt(v, line).replace('      - { type: contains, target: prompt, value: Ada }\n', '');
    const dir = await pullRequestRepo(minimalRepo({ ...base(), 'prompts/greet.yaml': only(1, 'Say hello to {{name}}.') }), { 'prompts/greet.yaml': only(2, 'Say hi to {{name}}.') });
    const { code, report } = await diffJson(dir);
    expect(report.evals.tests.find((t: { test: string }) => t.test === 'greets')).toMatchObject({ kind: 'unanswered', base: 'skipped', head: 'skipped' });
    expect(report.evals.head).toEqual({ passed: 1, total: 2, skipped: 1 });
    expect(report.headline).toMatch(/^1 prompt changed · evals 1\/1, 1 test skipped \(offline\) · /);
    expect(code).toBe(1);
  });

  it('leaves a test that passed at base with a recorded answer and is skipped at head out of the change in passing tests', async () => {
    const only = (v: number, line: string) => prompt(v, line).replace('      - { type: contains, target: prompt, value: Ada }\n', '');
    const dir = repo(minimalRepo({ ...base(), 'prompts/greet.yaml': only(1, 'Say hello to {{name}}.') }));
    await gitRepo(dir);
    await simpleGit({ baseDir: dir }).raw(['branch', '-M', 'main']);
    server = await startOpenAIServer({ chat: () => ({ content: 'Hello Ada!' }) });
    expect((await run(RECORD.split(' ').slice(1), { cwd: dir, env: { PROMPTOPS_LOCAL_BASE_URL: server.url } })).code).toBe(0);
    await simpleGit({ baseDir: dir }).checkoutLocalBranch('change');
    await commitChanges(dir, { 'prompts/greet.yaml': only(2, 'Say hi to {{name}}.') });
    const { report } = await diffJson(dir);
    expect(report.evals.tests.find((t: { test: string }) => t.test === 'greets')).toMatchObject({ kind: 'unanswered', base: 'pass', head: 'skipped' });
    expect(report.evals.base).toEqual({ passed: 2, total: 2, skipped: 0 });
    // 2 passed at base, 1 at head, but the missing one was not checked: no "(−1)".
    expect(report.headline).toMatch(/^1 prompt changed · evals 1\/1, 1 test skipped \(offline\) · /);
  });

  it('fails a recorded answer whose rubric only the offline provider could grade (grader-offline) as eval-offline', async () => {
    const rubric = (v: number, text: string) => prompt(v, 'Say hello to {{name}}.').replace('      - { type: icontains, value: hello }\n', `      - { type: llm-rubric, value: ${text}, provider: local/small }\n`);
    const dir = repo(minimalRepo({ ...base(), 'prompts/greet.yaml': rubric(1, 'Greets Ada.') }));
    await gitRepo(dir);
    await simpleGit({ baseDir: dir }).raw(['branch', '-M', 'main']);
    // The tested answer is recorded; the grade of the head's new rubric is not.
    server = await startOpenAIServer({ chat: (body) => ({ content: body.messages[0]!.content.startsWith('You grade') ? '{"reason":"ok","score":1,"pass":true}' : 'Hello Ada!' }) });
    const recorded = await run(['eval', '--record', '--provider', 'live', '--env', 'production', '--prompt', 'greet'], { cwd: dir, env: { PROMPTOPS_LOCAL_BASE_URL: server.url } });
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    await simpleGit({ baseDir: dir }).checkoutLocalBranch('change');
    // Only the rubric changes: the prompt sent to the model is the same, so its recorded answer is found.
    await commitChanges(dir, { 'prompts/greet.yaml': rubric(1, 'Greets Ada by name.') });
    const { code, report } = await diffJson(dir);
    // No model graded the head: that is no regression, and the check fails for the missing grade instead.
    expect(report.evals.tests.find((t: { test: string }) => t.test === 'greets')).toMatchObject({ kind: 'unanswered', base: 'pass', head: 'error', reason: expect.stringContaining('llm-rubric needs a grader model') });
    expect(report.evals.regressions).toBe(0);
    expect(report.diagnostics).toEqual([expect.objectContaining({ code: 'eval-offline', severity: 'error', message: expect.stringContaining('"greets"') })]);
    expect(code).toBe(1);
  });

  it('lets the base commit\'s policy.allow_offline accept offline evals (a warning), but not the pull request\'s own', async () => {
    const allowed = await diffJson(await pullRequestRepo(base('  allow_offline: true\n'), HEAD));
    expect(allowed.code).toBe(0);
    expect(allowed.report.diagnostics).toEqual([expect.objectContaining({ code: 'eval-offline', severity: 'warning' })]);

    const selfServed = await diffJson(await pullRequestRepo(base(), { ...HEAD, 'promptops.config.yaml': config('  allow_offline: true\n') }));
    expect(selfServed.code).toBe(1);
    expect(selfServed.report.diagnostics).toContainEqual(expect.objectContaining({ code: 'eval-offline', severity: 'error' }));
  });

  it('keeps a replay miss an error even when the base allows offline evals (a recording the run needs is missing)', async () => {
    const dir = await pullRequestRepo(base('  allow_offline: true\n'), HEAD);
    const missing = await run(['ci', '--no-usage', '--no-comment', '--replay'], { cwd: dir });
    expect(missing.stderr).toContain('error [eval-replay-miss] 1 test of prompt "greet" has no recorded answer (--replay): "greets"');
    expect(missing.stderr).not.toContain('allow_offline');
    expect(missing.code).toBe(1);
  });

  it('fails ci --replay on a head test without a recording, and passes once the named command has recorded it', async () => {
    const dir = await pullRequestRepo(base(), HEAD);
    const missing = await run(['ci', '--no-usage', '--no-comment', '--replay'], { cwd: dir });
    expect(missing.stderr).toContain('prompts/greet.yaml:12:5 error [eval-replay-miss] 1 test of prompt "greet" has no recorded answer (--replay): "greets"');
    expect(missing.stderr).toContain(RECORD);
    expect(missing.stderr).toContain('✖ promptops ci: 1 error; the check fails');
    expect(missing.code).toBe(1);

    // Run the command the hint names, against a local OpenAI-compatible server.
    server = await startOpenAIServer({ chat: () => ({ content: 'Hello Ada!' }) });
    const [, ...argv] = RECORD.split(' ');
    const recorded = await run(argv, { cwd: dir, env: { PROMPTOPS_LOCAL_BASE_URL: server.url } });
    expect(recorded.code).toBe(0);
    expect(existsSync(join(dir, 'recordings')) && readdirSync(join(dir, 'recordings')).length).toBeGreaterThan(0);

    const replayed = await run(['ci', '--no-usage', '--no-comment', '--replay'], { cwd: dir });
    expect(replayed.stderr).not.toContain('eval-replay-miss');
    expect(replayed.stdout).toContain('1 prompt changed · evals 2/2');
    expect(replayed.code).toBe(0);
  });
});
