import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { globSync } from 'tinyglobby';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { parse } from 'yaml';
import { createFileStore } from '../src/publish/file-store.js';
import { CONFIG_YAML, EXAMPLE_ROOT, exampleCopy, exampleTree, FEATURE_YAML, gitRepo, minimalRepo, PROMPT_YAML, repo, run, tempDir } from './helpers/repo.js';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

interface BundlePrompt {
  status: string;
  template?: string;
  messages?: { content: string }[];
  partials: Record<string, string>;
}
interface Bundle {
  environment: string;
  prompts: Record<string, BundlePrompt>;
  features: Record<string, unknown>;
  providers: Record<string, { api_key_env?: string }>;
  experiments: Record<string, unknown>;
}
interface Compiled {
  bytes: Buffer;
  bundle: Bundle;
  manifest: { schema_version: number; revision: string; environment: string; source_commit?: string; source_dirty?: boolean; created_at: string };
}

const exampleConfig = parse(readFileSync(join(EXAMPLE_ROOT, 'promptops.config.yaml'), 'utf8')) as { environments: Record<string, { publish: string[] }> };
const ENVIRONMENTS = Object.keys(exampleConfig.environments);

/** Runs `promptops compile --root <root> --out <fresh dir>` and reads back every environment's bundle and manifest. */
async function compile(root: string): Promise<Record<string, Compiled>> {
  const out = tempDir();
  const result = await run(['compile', '--root', root, '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  const compiled: Record<string, Compiled> = {};
  for (const file of readdirSync(out).filter((f) => f.endsWith('.bundle.json'))) {
    const env = file.slice(0, -'.bundle.json'.length);
    const bytes = readFileSync(join(out, file));
    compiled[env] = { bytes, bundle: JSON.parse(bytes.toString('utf8')), manifest: JSON.parse(readFileSync(join(out, `${env}.manifest.json`), 'utf8')) };
  }
  return compiled;
}

const revisions = (compiled: Record<string, Compiled>) => Object.fromEntries(Object.entries(compiled).map(([env, c]) => [env, c.manifest.revision]));

/** RFC 8785 for the values a bundle holds (strings, finite numbers, booleans, objects, arrays): sorted keys, no whitespace. */
function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${jcs((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Reads the example's YAML files of one kind: id → parsed content. */
function exampleFiles<T>(dir: string): Record<string, T> {
  const files = globSync(`${dir}/**/*.{yaml,yml}`, { cwd: EXAMPLE_ROOT }).filter((f) => !f.split('/').some((s) => s.startsWith('_')));
  return Object.fromEntries(files.map((f) => [f.slice(dir.length + 1).replace(/\.ya?ml$/, ''), parse(readFileSync(join(EXAMPLE_ROOT, f), 'utf8')) as T]));
}

describe('compile: determinism', () => {
  it('compiles the example repository to byte-identical bundles whose sha256 is the manifest revision', async () => {
    const first = await compile(EXAMPLE_ROOT);
    const second = await compile(EXAMPLE_ROOT);
    expect(Object.keys(first).sort()).toEqual([...ENVIRONMENTS].sort());
    for (const env of ENVIRONMENTS) {
      expect(second[env]!.bytes.equals(first[env]!.bytes), env).toBe(true);
      expect(first[env]!.manifest.revision).toBe(sha256(first[env]!.bytes));
      expect(first[env]!.manifest).toMatchObject({ environment: env, schema_version: 1 });
      expect(first[env]!.bundle.environment).toBe(env);
    }
    expect(new Set(Object.values(revisions(first))).size).toBe(ENVIRONMENTS.length);
  });

  it('gives the same bytes for a copy written in reverse order with other mtimes', async () => {
    const tree = exampleTree();
    const forward = await compile(repo(tree));
    const reversed = await compile(repo(tree, { reverse: true, mtime: new Date('2001-02-03T04:05:06Z') }));
    for (const env of ENVIRONMENTS) expect(reversed[env]!.bytes.equals(forward[env]!.bytes), env).toBe(true);
    expect(revisions(reversed)).toEqual(revisions(forward));
  });

  it('writes canonical (RFC 8785) JSON', async () => {
    const compiled = await compile(EXAMPLE_ROOT);
    for (const env of ENVIRONMENTS) {
      const text = compiled[env]!.bytes.toString('utf8');
      expect(jcs(JSON.parse(text))).toBe(text);
    }
  });

  it('records the source commit in the manifest, and recompiling a commit writes the same manifest', async () => {
    const dir = exampleCopy();
    await gitRepo(dir);
    const head = (await simpleGit({ baseDir: dir }).revparse(['HEAD'])).trim();
    const committedAt = (await simpleGit({ baseDir: dir }).raw(['log', '-1', '--format=%cI'])).trim();
    const first = await compile(dir);
    const second = await compile(dir);
    for (const env of ENVIRONMENTS) {
      expect(first[env]!.manifest).toMatchObject({ source_commit: head, created_at: new Date(committedAt).toISOString() });
      expect(first[env]!.manifest.source_dirty).toBeUndefined();
      expect(second[env]!.manifest).toEqual(first[env]!.manifest);
    }
  });
});

describe('compile and publish: one manifest', () => {
  const publishedManifests = async (dir: string, flags: string[] = []) => {
    const result = await run(['publish', '--env', 'all', ...flags], { cwd: dir, env: { USER: 'tester' } });
    expect(result.code, result.stderr).toBe(0);
    const store = createFileStore({ dir: join(dir, '.promptops/store') });
    onTestFinished(() => store.close());
    const manifests: Record<string, Compiled['manifest']> = {};
    for (const env of Object.keys(parse(CONFIG_YAML).environments)) {
      const bytes = (await store.getBundle((await store.current(env))!.revision))!.bytes;
      manifests[env] = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { manifest: Compiled['manifest'] }).manifest;
    }
    return manifests;
  };

  it('compile --out writes the manifest publish signs, for the same revision', async () => {
    const dir = repo(minimalRepo());
    await gitRepo(dir);
    const head = (await simpleGit({ baseDir: dir }).revparse(['HEAD'])).trim();
    const compiled = await compile(dir);
    const published = await publishedManifests(dir);
    expect(Object.keys(published)).toEqual(['development', 'staging', 'production']);
    for (const [env, manifest] of Object.entries(published)) {
      expect(manifest, env).toEqual(compiled[env]!.manifest);
      expect(manifest.source_commit).toBe(head);
    }

    // Uncommitted content: the same fields, except created_at, which is the time of each run.
    writeFileSync(join(dir, 'prompts/greet.yaml'), PROMPT_YAML.replace('Say hello', 'Say hi'));
    const before = Date.now();
    const dirtyCompiled = await compile(dir);
    const dirtyPublished = await publishedManifests(dir, ['--allow-dirty']);
    for (const [env, manifest] of Object.entries(dirtyPublished)) {
      const { created_at: compiledAt, ...compiledRest } = dirtyCompiled[env]!.manifest;
      const { created_at: publishedAt, ...publishedRest } = manifest;
      expect(publishedRest, env).toEqual(compiledRest);
      expect(publishedRest).toMatchObject({ source_commit: head, source_dirty: true });
      for (const at of [compiledAt, publishedAt]) expect(Date.parse(at)).toBeGreaterThanOrEqual(before - 1000);
    }
  });
});

describe('compile: content of the bundles', () => {
  const prompts = exampleFiles<{ status: string }>('prompts');

  it('publishes only the prompt statuses each environment lists', async () => {
    const compiled = await compile(EXAMPLE_ROOT);
    for (const env of ENVIRONMENTS) {
      const publish = exampleConfig.environments[env]!.publish;
      const expected = Object.keys(prompts).filter((id) => publish.includes(prompts[id]!.status)).sort();
      expect(Object.keys(compiled[env]!.bundle.prompts).sort(), env).toEqual(expected);
    }
    const statuses = (env: string) => new Set(Object.values(compiled[env]!.bundle.prompts).map((p) => p.status));
    expect(statuses('production')).toEqual(new Set(['approved']));
    expect(statuses('development')).toEqual(new Set(Object.values(prompts).map((p) => p.status).filter((s) => s !== 'archived')));
  });

  it("inlines every partial a prompt reaches into the prompt's partials map", async () => {
    const partials = Object.fromEntries(
      globSync('prompts/_partials/**/*.hbs', { cwd: EXAMPLE_ROOT }).map((f) => [f.slice('prompts/_partials/'.length, -'.hbs'.length), readFileSync(join(EXAMPLE_ROOT, f), 'utf8')]),
    );
    const includes = (text: string) => [...text.matchAll(/\{\{~?#?>\s*([\w/-]+)/g)].map((m) => m[1]!);
    const reached = (texts: string[]) => {
      const seen = new Set<string>();
      const visit = (name: string) => {
        if (seen.has(name)) return;
        seen.add(name);
        includes(partials[name] ?? '').forEach(visit);
      };
      texts.flatMap(includes).forEach(visit);
      return [...seen].sort();
    };
    const { development } = await compile(EXAMPLE_ROOT);
    let withPartials = 0;
    for (const [id, prompt] of Object.entries(development!.bundle.prompts)) {
      const expected = reached([prompt.template ?? '', ...(prompt.messages ?? []).map((m) => m.content)]);
      expect(Object.keys(prompt.partials).sort(), id).toEqual(expected);
      for (const name of expected) expect(prompt.partials[name], `${id} → ${name}`).toBe(partials[name]);
      if (expected.length > 0) withPartials++;
    }
    expect(withPartials).toBeGreaterThan(0);
  });

  it('includes running experiments only', async () => {
    const experiment = (name: string, status: string) => `name: ${name}
feature: greeter
type: a_b_test
status: ${status}
variants:
  - name: control
    weight: 0.5
  - name: treatment
    weight: 0.5
`;
    const statuses = ['draft', 'running', 'paused', 'completed', 'cancelled'];
    const dir = repo(minimalRepo(Object.fromEntries(statuses.map((s) => [`experiments/exp-${s}.yaml`, experiment(`exp-${s}`, s)]))));
    const compiled = await compile(dir);
    for (const env of ENVIRONMENTS) expect(Object.keys(compiled[env]!.bundle.experiments), env).toEqual(['exp-running']);

    const example = await compile(EXAMPLE_ROOT);
    const running = Object.entries(exampleFiles<{ status: string }>('experiments')).filter(([, e]) => e.status === 'running').map(([id]) => id);
    expect(Object.keys(example.production!.bundle.experiments).sort()).toEqual(running.sort());
  });

  describe('secrets', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('holds the names of API key variables, never their values', async () => {
      const secrets = { OPENAI_API_KEY: 'sk-proj-0123456789abcdefSECRET', ANTHROPIC_API_KEY: 'sk-ant-api03-SECRETSECRET', LUMEN_VLLM_API_KEY: 'lumen-SECRET-42', PROMPTOPS_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----SECRET' };
      for (const [name, value] of Object.entries(secrets)) vi.stubEnv(name, value);
      const compiled = await compile(EXAMPLE_ROOT);
      const suspicious = /sk-[A-Za-z0-9-]{8,}|-----BEGIN|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-|Bearer\s/;
      for (const env of ENVIRONMENTS) {
        const { bytes, bundle } = compiled[env]!;
        const text = bytes.toString('utf8');
        for (const value of Object.values(secrets)) expect(text).not.toContain(value);
        expect(text).not.toMatch(suspicious);
        for (const [id, provider] of Object.entries(bundle.providers)) {
          expect(Object.keys(provider).filter((k) => /key|secret|token|password/i.test(k)), id).toEqual(provider.api_key_env ? ['api_key_env'] : []);
          if (provider.api_key_env) expect(provider.api_key_env).toMatch(/^[A-Z_][A-Z0-9_]*$/);
        }
        expect(bundle.providers.openai?.api_key_env).toBe('OPENAI_API_KEY');
      }
    });
  });
});

describe('compile: revisions follow published content', () => {
  const variant = (status: string) => PROMPT_YAML.replace('status: approved', `status: ${status}`);
  /** One prompt per status, all used by the feature. */
  const tree = minimalRepo({
    'prompts/draft-one.yaml': variant('draft'),
    'prompts/review-one.yaml': variant('review'),
    'features/greeter.yaml': FEATURE_YAML.replace('  - greet\n', '  - greet\n  - draft-one\n  - review-one\n'),
  });

  it.each([
    ['draft-one', ['development']],
    ['review-one', ['development', 'staging']],
    ['greet', ['development', 'staging', 'production']],
  ])('changing the text of %s changes the revisions of %j only', async (id, changed) => {
    const before = revisions(await compile(repo(tree)));
    const file = `prompts/${id}.yaml`;
    const edited = String(tree[file]).replace('Say hello to {{name}}.', 'Say hello to {{name}}, kindly.');
    expect(edited).not.toBe(tree[file]);
    const after = revisions(await compile(repo({ ...tree, [file]: edited })));
    for (const env of ENVIRONMENTS) {
      if (changed.includes(env)) expect(after[env], env).not.toBe(before[env]);
      else expect(after[env], env).toBe(before[env]);
    }
  });
});

describe('compile: failures and --print', () => {
  it('exits 1 on an invalid repository and writes nothing', async () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': PROMPT_YAML.replace('{{name}}', '{{shout name}}') }));
    const out = join(tempDir(), 'out');
    const result = await run(['compile', '--root', dir, '--out', out]);
    expect(result.stderr).toContain('prompts/greet.yaml:11:18 error [unknown-helper]');
    expect(result.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('--print --env production prints the canonical bundle whose sha256 is the revision', async () => {
    const printed = await run(['compile', '--root', EXAMPLE_ROOT, '--print', '--env', 'production']);
    expect(printed.code, printed.stderr).toBe(0);
    const compiled = await compile(EXAMPLE_ROOT);
    expect(printed.stdout).toBe(compiled.production!.bytes.toString('utf8'));
    expect(sha256(printed.stdout)).toBe(compiled.production!.manifest.revision);
    expect(jcs(JSON.parse(printed.stdout))).toBe(printed.stdout);
    expect(JSON.parse(printed.stdout).environment).toBe('production');
  });

  it('--print without a single --env is a usage error', async () => {
    const result = await run(['compile', '--root', EXAMPLE_ROOT, '--print']);
    expect(result.stderr).toContain('--print needs a single --env');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});
