import * as ajvModule from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { commitChanges, pullRequestRepo } from './helpers/git.js';
import { catalogModel, CONFIG_YAML, EXAMPLE_ROOT, gitRepo, minimalRepo, repo, run, tempDir, writeTree } from './helpers/repo.js';

const CONFIG = `${CONFIG_YAML}eval:
  provider: offline
  cache_dir: .cache
policy:
  require_version_bump: error
  max_eval_regressions: 0
`;

/** Two local models with round prices, so the test computes costs on its own. */
const MODELS = `providers:
  local:
    type: custom
    base_url: http://127.0.0.1:9/v1
models:
${catalogModel('local/small', 'chat', [{ effective_from: '2025-01-01', input_per_mtok: 1, output_per_mtok: 4 }])}${catalogModel('local/large', 'chat', [{ effective_from: '2025-01-01', input_per_mtok: 10, output_per_mtok: 40 }])}`;

const feature = (model: string, extra = '') => `name: greeter
status: active
team: growth
prompts: [greet]
environments:
  development:
    model: ${model}
  staging:
    model: ${model}
  production:
    model: ${model}
${extra}`;

const prompt = ({ version = 1, line = 'Say hello to {{name}}.', changelog = '', tests = DEFAULT_TESTS, model = '' } = {}) => `version: ${version}
status: approved
description: Greets a user.
${changelog}variables:
  name:
    type: string
${model}template: |
  {{> tone}}
  ${line}
tests:
${tests}`;

const DEFAULT_TESTS = `  - name: says-hello
    vars: { name: Ada }
    assert:
      - { type: contains, target: prompt, value: hello }
  - name: is-warm
    vars: { name: Ada }
    assert:
      - { type: contains, target: prompt, value: warm }
`;

const base = (overrides: Record<string, string | undefined> = {}) =>
  minimalRepo({
    'promptops.config.yaml': CONFIG,
    'features/_models.yaml': MODELS,
    'features/greeter.yaml': feature('local/small', 'traffic:\n  greet: 1000\n'),
    'prompts/greet.yaml': prompt(),
    ...overrides,
  });

// CommonJS packages: the default export sits one level deeper under NodeNext.
const Ajv2020 = ajvModule.default.default ?? ajvModule.default;
const addFormats = formatsModule.default.default ?? formatsModule.default;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
/** The committed JSON Schema of the report, as a consumer of `diff --output` would use it. */
const validateReport = ajv.compile(JSON.parse(readFileSync(join(EXAMPLE_ROOT, 'schemas/diff-report.schema.json'), 'utf8')));
const schemaErrors = (report: unknown) => (validateReport(report) ? [] : validateReport.errors);

/** Every key of a JSON value, as [path of its object, key]. */
function keysOf(value: unknown, path = '$'): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => keysOf(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [[path, k] as [string, string], ...keysOf(v, `${path}.${k}`)]);
}

const diff = (dir: string, ...argv: string[]) => run(['diff', '--no-usage', ...argv], { cwd: dir });
/** `diff --json`; every report the tests read is also checked against schemas/diff-report.schema.json. */
const diffJson = async (dir: string, ...argv: string[]) => {
  const result = await diff(dir, '--json', ...argv);
  const report = JSON.parse(result.stdout);
  expect(schemaErrors(report)).toEqual([]);
  return { ...result, report };
};

