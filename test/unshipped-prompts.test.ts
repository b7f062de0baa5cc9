import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { verifyEnvelope } from '../src/runtime/envelope.js';
import { exampleCopy, FEATURE_YAML, gitRepo, minimalRepo, PROMPT_YAML, repo, run, tempDir } from './helpers/repo.js';

/**
 * A feature in an environment's bundle carries only the prompts that environment publishes; the
 * runtime's render throws for the others. validate warns at the feature's environment entry, publish
 * refuses the environment (before anything is stored), compile warns and still writes the bundle.
 */

const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };

const promptWith = (status: string) => PROMPT_YAML.replace('status: approved', `status: ${status}`);
/** The minimal repository (environments: development publishes draft+review+approved, staging review+approved, production approved). */
const tree = (overrides: Record<string, string>) => minimalRepo(overrides);

/** 1-based line and column of `needle` in `text`, computed from the text itself. */
function position(text: string, needle: string): { line: number; col: number } {
  const index = text.indexOf(needle);
  expect(index, needle).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

async function gitTree(overrides: Record<string, string>): Promise<string> {
  const dir = repo(tree(overrides));
  await gitRepo(dir);
  return dir;
}

const storeOf = (dir: string) => {
  const store = createFileStore({ dir: join(dir, '.promptops/store') });
  onTestFinished(() => store.close());
  return store;
};

describe('validate: a feature shipped to an environment that does not publish its prompts', () => {
  it('warns at the feature\'s environment entry, naming the environment, prompt, status and fixes', async () => {
    const root = repo(tree({ 'prompts/greet.yaml': promptWith('review') }));
    const result = await run(['validate', '--root', root]);
    const at = position(FEATURE_YAML, 'production:');
    expect(result.stderr).toContain(`features/greeter.yaml:${at.line}:${at.col} warning [unshipped-prompt] feature "greeter" ships to production, but none of its prompts is published there: "greet" (status review), and production publishes only approved; the runtime client's render fails for it there`);
    expect(result.stderr).toContain('hint: set "status: approved" on prompts/greet.yaml once it is ready for production, or set "status: inactive" on the feature, or remove "production:" from its environments');
    // staging publishes review, development everything: only production is flagged.
    expect(result.stderr.match(/\[unshipped-prompt\]/g)).toHaveLength(1);
    expect(result.code).toBe(0);
    expect((await run(['validate', '--root', root, '--strict'])).code).toBe(1);
  });

  it('flags each missing prompt of a feature whose other prompts do ship', async () => {
    const feature = FEATURE_YAML.replace('  - greet\n', '  - greet\n  - farewell\n');
    const root = repo(tree({ 'features/greeter.yaml': feature, 'prompts/farewell.yaml': promptWith('draft').replace('Say hello', 'Say goodbye') }));
    const result = await run(['validate', '--root', root, '--json']);
    const found = JSON.parse(result.stdout).diagnostics.filter((d: { code: string }) => d.code === 'unshipped-prompt');
    expect(found.map((d: { line: number; col: number; message: string }) => [d.line, d.col, d.message])).toEqual(
      (['staging', 'production'] as const).map((e) => [
        position(feature, `${e}:`).line,
        position(feature, `${e}:`).col,
        `feature "greeter" ships to ${e}, but its prompt "farewell" (status draft) is not published there (${e} publishes only ${e === 'staging' ? 'review, approved' : 'approved'}); the runtime client's render fails for it there`,
      ]),
    );
    expect(found[0].hint).toContain('set the status of prompts/farewell.yaml to one of review, approved once it is ready for staging');
    expect(result.code).toBe(0);
  });

  it('says nothing for an inactive feature, with every environment or with development only', async () => {
    const inactive = repo(tree({ 'prompts/greet.yaml': promptWith('draft'), 'features/greeter.yaml': FEATURE_YAML.replace('status: active', 'status: inactive') }));
    const a = await run(['validate', '--root', inactive]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const devOnly = FEATURE_YAML.replace('status: active', 'status: inactive').replace(/  staging:[\s\S]*$/, '');
    const b = await run(['validate', '--root', repo(tree({ 'prompts/greet.yaml': promptWith('draft'), 'features/greeter.yaml': devOnly }))]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
  });
});

describe('publish: refuses an environment whose bundle would lack a feature\'s prompt', () => {
  it('fails with the located diagnostic and stores nothing, for that environment and for --env all', async () => {
    const dir = await gitTree({ 'prompts/greet.yaml': promptWith('review') });
    for (const flags of [['--env', 'production'], ['--env', 'all'], ['--env', 'production', '--dry-run']]) {
      const result = await run(['publish', ...flags], { cwd: dir, env });
      const at = position(FEATURE_YAML, 'production:');
      expect(result.stderr, flags.join(' ')).toContain(`features/greeter.yaml:${at.line}:${at.col} error [unshipped-prompt] feature "greeter" ships to production`);
      expect(result.stderr).toContain('promptops publish: production would ship features or running experiments without their prompts; nothing was published');
      expect(result.stdout).not.toContain('released');
      expect(result.code).toBe(1);
    }
    // Nothing reached the store, not even the environments that were fine (no half-published --env all).
    const store = storeOf(dir);
    for (const e of ['development', 'staging', 'production']) expect(await store.current(e), e).toBeUndefined();

    // Environments that publish the prompt are unaffected.
    const staging = await run(['publish', '--env', 'development,staging'], { cwd: dir, env });
    expect(staging.stderr).toBe('');
    expect(staging.code).toBe(0);
  });

  it('publishes once the prompt is approved, with the prompt in the bundle', async () => {
    const dir = await gitTree({});
    const result = await run(['publish', '--env', 'production'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const store = storeOf(dir);
    const current = (await store.current('production'))!;
    const { bundle } = verifyEnvelope((await store.getBundle(current.revision))!.bytes, { publicKey: KEYS.publicKey, environment: 'production' });
    expect(bundle.features.greeter!.prompts).toEqual(['greet']);
  });

  it('publishes an inactive feature without the prompt (nothing calls it)', async () => {
    const dir = await gitTree({ 'prompts/greet.yaml': promptWith('review'), 'features/greeter.yaml': FEATURE_YAML.replace('status: active', 'status: inactive') });
    const result = await run(['publish', '--env', 'production'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const store = storeOf(dir);
    const current = (await store.current('production'))!;
    const { bundle } = verifyEnvelope((await store.getBundle(current.revision))!.bytes, { publicKey: KEYS.publicKey, environment: 'production' });
    expect(bundle.features.greeter).toMatchObject({ status: 'inactive', prompts: [] });
  });
});

describe('a running experiment whose variant prompt an environment does not publish', () => {
  const EXPERIMENT = `name: greet-test
feature: greeter
type: prompt_testing
status: running
variants:
  - { name: control, weight: 50 }
  - { name: shorter, weight: 50, prompt: greet-short }
`;
  const overrides = { 'experiments/greet-test.yaml': EXPERIMENT, 'prompts/greet-short.yaml': promptWith('review').replace('Say hello to {{name}}.', 'Hi {{name}}.') };

  it('validate warns at the variant\'s prompt, once per environment that lacks it', async () => {
    const result = await run(['validate', '--root', repo(tree(overrides)), '--json']);
    const found = JSON.parse(result.stdout).diagnostics.filter((d: { code: string }) => d.code === 'unpublished-experiment');
    const at = position(EXPERIMENT, 'prompt: greet-short');
    expect(found).toEqual([
      expect.objectContaining({ severity: 'warning', file: 'experiments/greet-test.yaml', line: at.line, col: at.col + 'prompt: '.length, message: expect.stringContaining('running experiment "greet-test" cannot run in production: variant "shorter" uses "greet-short" (status review)') }),
    ]);
    expect(result.code).toBe(0);
  });

  it('publish refuses that environment and stores nothing; paused, it publishes', async () => {
    const dir = await gitTree(overrides);
    const result = await run(['publish', '--env', 'all'], { cwd: dir, env });
    expect(result.stderr).toContain('error [unpublished-experiment] running experiment "greet-test" cannot run in production');
    expect(result.code).toBe(1);
    expect(await storeOf(dir).current('development')).toBeUndefined();

    const paused = await gitTree({ ...overrides, 'experiments/greet-test.yaml': EXPERIMENT.replace('status: running', 'status: paused') });
    expect((await run(['publish', '--env', 'all'], { cwd: paused, env })).code).toBe(0);
  });
});

describe('compile: writes the bundle for inspection and warns', () => {
  it('exits 0, writes every environment and prints the warning', async () => {
    const root = repo(tree({ 'prompts/greet.yaml': promptWith('review') }));
    const out = tempDir();
    const result = await run(['compile', '--root', root, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning [unshipped-prompt] feature "greeter" ships to production');
    const production = JSON.parse(readFileSync(join(out, 'production.bundle.json'), 'utf8'));
    expect(production.features.greeter.prompts).toEqual([]);
  });
});

describe('the example repository', () => {
  it('validates without unshipped prompts and publishes every environment', async () => {
    const dir = exampleCopy();
    const validate = await run(['validate', '--root', dir, '--json']);
    expect(JSON.parse(validate.stdout).diagnostics).toEqual([]);
    const result = await run(['publish', '--env', 'all', '--allow-dirty'], { cwd: dir, env: { USER: 'tester' } });
    expect(result.code).toBe(0);
    expect(result.stdout.match(/released/g)).toHaveLength(3);
  });
});
