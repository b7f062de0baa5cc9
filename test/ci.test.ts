import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { commitChanges, pullRequestRepo } from './helpers/git.js';
import { fakeGitHub, type FakeGitHub } from './helpers/github-server.js';
import { CONFIG_YAML, minimalRepo, run, tempDir } from './helpers/repo.js';

const TOKEN = 'ghs_ciTestToken000000000000000';

const CONFIG = `${CONFIG_YAML}eval:
  provider: offline
  cache_dir: .cache
policy:
  max_eval_regressions: 0
`;

const prompt = (version: number, line: string, changelog = '') => `version: ${version}
status: approved
${changelog}variables:
  name:
    type: string
template: |
  {{> tone}}
  ${line}
tests:
  - name: says-hello
    vars: { name: Ada }
    assert:
      - { type: contains, target: prompt, value: hello }
`;

const bumped = (line: string) => prompt(2, line, 'changelog:\n  - version: 2\n    note: Reworded.\n');

const base = (config = CONFIG) => minimalRepo({ 'promptops.config.yaml': config, 'prompts/greet.yaml': prompt(1, 'Say hello to {{name}}.') });

const head = async (dir: string) => (await simpleGit({ baseDir: dir }).revparse(['HEAD'])).trim();

/** GitHub Actions variables of a pull_request run for PR #7 of acme/app at `sha`. */
function actionsEnv(gh: FakeGitHub, sha: string, event: object = { pull_request: { number: 7, head: { sha } } }): NodeJS.ProcessEnv {
  const path = join(tempDir(), 'event.json');
  writeFileSync(path, JSON.stringify(event));
  return { GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: path, GITHUB_REPOSITORY: 'acme/app', GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url, GITHUB_RUN_ID: '99', GITHUB_SERVER_URL: 'https://github.com' };
}

const writes = (gh: FakeGitHub) => gh.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('promptops ci', () => {
  it('validates, evaluates, diffs and posts one sticky comment, updated in place on the next push', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, await head(dir));
    const first = await run(['ci', '--no-usage'], { cwd: dir, env: actionsEnv(gh, await head(dir)) });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('validate: ✔ valid');
    expect(first.stderr).toContain('posted the comment on acme/app#7');
    expect(first.stderr).toContain('✔ promptops ci: passed');
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments']);
    const [comment] = gh.comments.get(7)!;
    expect(comment!.body).toMatch(/^<!-- promptops:comment id=diff -->\n<!-- promptops:meta \{"head":"[0-9a-f]{40}","run_at":"[^"]+","run":"99"\} -->\n\n### ✅ promptops: 1 prompt changed · evals 1\/1 · /);
    expect(comment!.body).toContain('[run](https://github.com/acme/app/actions/runs/99)');

    // The same commit again: nothing to change, no notification.
    const again = await run(['ci', '--no-usage'], { cwd: dir, env: actionsEnv(gh, await head(dir)) });
    expect(again.stderr).toContain('the comment on acme/app#7 is up to date');
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments']);

    await commitChanges(dir, { 'prompts/greet.yaml': bumped('Say hi to {{name}}.') }, 'second push');
    gh.heads.set(7, await head(dir));
    const second = await run(['ci', '--no-usage'], { cwd: dir, env: actionsEnv(gh, await head(dir)) });
    expect(second.code).toBe(1);
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments', `PATCH /repos/acme/app/issues/comments/${comment!.id}`]);
    const updated = gh.comments.get(7)!;
    expect(updated).toHaveLength(1);
    expect(updated[0]!.body).toContain('### ❌ promptops: 1 prompt changed · evals 0/1 (−1)');
    expect(updated[0]!.body).toContain('🔻 **regression** `greet` › says-hello (pass → fail)');
    // Workflow annotations point at the failing test's file:line.
    expect(second.stdout).toContain('::error file=promptops.config.yaml,title=promptops [eval-regressions]::1 test went from pass to fail');
  });

  it('never lets an older run overwrite the comment of a newer commit', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, 'f'.repeat(40));
    const result = await run(['ci', '--no-usage'], { cwd: dir, env: actionsEnv(gh, await head(dir)) });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/left the comment on acme\/app#7 alone: pull request #7 head is now fffffff, this run is for [0-9a-f]{7}/);
    expect(writes(gh)).toEqual([]);
  });

  it('fails on validation and policy errors with annotations, and reports a comment it cannot post as exit 3', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': prompt(1, 'Say hello to {{name}}!'), 'features/broken.yaml': 'name: broken\nstatus: sometimes\n' });
    const gh = await fakeGitHub({ token: 'another-token' });
    gh.heads.set(7, await head(dir));
    const result = await run(['ci', '--no-usage', '--format', 'github'], { cwd: dir, env: actionsEnv(gh, await head(dir)) });
    expect(result.stdout).toContain('::error file=prompts/greet.yaml,line=1,col=10,title=promptops [version-not-bumped]::rendered content of prompt "greet" changed but its version is still 1');
    expect(result.stdout).toMatch(/::error file=features\/broken.yaml,line=2,col=9,title=promptops \[schema/);
    expect(result.stderr).toContain('GitHub rejected the token');
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.code).toBe(3);

    const offline = await run(['ci', '--no-usage', '--no-comment'], { cwd: dir });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('✖ promptops ci:');
  });

  it('runs locally without a pull request: no comment, the diff is printed', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const result = await run(['ci', '--no-usage'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('no comment posted: no repository: pass --repo owner/name or set GITHUB_REPOSITORY');
    expect(result.stdout).toContain('1 prompt changed · evals 1/1');
  });
});

