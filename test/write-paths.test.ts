import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathInside, PathEscapeError } from '../src/core/path-inside.js';
import { cacheFile } from '../src/runtime/_cache.js';
import { CONFIG_YAML, minimalRepo, repo, run, tempDir } from './helpers/repo.js';

const ESCAPE = '../../../../outside/x';
const config = CONFIG_YAML.replace('  production:\n', `  production:\n    publish: [approved]\n  "${ESCAPE}":\n`);

describe('an environment name that is a path', () => {
  it('is a validate error at the key', async () => {
    const dir = repo(minimalRepo({ 'promptops.config.yaml': config }));
    const line = config.split('\n').findIndex((l) => l.includes(ESCAPE)) + 1;
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`promptops.config.yaml:${line}:3 error [schema]`);
    expect(result.stderr).toContain(ESCAPE);
  });

  it('never makes compile write outside --out', async () => {
    // Two levels up from dist/bundles is the repository root: a folder that exists, so the write would succeed.
    const shallow = '../../escaped';
    const dir = repo(minimalRepo({ 'promptops.config.yaml': config.replace(ESCAPE, shallow) }));
    const out = join(dir, 'dist/bundles');
    const escaped = resolve(out, `${shallow}.bundle.json`);
    expect(escaped).toBe(join(dir, 'escaped.bundle.json'));
    const result = await run(['compile', '--out', 'dist/bundles'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(existsSync(escaped)).toBe(false);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});

describe('pathInside, the check of every write path built from a name', () => {
  it('refuses what leaves the folder or is the folder itself', () => {
    const dir = tempDir();
    for (const name of ['../x.json', `${ESCAPE}.bundle.json`, 'a/../../x.json', '/etc/x.json', '', '.', 'a/..']) {
      expect(() => pathInside(dir, name), name).toThrow(PathEscapeError);
    }
  });

  it('accepts names inside, including ones that start with two dots', () => {
    const dir = tempDir();
    expect(pathInside(dir, 'production.bundle.json')).toBe(join(dir, 'production.bundle.json'));
    expect(pathInside(dir, '..json')).toBe(join(dir, '..json'));
    expect(pathInside(dir, 'history', '0000000001.json')).toBe(join(dir, 'history', '0000000001.json'));
  });

  it('the runtime cache file of any environment name stays in the cache folder', () => {
    const dir = tempDir();
    for (const environment of [ESCAPE, '..', '.', '/etc/passwd', 'a\\..\\..\\b']) {
      const file = cacheFile(dir, environment);
      expect(resolve(file, '..'), environment).toBe(resolve(dir));
    }
  });
});

describe('eval.cache_dir outside the repository', () => {
  it.each(['../outside-cache', '/tmp/promptops-cache', '.git/hooks'])('%s is a validate error at the key', async (dir) => {
    const root = repo(minimalRepo({ 'promptops.config.yaml': `${CONFIG_YAML}eval:\n  cache_dir: ${dir}\n` }));
    const result = await run(['validate', '--root', root, '--json']);
    const line = `${CONFIG_YAML}eval:\n  cache_dir: ${dir}\n`.split('\n').findIndex((l) => l.includes('cache_dir')) + 1;
    expect(JSON.parse(result.stdout).diagnostics).toContainEqual(expect.objectContaining({ code: 'path-outside-repository', severity: 'error', file: 'promptops.config.yaml', line }));
    expect(result.code).toBe(1);
  });

  it('a pull request that points it outside fails diff instead of reading or writing there', async () => {
    const { pullRequestRepo } = await import('./helpers/git.js');
    const outside = tempDir();
    const dir = await pullRequestRepo(minimalRepo({ 'promptops.config.yaml': `${CONFIG_YAML}eval:\n  provider: offline\n  cache_dir: recordings\n` }), {
      'promptops.config.yaml': `${CONFIG_YAML}eval:\n  provider: offline\n  cache_dir: ${outside}\n`,
      'prompts/greet.yaml': minimalRepo()['prompts/greet.yaml']!.toString().replace('Say hello', 'Say a warm hello').replace('version: 1', 'version: 2\nchangelog:\n  - { version: 2, note: warmer }') + 'tests:\n  - name: t\n    vars: { name: Ada }\n    assert:\n      - { type: contains, value: Ada }\n',
    });
    const result = await run(['diff', '--no-usage'], { cwd: dir });
    expect(result.stderr).toContain('path-outside-repository');
    expect(result.code).toBe(1);
    expect(readdirSync(outside)).toEqual([]);
  });
});