describe('promptops diff: policies', () => {
  it('fails a content change without a version bump, pointing at the version line', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ line: 'Say hello to {{name}} and wave.' }) });
    const result = await diff(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prompts/greet.yaml:1:10 error [version-not-bumped] rendered content of prompt "greet" changed but its version is still 1');
    expect(result.stderr).toContain('set "version: 2"');
    expect(result.stdout).toContain('+Say hello to Ada and wave.');
    expect(result.stdout).toContain('-Say hello to Ada.');
  });

  it('accepts the change once the version is bumped with a changelog entry, and asks for the entry when missing', async () => {
    const changelog = 'changelog:\n  - version: 2\n    note: Wave as well.\n';
    const ok = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ version: 2, changelog, line: 'Say hello to {{name}} and wave.' }) });
    const good = await diffJson(ok);
    expect(good.code).toBe(0);
    expect(good.report.diagnostics).toEqual([]);
    expect(good.report.prompts[0]).toMatchObject({ id: 'greet', change: 'changed', version: { base: 1, head: 2 }, content_changed: true, note: 'Wave as well.' });

    const missing = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ version: 2, line: 'Say hello to {{name}} and wave.' }) });
    const bad = await diffJson(missing);
    expect(bad.code).toBe(1);
    expect(bad.report.diagnostics.map((d: { code: string }) => d.code)).toEqual(['changelog-entry-missing']);
  });

  it('treats a changed partial as a content change of every prompt including it, and parameters too', async () => {
    const dir = await pullRequestRepo(base(), {
      'prompts/_partials/tone.hbs': 'Be warm, brief and playful.\n',
    });
    const { code, report } = await diffJson(dir);
    expect(code).toBe(1);
    expect(report.prompts).toHaveLength(1);
    expect(report.prompts[0]).toMatchObject({ id: 'greet', content_changed: true, partials: ['tone'] });
    expect(report.entities.map((e: { kind: string; id: string; change: string }) => `${e.kind}:${e.id}:${e.change}`)).toEqual(['partial:tone:changed']);
    expect(report.diagnostics[0].code).toBe('version-not-bumped');

    const params = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ model: 'model:\n  temperature: 0.9\n' }) });
    const p = await diffJson(params);
    expect(p.report.prompts[0].params).toEqual([{ path: 'temperature', head: 0.9 }]);
    expect(p.report.diagnostics[0].message).toContain('model parameters (temperature)');
  });

  it('judges a change by the base commit\'s policy, so a pull request cannot switch its own checks off', async () => {
    const relaxed = CONFIG.replace('require_version_bump: error', 'require_version_bump: "off"');
    const dir = await pullRequestRepo(base(), { 'promptops.config.yaml': relaxed, 'prompts/greet.yaml': prompt({ line: 'Say hello to {{name}} and wave.' }) });
    const { code, report } = await diffJson(dir);
    expect(code).toBe(1);
    expect(report.diagnostics.map((d: { code: string }) => d.code)).toEqual(['version-not-bumped']);
    expect(report.entities).toContainEqual(expect.objectContaining({ kind: 'config', fields: [{ path: 'policy.require_version_bump', base: 'error', head: 'off' }] }));
    // Once merged, the relaxed policy is the base and applies.
    const next = await pullRequestRepo(base({ 'promptops.config.yaml': relaxed }), { 'prompts/greet.yaml': prompt({ line: 'Say hello to {{name}} and wave.' }) });
    expect((await diff(next)).code).toBe(0);
    const down = await pullRequestRepo(base({ 'promptops.config.yaml': relaxed, 'prompts/greet.yaml': prompt({ version: 3 }) }), { 'prompts/greet.yaml': prompt({ version: 2 }) });
    const decreased = await diffJson(down);
    expect(decreased.report.diagnostics.map((d: { code: string }) => d.code)).toEqual(['version-decreased']);
  });

  it('does not ask for a version bump when only metadata changed', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt().replace('Greets a user.', 'Greets a user by first name.') });
    const { code, report } = await diffJson(dir);
    expect(code).toBe(0);
    expect(report.prompts).toEqual([]);
    expect(report.entities).toEqual([{ kind: 'prompt', id: 'greet', change: 'changed', file: 'prompts/greet.yaml', fields: [{ path: 'description', base: 'Greets a user.', head: 'Greets a user by first name.' }] }]);
    expect(report.headline).toBe('1 config change, no prompt changed');
  });

  it('follows a renamed prompt and fails while a feature still uses the old id', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': undefined, 'prompts/welcome.yaml': prompt() });
    const { code, report } = await diffJson(dir);
    expect(code).toBe(1);
    expect(report.entities).toContainEqual(expect.objectContaining({ kind: 'prompt', id: 'welcome', change: 'renamed', base_id: 'greet', base_file: 'prompts/greet.yaml' }));
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'removed-prompt-in-use', file: 'features/greeter.yaml', line: 4, col: 11, message: 'prompt "greet" is renamed to "welcome" but feature "greeter" still uses it' }));

    const fixed = await pullRequestRepo(base(), {
      'prompts/greet.yaml': undefined,
      'prompts/welcome.yaml': prompt(),
      'features/greeter.yaml': feature('local/small', 'traffic:\n  welcome: 1000\n').replace('[greet]', '[welcome]'),
    });
    const ok = await diffJson(fixed);
    expect(ok.report.diagnostics).toEqual([]);
    expect(ok.code).toBe(0);
    // Tests of a renamed prompt are compared with their old selves, not reported as new.
    expect(ok.report.evals.tests.map((t: { kind: string }) => t.kind)).toEqual(['unchanged', 'unchanged']);
  });

  it('fails when a prompt still used by a feature is deleted', async () => {
    const dir = await pullRequestRepo(base({ 'prompts/other.yaml': prompt({ line: 'Bye {{name}}.' }) }), { 'prompts/other.yaml': undefined });
    const gone = await diffJson(dir);
    expect(gone.code).toBe(0);
    expect(gone.report.entities).toContainEqual(expect.objectContaining({ kind: 'prompt', id: 'other', change: 'removed' }));

    const used = await pullRequestRepo(base(), { 'prompts/greet.yaml': undefined });
    const result = await diff(used);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('features/greeter.yaml:4:11 error [removed-prompt-in-use] prompt "greet" is removed but feature "greeter" still uses it');
  });

  it('fails a reassignment of a running experiment unless this change acknowledges it', async () => {
    const experiment = (weights: [number, number], extra = '') => `name: tone-test
feature: greeter
type: a_b_test
status: running
variants:
  - { name: control, weight: ${weights[0]} }
  - { name: playful, weight: ${weights[1]} }
${extra}`;
    const start = base({ 'experiments/tone-test.yaml': experiment([0.5, 0.5]) });
    const dir = await pullRequestRepo(start, { 'experiments/tone-test.yaml': experiment([0.8, 0.2]) });
    const result = await diff(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('experiments/tone-test.yaml:6:3 error [experiment-reassignment] running experiment "tone-test" changes its variant weights');

    const same = await pullRequestRepo(start, { 'experiments/tone-test.yaml': experiment([50, 50]) });
    expect((await diff(same)).code).toBe(0);

    const acked = await pullRequestRepo(start, { 'experiments/tone-test.yaml': experiment([0.8, 0.2], 'acknowledge_reassignment: ramp up after the guardrail review\n') });
    expect((await diff(acked)).code).toBe(0);
  });

  it('reads a base where the repository did not exist yet: everything is added, no policy applies', async () => {
    const dir = repo({ 'README.md': '# app\n' });
    await gitRepo(dir);
    await simpleGit({ baseDir: dir }).raw(['branch', '-M', 'main']);
    await simpleGit({ baseDir: dir }).checkoutLocalBranch('change');
    await commitChanges(dir, base(), 'add promptops');
    const { code, report } = await diffJson(dir);
    expect(code).toBe(0);
    expect(report.base.exists).toBe(false);
    expect(report.prompts).toEqual([expect.objectContaining({ id: 'greet', change: 'added', version: { head: 1 } })]);
    expect(report.evals.tests.map((t: { kind: string }) => t.kind)).toEqual(['added', 'added']);
    expect(report.headline).toMatch(/^1 prompt changed · evals 2\/2 \(\+2\) · est\. \+\$/);
  });
});

