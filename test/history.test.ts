import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRepo, minimalRepo, PROMPT_YAML, repo, run, tempDir, writeTree } from './helpers/repo.js';

interface CommitOptions {
  author: string;
  date: string;
  /** Files to write; `undefined` removes one. */
  files?: Record<string, string | undefined>;
  move?: [string, string];
}

/** One commit by a named author at a fixed author date. */
async function commit(root: string, message: string, { author, date, files = {}, move }: CommitOptions): Promise<void> {
  const git = simpleGit({ baseDir: root });
  if (move) await git.mv(move[0], move[1]);
  for (const [path, text] of Object.entries(files)) {
    if (text === undefined) rmSync(join(root, path));
    else {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  }
  await git.add(['-A', '.']);
  await git.commit(message, undefined, { '--author': `${author} <${author.toLowerCase()}@example.com>`, '--date': date });
}

const v2 = PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Warmly say hello') + 'changelog:\n  - version: 1\n    note: First version.\n  - version: 2\n    note: Warmer greeting.\n';
const v2Described = v2.replace('Greets a user.', 'Greets a signed-in user.');
const v3 = v2Described.replace('version: 2\nstatus: approved', 'version: 3\nstatus: review') + '  - version: 3\n    note: Asks how the user is.\n';

/**
 * greet v1 (initial) → v2 with notes (Ada) → description only (Grace) → renamed to hello (Linus)
 * → v3 (Ada) → deleted (Grace).
 */
async function evolvedRepo(root: string): Promise<void> {
  writeTree(root, minimalRepo());
  await gitRepo(root);
  await commit(root, 'greet v2', { author: 'Ada', date: '2026-01-02T10:00:00Z', files: { 'prompts/greet.yaml': v2 } });
  await commit(root, 'describe greet', { author: 'Grace', date: '2026-01-03T10:00:00Z', files: { 'prompts/greet.yaml': v2Described } });
  await commit(root, 'rename greet to hello', { author: 'Linus', date: '2026-01-04T10:00:00Z', move: ['prompts/greet.yaml', 'prompts/hello.yaml'] });
  await commit(root, 'hello v3', { author: 'Ada', date: '2026-01-05T10:00:00Z', files: { 'prompts/hello.yaml': v3 } });
  await commit(root, 'drop hello', { author: 'Grace', date: '2026-01-06T10:00:00Z', files: { 'prompts/hello.yaml': undefined } });
}

const history = (root: string, ...args: string[]) => run(['history', ...args, '--root', root]);

describe('history', () => {
  // Built once: the tests below only read it.
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'promptops-history-'));
    await evolvedRepo(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists versions newest first across a rename and a deletion, as JSON', async () => {
    const result = await history(root, 'hello', '--json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ schema_version: 1, prompt: 'hello', path: 'prompts/hello.yaml', truncated: false });
    const pick = (key: string) => out.entries.map((e: Record<string, unknown>) => e[key]);
    expect(pick('version')).toEqual([null, 3, 2, 2, 2, 1]);
    expect(pick('version_changed')).toEqual([false, true, false, false, true, true]);
    expect(pick('deleted')).toEqual([true, false, false, false, false, false]);
    expect(pick('author')).toEqual(['Grace', 'Ada', 'Linus', 'Grace', 'Ada', 'promptops test']);
    expect(pick('path')).toEqual(['prompts/hello.yaml', 'prompts/hello.yaml', 'prompts/hello.yaml', 'prompts/greet.yaml', 'prompts/greet.yaml', 'prompts/greet.yaml']);
    expect(pick('renamed_from')).toEqual([null, null, 'prompts/greet.yaml', null, null, null]);
    expect(pick('status')).toEqual([null, 'review', 'approved', 'approved', 'approved', 'approved']);
    expect(pick('note')).toEqual([null, 'Asks how the user is.', 'Warmer greeting.', 'Warmer greeting.', 'Warmer greeting.', null]);
    expect(out.entries[1]).toMatchObject({ date: '2026-01-05T10:00:00+00:00', subject: 'hello v3', short_commit: expect.stringMatching(/^[0-9a-f]{7,}$/), commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(out.entries[1].commit.startsWith(out.entries[1].short_commit)).toBe(true);
  });

  it('prints a table: commits that set a version, and marked ones that did not', async () => {
    const result = await history(root, 'hello');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('hello · prompts/hello.yaml · 6 commits');
    expect(lines[1]).toMatch(/^version\s+commit\s+date\s+author\s+status\s+note$/);
    expect(lines[2]).toMatch(/^—\s+[0-9a-f]{7}\s+2026-01-06\s+Grace\s+deleted$/);
    expect(lines[3]).toMatch(/^v3\s+[0-9a-f]{7}\s+2026-01-05\s+Ada\s+review\s+Asks how the user is\.$/);
    expect(lines[4]).toMatch(/^\(v2\)\s+[0-9a-f]{7}\s+2026-01-04\s+Linus\s+approved\s+renamed from prompts\/greet\.yaml$/);
    expect(lines[5]).toMatch(/^\(v2\)\s+[0-9a-f]{7}\s+2026-01-03\s+Grace\s+approved$/);
    expect(lines[6]).toMatch(/^v2\s+[0-9a-f]{7}\s+2026-01-02\s+Ada\s+approved\s+Warmer greeting\.$/);
    expect(lines[7]).toMatch(/^v1\s+[0-9a-f]{7}\s+\d{4}-\d\d-\d\d\s+promptops test\s+approved$/);
    expect(lines[8]).toBe('(vN): the commit did not change the version');
  });

  it('shows where a renamed prompt went under its old id', async () => {
    const out = JSON.parse((await history(root, 'greet', '--format', 'json')).stdout);
    expect(out.entries.map((e: { version: number | null }) => e.version)).toEqual([null, 2, 2, 1]);
    expect(out.entries[0]).toMatchObject({ deleted: true, renamed_to: 'prompts/hello.yaml', author: 'Linus' });
  });

  it('--limit keeps the newest commits and still compares the oldest shown with its predecessor', async () => {
    const out = JSON.parse((await history(root, 'hello', '--limit', '3', '--json')).stdout);
    expect(out.truncated).toBe(true);
    expect(out.entries.map((e: { version_changed: boolean }) => e.version_changed)).toEqual([false, true, false]);
    const human = await history(root, 'hello', '--limit', '1');
    expect(human.stdout).toContain('1 commit (latest shown; raise --limit for more)');
    expect((await history(root, 'hello', '--limit', '0')).code).toBe(2);
  });

  it('--diff 1..2 prints a unified diff between two versions, across the rename', async () => {
    const result = await history(root, 'hello', '--diff', '1..2');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^--- prompts\/greet\.yaml@v1 \([0-9a-f]{7}\)$/);
    // The newest commit that had v2 is the rename.
    expect(lines[1]).toMatch(/^\+\+\+ prompts\/hello\.yaml@v2 \([0-9a-f]{7}\)$/);
    expect(lines).toContain('-version: 1');
    expect(lines).toContain('+version: 2');
    expect(lines).toContain('-  Say hello to {{name}}.');
    expect(lines).toContain('+  Warmly say hello to {{name}}.');
    expect(lines).toContain('+description: Greets a signed-in user.');
    expect(lines).toContain('+    note: Warmer greeting.');
    expect(lines).not.toContain(' status: review');
  });

  it('--diff takes vN and git refs; JSON has both ends', async () => {
    const result = await history(root, 'hello', '--diff', 'v2..HEAD~1', '--json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.from).toMatchObject({ spec: 'v2', label: 'v2', version: 2, path: 'prompts/hello.yaml' });
    expect(out.to).toMatchObject({ spec: 'HEAD~1', version: 3, path: 'prompts/hello.yaml' });
    expect(out.identical).toBe(false);
    expect(out.patch).toContain('\n-version: 2\n-status: approved\n+version: 3\n+status: review\n');
    expect(out.patch).toMatch(/\+\+\+ prompts\/hello\.yaml@HEAD~1 \([0-9a-f]{7}\)/);
    const same = await history(root, 'hello', '--diff', '3..HEAD~1');
    expect(same.stdout).toMatch(/^no differences: prompts\/hello\.yaml at v3 \([0-9a-f]{7}\) and HEAD~1 \([0-9a-f]{7}\)/);
    // At HEAD the file is deleted: every line goes.
    const gone = await history(root, 'hello', '--diff', '3..');
    expect(gone.stdout).toContain('+++ /dev/null');
    expect(gone.stdout).toContain('-version: 3');
  });

  it('--diff with an unknown version, an unknown ref or a bad range is a usage error', async () => {
    const unknown = await history(root, 'hello', '--diff', '1..9');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('prompt "hello" never had version 9 (known versions: 1, 2, 3)');
    const ref = await history(root, 'hello', '--diff', '1..no-such-branch');
    expect(ref.code).toBe(2);
    expect(ref.stderr).toContain('"no-such-branch" is neither a version of "hello" nor a git ref');
    for (const bad of ['3', '1...2', '..']) {
      const result = await history(root, 'hello', '--diff', bad);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--diff takes A..B');
    }
  });

  it('an unknown prompt is a usage error with a suggestion, also from deleted prompts', async () => {
    const result = await history(root, 'helo');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown prompt "helo"');
    expect(result.stderr).toContain('hint: did you mean "hello"?');
    const fresh = repo(minimalRepo());
    await gitRepo(fresh);
    expect((await history(fresh, 'gret')).stderr).toContain('did you mean "greet"?');
  });

  it('a directory outside any git repository is a usage error', async () => {
    const result = await history(repo(minimalRepo()), 'greet');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not inside a git repository');
  });

  it('works when the repository root is a subdirectory of the git work tree', async () => {
    const top = tempDir();
    writeTree(join(top, 'ai'), minimalRepo());
    await gitRepo(top);
    await commit(top, 'v2', { author: 'Ada', date: '2026-02-01T00:00:00Z', files: { 'ai/prompts/greet.yaml': v2 } });
    const out = JSON.parse((await history(join(top, 'ai'), 'greet', '--json')).stdout);
    expect(out.path).toBe('prompts/greet.yaml');
    expect(out.entries.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    const diff = await history(join(top, 'ai'), 'greet', '--diff', '1..2');
    expect(diff.stdout).toContain('+version: 2');
  });

  it('reports a commit whose file does not parse instead of failing', async () => {
    const dir = repo(minimalRepo());
    await gitRepo(dir);
    await commit(dir, 'broken', { author: 'Ada', date: '2026-02-01T00:00:00Z', files: { 'prompts/greet.yaml': 'version: [1\n' } });
    const result = await history(dir, 'greet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\?\s+[0-9a-f]{7}\s+2026-02-01\s+Ada\s+\?\s+not valid YAML: /m);
    const out = JSON.parse((await history(dir, 'greet', '--json')).stdout);
    expect(out.entries[0]).toMatchObject({ version: null, problem: expect.stringContaining('not valid YAML') });
  });

  it('an uncommitted prompt has no history yet', async () => {
    const dir = repo(minimalRepo());
    await gitRepo(dir);
    writeFileSync(join(dir, 'prompts/new.yaml'), PROMPT_YAML);
    const result = await history(dir, 'new');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('prompts/new.yaml: no committed versions yet');
  });

  it('a git failure (a missing object) exits 3', async () => {
    const dir = repo(minimalRepo());
    await gitRepo(dir);
    const blob = (await simpleGit({ baseDir: dir }).revparse(['HEAD:prompts/greet.yaml'])).trim();
    unlinkSync(join(dir, '.git/objects', blob.slice(0, 2), blob.slice(2)));
    const result = await history(dir, 'greet');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('promptops history: git failed:');
  });
});