describe('promptops comment', () => {
  it('posts a report written by the pull_request run from a workflow_run job (fork-safe), checking the PR head', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const sha = await head(dir);
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, sha);
    const out = join(tempDir(), 'report.json');
    // The pull_request run has a read-only token: it writes the report, with the PR it is for.
    const check = await run(['diff', '--no-usage', '--output', out], { cwd: dir, env: { ...actionsEnv(gh, sha), GITHUB_TOKEN: undefined } });
    expect(check.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kind: 'promptops/diff', schema_version: 3, github: { repository: 'acme/app', pr: 7, head_sha: sha } });
    // workflow_run events of fork PRs list no pull request; the number comes from the report, the commit from the event.
    const env = actionsEnv(gh, sha, { workflow_run: { head_sha: sha, pull_requests: [] } });
    const posted = await run(['comment', '--from', out], { cwd: tempDir(), env });
    expect(posted.code).toBe(0);
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments']);
    expect(gh.comments.get(7)![0]!.body).toContain('1 prompt changed');

    gh.heads.set(7, 'e'.repeat(40));
    const stale = await run(['comment', '--from', out, '--behavior', 'delete-and-new'], { cwd: tempDir(), env: actionsEnv(gh, sha, { workflow_run: { head_sha: sha, pull_requests: [] } }) });
    expect(stale.stderr).toContain('alone: pull request #7 head is now eeeeeee');
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments']);
  });

  it('refuses a report of another kind or another schema version, before contacting GitHub', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const sha = await head(dir);
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, sha);
    const out = join(tempDir(), 'report.json');
    expect((await run(['diff', '--no-usage', '--output', out], { cwd: dir })).code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const env = actionsEnv(gh, sha);
    const from = async (content: unknown) => {
      const file = join(tempDir(), 'report.json');
      writeFileSync(file, JSON.stringify(content));
      return run(['comment', '--from', file], { cwd: tempDir(), env });
    };

    // A report written by an older promptops (schema_version 1, camelCase keys).
    const old = await from({ ...report, schema_version: 1 });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('has schema_version 1 but this promptops reads schema_version 3; the report must be produced by the same promptops version');
    const missing = await from({ ...report, schema_version: undefined });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no schema_version but this promptops reads schema_version 3');
    const other = await from({ kind: 'promptops/eval-results', schema_version: 2 });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('is not a promptops diff report (write one with "promptops diff --output');
    // A report edited into another shape (it may come from a run of the pull request's code).
    const edited = await from({ ...report, headline: 42, cost: { ...report.cost, injected: '<img src=x>' } });
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/does not follow schemas\/diff-report\.schema\.json: .*\/headline must be string/);
    expect(edited.stderr).toContain('/cost must NOT have additional properties');
    expect(gh.requests).toEqual([]);

    const posted = await from(report);
    expect(posted.code).toBe(0);
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments']);
  });

  it('deletes and posts anew with --behavior delete-and-new, and stays silent when nothing changed if configured', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const sha = await head(dir);
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, sha);
    await run(['comment', '--no-usage'], { cwd: dir, env: actionsEnv(gh, sha) });
    const [first] = gh.comments.get(7)!;
    const renew = await run(['comment', '--no-usage', '--behavior', 'delete-and-new'], { cwd: dir, env: actionsEnv(gh, sha) });
    expect(renew.stderr).toContain('replaced the comment on acme/app#7');
    expect(gh.comments.get(7)!.map((c) => c.id)).not.toContain(first!.id);
    expect(writes(gh)).toEqual(['POST /repos/acme/app/issues/7/comments', `DELETE /repos/acme/app/issues/comments/${first!.id}`, 'POST /repos/acme/app/issues/7/comments']);

    const quiet = await pullRequestRepo(base(`${CONFIG}comment:\n  when: changes\n`), { 'README.md': 'docs only\n' });
    const gh2 = await fakeGitHub({ token: TOKEN });
    gh2.heads.set(7, await head(quiet));
    const none = await run(['comment', '--no-usage'], { cwd: quiet, env: actionsEnv(gh2, await head(quiet)) });
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('no comment on acme/app#7: nothing relevant changed');
    expect(writes(gh2)).toEqual([]);
  });

  it('keeps a huge report under GitHub\'s limit by leaving out whole rendered diffs', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `prompts/p${i}.yaml`);
    const tree = base();
    const changes: Record<string, string> = {};
    for (const [i, file] of long.entries()) {
      tree[file] = prompt(1, `Say hello to {{name}}.\n  ${'Base line. '.repeat(300)}`);
      changes[file] = bumped(`Say hello to {{name}}.\n  ${`Head line ${i}. `.repeat(300)}`);
    }
    const dir = await pullRequestRepo(tree, changes);
    const sha = await head(dir);
    const gh = await fakeGitHub({ token: TOKEN });
    gh.heads.set(7, sha);
    const result = await run(['comment', '--no-usage', '--no-eval'], { cwd: dir, env: actionsEnv(gh, sha) });
    expect(result.code).toBe(0);
    const body = gh.comments.get(7)![0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(30_000);
    expect(body).toMatch(/_\d+ rendered diffs left out to stay under GitHub's comment size limit/);
    expect(body.match(/<details>/g)!.length).toBe(body.match(/<\/details>/g)!.length);
    expect(body).toContain('40 prompts changed');
  });

  it('needs a pull request to comment on, and prints the comment with --dry-run', async () => {
    const dir = await pullRequestRepo(base(), { 'prompts/greet.yaml': bumped('Say hello to {{name}}, warmly.') });
    const missing = await run(['comment', '--no-usage'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('GITHUB_TOKEN is not set');
    const dry = await run(['comment', '--no-usage', '--dry-run'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^### ✅ promptops: 1 prompt changed/);
  });
});