describe('promptops diff: evals and git', () => {
  it('orders regressions first, then fixes, then new and removed tests', async () => {
    const tests = (names: string[]) => names.map((n) => {
      const value = { 'says-hello': 'hello', 'is-warm': 'warm', 'says-hi': 'Hi', 'no-wave': 'Ada.' }[n];
      return `  - name: ${n}\n    vars: { name: Ada }\n    assert:\n      - { type: contains, target: prompt, value: "${value}" }\n`;
    }).join('');
    const changelog = 'changelog:\n  - version: 2\n    note: Hi instead of hello.\n';
    const dir = await pullRequestRepo(base({ 'prompts/greet.yaml': prompt({ tests: tests(['says-hello', 'says-hi', 'is-warm', 'no-wave']) }) }), {
      'prompts/greet.yaml': prompt({ version: 2, changelog, line: 'Say Hi to {{name}}', tests: tests(['says-hello', 'says-hi', 'is-warm']) + `  - name: brand-new\n    vars: { name: Ada }\n    assert:\n      - { type: contains, target: prompt, value: Hi }\n` }),
    });
    const { code, report } = await diffJson(dir);
    expect(report.evals.tests.map((t: { kind: string; test: string; base?: string; head?: string }) => `${t.kind}:${t.test}:${t.base ?? '-'}→${t.head ?? '-'}`)).toEqual([
      'regression:says-hello:pass→fail',
      'fixed:says-hi:fail→pass',
      'added:brand-new:-→pass',
      'removed:no-wave:pass→-',
      'unchanged:is-warm:pass→pass',
    ]);
    expect(report.evals.regressions).toBe(1);
    expect(report.evals.tests[0]).toMatchObject({ file: 'prompts/greet.yaml', line: 14, reason: expect.stringContaining('contains') });
    // policy.max_eval_regressions: 0
    expect(code).toBe(1);
    expect(report.diagnostics.map((d: { code: string }) => d.code)).toEqual(['eval-regressions']);
    expect(report.headline).toMatch(/^1 prompt changed · evals 3\/4 · /);
  });

  it('exits 3 when the provider cannot be used (down, or its key unset); an offline answer skips the rubric and fails the check as unanswered (exit 1)', async () => {
    const changelog = 'changelog:\n  - version: 2\n    note: Exclaim.\n';
    const tests = `${DEFAULT_TESTS}  - name: judged\n    vars: { name: Ada }\n    assert:\n      - { type: llm-rubric, value: Greets Ada warmly. }\n`;
    const head = { 'prompts/greet.yaml': prompt({ version: 2, changelog, line: 'Say hello to {{name}}!', tests }) };

    const offline = await diffJson(await pullRequestRepo(base(), head));
    expect(offline.code).toBe(1);
    expect(offline.report.evals.tests).toContainEqual(expect.objectContaining({ kind: 'added', test: 'judged', head: 'skipped', skipped_assertions: 1, reason: expect.stringContaining('the offline provider answered') }));
    expect(offline.report.diagnostics).toEqual([expect.objectContaining({ code: 'eval-offline', severity: 'error', message: '1 test of prompt "greet" has output assertions no model answered (the offline provider did, so they were skipped): "judged"' })]);

    const down = await diff(await pullRequestRepo(base(), head), '--provider', 'live');
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('promptops diff: 1 test at head could not use its provider (local/small: cannot reach the provider');

    const keyed = { 'features/_models.yaml': MODELS.replace('    type: custom\n', '    type: custom\n    api_key_env: LOCAL_API_KEY\n') };
    const noKey = await diff(await pullRequestRepo(base(keyed), head), '--provider', 'live');
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toContain('environment variable LOCAL_API_KEY (API key of provider "local") is not set');
  });

  it('reads the base from git objects without touching the working tree, the index or HEAD', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ line: 'Say hello to {{name}}!' }) });
    writeTree(dir, { 'prompts/greet.yaml': prompt({ line: 'Uncommitted {{name}}' }) });
    await simpleGit({ baseDir: dir }).add('prompts/greet.yaml');
    writeTree(dir, { 'prompts/greet.yaml': prompt({ line: 'Unstaged {{name}}' }) });
    const git = simpleGit({ baseDir: dir });
    const before = [await git.raw(['status', '--porcelain=v2', '--branch']), await git.raw(['diff', '--cached']), await git.revparse(['HEAD'])];
    const working = await diffJson(dir);
    expect(working.report.prompts[0].diff).toContain('+Unstaged Ada');
    const committed = await diffJson(dir, '--head', 'HEAD');
    expect(committed.report.prompts[0].diff).toContain('+Say hello to Ada!');
    expect(committed.report.head.ref).toBe('HEAD');
    expect([await git.raw(['status', '--porcelain=v2', '--branch']), await git.raw(['diff', '--cached']), await git.revparse(['HEAD'])]).toEqual(before);
    expect(readFileSync(join(dir, 'prompts/greet.yaml'), 'utf8')).toContain('Unstaged {{name}}');
  });

  it('uses --base as given and reports bad refs and non-repositories as usage errors', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt({ line: 'Hey {{name}}.' }) });
    const same = await diffJson(dir, '--base', 'HEAD');
    expect(same.report.prompts).toEqual([]);
    expect(same.report.base.ref).toBe('HEAD');
    const bad = await diff(dir, '--base', 'no-such-branch');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('git ref "no-such-branch" does not name a commit');
    const plain = await diff(repo(base()));
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('is not inside a git repository');
    const env = await diff(dir, '--env', 'prod');
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('unknown environment "prod"');
  });
});

