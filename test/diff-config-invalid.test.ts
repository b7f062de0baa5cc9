import { afterEach, describe, expect, it } from 'vitest';
import { pullRequestRepo } from './helpers/git.js';
import { evalConfig, FEATURE, LOCAL_MODELS_YAML, localEnv, promptWithTests } from './helpers/eval-repo.js';
import { startOpenAIServer, type OpenAIServer } from './helpers/openai-server.js';
import { minimalRepo, run } from './helpers/repo.js';

/**
 * Issue 19: a gate that cannot read its own policy must not open. The model answers "yes" to the
 * base prompt and "no" to the head's, so the test "says-yes" goes from pass to fail.
 */
let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TESTS = `  - name: says-yes
    vars: { question: "Is Lumen free?" }
    assert:
      - { type: icontains, value: "yes" }
`;
const basePrompt = promptWithTests(TESTS);
// The head changes the system message (and bumps the version), which makes the model answer "no".
const headPrompt = basePrompt.replace('version: 1', 'version: 2\nchangelog:\n  - { version: 2, note: stricter }').replace('You answer questions about Lumen.', 'You answer questions about Lumen strictly.');

function tree(config: string) {
  return minimalRepo({
    'promptops.config.yaml': config,
    'features/_models.yaml': LOCAL_MODELS_YAML,
    'features/greeter.yaml': undefined,
    'prompts/greet.yaml': undefined,
    'prompts/_partials/tone.hbs': undefined,
    'features/support.yaml': FEATURE,
    'prompts/answer.yaml': basePrompt,
  });
}
const VALID = `${evalConfig()}policy:\n  max_eval_regressions: 0\n`;
// One unknown key under eval: — the config no longer validates.
const INVALID = VALID.replace('  concurrency: 4\n', '  concurrency: 4\n  bogus: 1\n');

async function diff(dir: string) {
  server ??= await startOpenAIServer({ chat: (body) => ({ content: JSON.stringify(body.messages).includes('strictly') ? 'No.' : 'Yes, it is.' }) });
  const json = await run(['diff', '--no-usage', '--json'], { cwd: dir, env: localEnv(server.url) });
  const text = await run(['diff', '--no-usage'], { cwd: dir, env: localEnv(server.url) });
  return { report: JSON.parse(json.stdout), json, text };
}

describe('diff with a config that does not validate', () => {
  it('with a valid base config, the regression fails the check (the reference case)', async () => {
    const { report, json } = await diff(await pullRequestRepo(tree(VALID), { 'prompts/answer.yaml': headPrompt }));
    expect(report.evals.regressions).toBe(1);
    expect(json.code).toBe(1);
  });

  it('judges with the default policy and the configured provider when the base config is invalid, and says so', async () => {
    const dir = await pullRequestRepo(tree(INVALID), { 'prompts/answer.yaml': headPrompt, 'promptops.config.yaml': VALID });
    const { report, json, text } = await diff(dir);
    // Both sides were answered by the model (never by the offline provider): a real regression.
    expect(report.evals.tests).toEqual([expect.objectContaining({ test: 'says-yes', base: 'pass', head: 'fail', kind: 'regression' })]);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'eval-regressions', severity: 'error' }));
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'base-config-invalid', severity: 'warning', file: 'promptops.config.yaml', message: expect.stringContaining('default policy') }));
    expect(json.code).toBe(1);
    expect(text.stderr + text.stdout).toContain('base-config-invalid');
    expect(text.stderr + text.stdout).toMatch(/max_eval_regressions: 0/);
    const markdown = await run(['diff', '--no-usage', '--format', 'markdown'], { cwd: dir, env: localEnv(server!.url) });
    expect(markdown.stdout).toContain('base-config-invalid');
  });

  it('fails when only the head config is invalid, naming promptops.config.yaml with its location', async () => {
    const dir = await pullRequestRepo(tree(VALID), { 'prompts/answer.yaml': basePrompt.replace('Is Lumen free?', 'Is Lumen free of charge?'), 'promptops.config.yaml': INVALID });
    const { report, json, text } = await diff(dir);
    const line = INVALID.split('\n').findIndex((l) => l.includes('bogus')) + 1;
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ severity: 'error', file: 'promptops.config.yaml', line, message: expect.stringContaining('bogus') }));
    expect(json.code).toBe(1);
    expect(text.stderr).toContain(`promptops.config.yaml:${line}:`);
    const markdown = await run(['diff', '--no-usage', '--format', 'markdown'], { cwd: dir, env: localEnv(server!.url) });
    expect(markdown.stdout).toContain('promptops.config.yaml');
    expect(markdown.code).toBe(1);
  });
});

describe('diff when the provider times out or rate-limits at head', () => {
  it.each([
    ['times out', { hang: true }],
    ['keeps answering 429', { status: 429, content: 'rate limited', headers: { 'retry-after': '0' } }],
  ] as const)('exits 3 (infrastructure) when it %s, never a regression', async (_, reply) => {
    const config = VALID.replace('timeout_ms: 3000', 'timeout_ms: 300').replace('retries: 2', 'retries: 0');
    const dir = await pullRequestRepo(tree(config), { 'prompts/answer.yaml': headPrompt });
    server = await startOpenAIServer({ chat: (body) => (JSON.stringify(body.messages).includes('strictly') ? reply : { content: 'Yes, it is.' }) });
    const result = await run(['diff', '--no-usage'], { cwd: dir, env: localEnv(server.url) });
    expect(result.stderr).toMatch(/promptops diff: 1 test at head could not use its provider/);
    expect(result.stdout).not.toContain('regression');
    expect(result.code).toBe(3);
  });
});

