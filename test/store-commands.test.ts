import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { commitChanges } from './helpers/git.js';
import { usePostgres } from './helpers/postgres.js';
import { gitRepo, minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';
import { listenBundleServer } from './helpers/serve.js';

const postgres = usePostgres();
const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };
const lines = (text: string) => text.split('\n').filter(Boolean);

/** A repository with two releases of production in its file store (or `store`). */
async function twoReleases(store?: string): Promise<{ dir: string; args: string[] }> {
  const dir = repo(minimalRepo({ 'promptops.pub': KEYS.publicKey }));
  await gitRepo(dir);
  const args = store ? ['--store', store] : [];
  expect((await run(['publish', '--env', 'production', ...args], { cwd: dir, env })).code).toBe(0);
  await commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Say hi') });
  expect((await run(['publish', '--env', 'production', ...args], { cwd: dir, env })).code).toBe(0);
  return { dir, args };
}

describe('a corrupt store record', () => {
  it('file store: a garbage history record is exit 3 with one line naming the file and the fix, for every command that reads it', async () => {
    const { dir } = await twoReleases();
    const record = join(dir, '.promptops/store/environments/production/history/0000000002.json');
    writeFileSync(record, '{"environment":"produc');
    // The pointer is only a shortcut: with it garbage too, the history is what is read.
    writeFileSync(join(dir, '.promptops/store/environments/production/current.json'), 'garbage');
    const expected = `the release record ${record} is corrupt (not JSON): restore it from a backup (current.json next to the history holds a copy of the newest record, unless it is damaged too)`;
    for (const argv of [['releases'], ['releases', '--env', 'production'], ['rollback', '--env', 'production'], ['pull', '--env', 'production'], ['publish', '--env', 'production']]) {
      const result = await run(argv, { cwd: dir, env });
      expect(result.code, argv.join(' ')).toBe(3);
      expect(lines(result.stderr), argv.join(' ')).toHaveLength(1);
      expect(result.stderr, argv.join(' ')).toContain(expected);
      expect(result.stderr).not.toContain('internal error');
    }

    const store = createFileStore({ dir: join(dir, '.promptops/store') });
    const logged: string[] = [];
    onTestFinished(() => store.close());
    const { url } = await listenBundleServer({ store, log: (line) => logged.push(line) });
    const response = await fetch(`${url}/v1/environments/production/bundle`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'corrupt store record', detail: expected });
    expect(logged).toEqual([`GET /v1/environments/production/bundle: ${expected}`]);
  });

  it('file store: a history record that is JSON but not a release, or a missing one, is named too', async () => {
    const { dir } = await twoReleases();
    const history = join(dir, '.promptops/store/environments/production/history');
    const first = join(history, '0000000001.json');
    const record = JSON.parse(readFileSync(first, 'utf8')) as Record<string, unknown>;
    writeFileSync(first, JSON.stringify({ ...record, seq: 'one' }));
    const result = await run(['releases', '--env', 'production'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(lines(result.stderr)).toEqual([`promptops releases: the release record ${first} is corrupt ("seq" is not a positive integer): restore it from a backup (current.json next to the history holds a copy of the newest record, unless it is damaged too)`]);

    rmSync(first);
    const missing = await run(['releases', '--env', 'production'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(lines(missing.stderr)).toEqual([`promptops releases: the release history of "production" in ${join(dir, '.promptops/store')} lacks release #1 (${first} was deleted by hand): restore it from a backup`]);
  });

  it.skipIf(!!postgres.skipReason)('postgres store: a gap in the releases table is exit 3 with one line', async () => {
    const url = await postgres.database();
    const { dir, args } = await twoReleases(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    onTestFinished(() => admin.end());
    await admin.query(`DELETE FROM promptops.releases WHERE environment = 'production' AND seq = 1`);
    for (const argv of [['releases', '--env', 'production'], ['rollback', '--env', 'production']]) {
      const result = await run([...argv, ...args], { cwd: dir, env });
      expect(result.code, argv.join(' ')).toBe(3);
      expect(lines(result.stderr), argv.join(' ')).toHaveLength(1);
      expect(result.stderr).toContain(`the release history of "production" in ${url} lacks release #1 (rows of promptops.releases were deleted or changed by hand): restore them from a backup`);
    }
  });
});

describe('an unknown environment is a usage error (exit 2) with a suggestion', () => {
  it('for releases, rollback, publish, pull and compile', async () => {
    const { dir } = await twoReleases();
    for (const command of ['releases', 'rollback', 'publish', 'pull', 'compile']) {
      const result = await run([command, '--env', 'prodution'], { cwd: dir, env });
      expect(result.code, command).toBe(2);
      expect(lines(result.stderr), command).toEqual([`promptops ${command}: unknown environment "prodution" (environments: development, staging, production); did you mean "production"?`]);
    }
    // A declared environment with no release yet is no usage error.
    const none = await run(['releases', '--env', 'staging'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('staging: no releases\n');
  });
});