describe('promptops diff: cost', () => {
  it('projects monthly cost from traffic: tokens × catalog price × calls, per environment', async () => {
    const dir = await pullRequestRepo(base(), { 'features/greeter.yaml': feature('local/large', 'traffic:\n  greet: 1000\n') });
    const { code, report } = await diffJson(dir, '--no-eval');
    expect(report.prompts).toEqual([expect.objectContaining({ id: 'greet', change: 'assignment', content_changed: false })]);
    const rows = report.cost.rows;
    expect(rows.map((r: { environment: string }) => r.environment)).toEqual(['development', 'staging', 'production']);
    const production = rows[2];
    expect(production).toMatchObject({ feature: 'greeter', monthly_calls: 30_000, calls_source: 'traffic', team: 'growth' });
    expect(production.base.model).toBe('local/small');
    expect(production.head.model).toBe('local/large');
    // No usage logs and offline evals: output length is unknown, so the cost is the input's.
    expect(production.head.output_source).toBe('none');
    const tokens = production.head.input_tokens;
    expect(tokens).toBeGreaterThan(5);
    expect(production.base.cost_per_call).toBeCloseTo((tokens * 1) / 1e6, 12);
    expect(production.head.cost_per_call).toBeCloseTo((tokens * 10) / 1e6, 12);
    expect(production.head.monthly).toBeCloseTo((tokens * 10 * 30_000) / 1e6, 9);
    // Traffic describes the last environment; the others have no volume.
    expect(rows[0].monthly_calls).toBe(0);
    expect(report.cost.delta).toBeCloseTo((tokens * 9 * 30_000) / 1e6, 9);
    expect(report.cost.pct).toBeCloseTo(900, 6);
    expect(code).toBe(0);
  });

  it('takes volume and output length from usage logs of the last 30 days, and blocks a change that breaks an enforce: block budget', async () => {
    const call = (i: number, day: string, env = 'production') => JSON.stringify({ timestamp: `${day}T12:00:00Z`, request_id: `r${day}${env}${i}`, feature: 'greeter', environment: env, prompt_id: 'greet', provider: 'local', model: 'small', input_tokens: 100, output_tokens: 50 + (i % 2) * 100, status: 'success' });
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) lines.push(call(i, '2026-11-10'));
    for (let i = 0; i < 20; i++) lines.push(call(i, '2026-11-20'));
    for (let i = 0; i < 7; i++) lines.push(call(i, '2026-11-20', 'staging'));
    // Older than 30 days before the last call: not part of the monthly volume.
    for (let i = 0; i < 500; i++) lines.push(call(i, '2026-10-01'));
    const budget = `name: growth-monthly
scope:
  team: [growth]
period: monthly
amount: 0.05
enforce: block
`;
    const start = base({
      'promptops.config.yaml': `${CONFIG}usage:\n  paths: [usage/*.jsonl]\n`,
      'usage/calls.jsonl': `${lines.join('\n')}\n`,
      'budgets/growth-monthly.yaml': budget,
    });
    const dir = await pullRequestRepo(start, { 'features/greeter.yaml': feature('local/large', 'traffic:\n  greet: 1000\n') });
    const result = await run(['diff', '--json', '--no-eval'], { cwd: dir });
    const report = JSON.parse(result.stdout);
    expect(schemaErrors(report)).toEqual([]);
    const production = report.cost.rows.find((r: { environment: string }) => r.environment === 'production');
    expect(production).toMatchObject({ monthly_calls: 60, calls_source: 'usage' });
    expect(production.head.output_tokens).toBe(100);
    expect(production.head.output_source).toBe('usage');
    const tokens = production.head.input_tokens;
    expect(production.head.cost_per_call).toBeCloseTo((tokens * 10 + 100 * 40) / 1e6, 12);
    expect(report.cost.rows.find((r: { environment: string }) => r.environment === 'staging').monthly_calls).toBe(7);

    const [impact] = report.budgets;
    expect(impact).toMatchObject({ budget: 'growth-monthly', period: 'monthly', enforce: 'block', estimated: false, exceeds: true, blocked: true });
    // November has 30 days: the monthly delta applies as is.
    expect(impact.delta).toBeCloseTo(report.cost.delta, 9);
    expect(result.code).toBe(1);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'budget-blocked', file: 'budgets/growth-monthly.yaml' }));
  });
});

describe('promptops diff: output', () => {
  it('renders the PR comment as markdown with the headline first', async () => {
    const changelog = 'changelog:\n  - version: 2\n    note: "Wave too | <b>bold</b>"\n';
    const dir = await pullRequestRepo(base(), {
      'prompts/greet.yaml': prompt({ version: 2, changelog, line: 'Say hello to {{name}} and wave.' }),
      'features/greeter.yaml': feature('local/large', 'traffic:\n  greet: 1000\n'),
    });
    const result = await diff(dir, '--format', 'markdown');
    expect(result.code).toBe(0);
    const normalised = result.stdout.replace(/`[0-9a-f]{7}`/g, '`<sha>`').replace(/prices of \d{4}-\d{2}-\d{2}/, 'prices of <date>');
    expect(normalised).toMatchSnapshot();
  });

  it('writes the JSON report and the markdown summary to files', async () => {
    const dir = await pullRequestRepo(base(), { 'features/greeter.yaml': feature('local/large', 'traffic:\n  greet: 1000\n') });
    const out = tempDir();
    const result = await diff(dir, '--output', join(out, 'report.json'), '--summary', join(out, 'summary.md'), '--no-eval');
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ kind: 'promptops/diff', schema_version: 3, environment: 'production' });
    expect(schemaErrors(report)).toEqual([]);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`### ✅ promptops: ${report.headline}`);
    expect(result.stdout).toContain(report.headline);
  });

  it('writes a report that follows schemas/diff-report.schema.json, with snake_case keys only', async () => {
    const budget = 'name: growth-monthly\nscope:\n  team: [growth]\nperiod: monthly\namount: 0.01\nenforce: block\n';
    // A renamed prompt with a reworded template but no version bump, on a dearer model, under a blocking budget:
    // renames, rendered diffs, eval changes, cost rows of both sides, a budget impact and diagnostics with positions.
    const dir = await pullRequestRepo(base({ 'budgets/growth-monthly.yaml': budget }), {
      'prompts/greet.yaml': undefined,
      'prompts/welcome.yaml': prompt({ line: 'Say hi to {{name}}.' }),
      'features/greeter.yaml': feature('local/large', 'traffic:\n  welcome: 1000\n').replace('[greet]', '[welcome]'),
    });
    const event = join(tempDir(), 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: 'a'.repeat(40) } } }));
    const out = join(tempDir(), 'report.json');
    // Usage logs are not configured: the report carries a note about it.
    const result = await run(['diff', '--format', 'json', '--output', out], { cwd: dir, env: { GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/app' } });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);

    expect(schemaErrors(report)).toEqual([]);
    const keys = keysOf(report);
    expect(keys.length).toBeGreaterThan(100);
    expect(keys.filter(([, key]) => /[A-Z]/.test(key)).map(([path, key]) => `${path}.${key}`)).toEqual([]);

    // The report exercises the renamed fields (so the checks above are not vacuous).
    expect(report.schema_version).toBe(3);
    expect(report.entities).toContainEqual(expect.objectContaining({ kind: 'prompt', id: 'welcome', change: 'renamed', base_id: 'greet', base_file: 'prompts/greet.yaml' }));
    expect(report.prompts[0]).toMatchObject({ id: 'welcome', change: 'renamed', base_id: 'greet', base_file: 'prompts/greet.yaml', content_changed: true, rendered_with: 'says-hello' });
    const production = report.cost.rows.find((r: { environment: string }) => r.environment === 'production');
    expect(production).toMatchObject({ prompt: 'welcome', monthly_calls: 30_000, calls_source: 'traffic' });
    expect(Object.keys(production.base).sort()).toEqual(['cost_per_call', 'input_tokens', 'model', 'monthly', 'output_source', 'output_tokens']);
    expect(Object.keys(report.budgets[0]).sort()).toEqual(['amount', 'blocked', 'budget', 'delta', 'enforce', 'estimated', 'exceeds', 'file', 'period', 'projected_base', 'projected_head']);
    expect(report.evals.tests.map((t: { kind: string; test: string }) => `${t.kind}:${t.test}`)).toEqual(['regression:says-hello', 'unchanged:is-warm']);
    expect(report.diagnostics.map((d: { code: string }) => d.code).sort()).toEqual(['budget-blocked', 'eval-regressions', 'version-not-bumped']);
    expect(report.notes).toEqual([expect.stringContaining('no usage logs configured')]);
    expect(report.github).toEqual({ repository: 'acme/app', pr: 7, head_sha: 'a'.repeat(40) });

    // A leaked camelCase key or a missing field is a schema violation.
    const { projected_base: projectedBase, ...rest } = report.budgets[0];
    expect(schemaErrors({ ...report, budgets: [{ ...rest, projectedBase }] })).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'projectedBase' } }));
    expect(schemaErrors({ ...report, budgets: [rest] })).toContainEqual(expect.objectContaining({ keyword: 'required', params: { missingProperty: 'projected_base' } }));
  });
});
