import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { addCommentHeader, parseCommentHeader, truncateComment } from '../src/github/comment-body.js';
import { pullRequestContext } from '../src/github/context.js';
import { GitHubError, upsertStickyComment, type StickyCommentOptions } from '../src/github/sticky-comment.js';
import { fakeGitHub, type FakeGitHub } from './helpers/github-server.js';
import { tempDir } from './helpers/repo.js';

const TOKEN = 'ghs_s3cretTokenValue0123456789';
const HEAD = 'a1b2c3d'.padEnd(40, '0');
const NEWER = 'f9e8d7c'.padEnd(40, '0');
const RUN_AT = '2026-03-01T10:00:00.000Z';
const header = (meta: { head?: string; run_at?: string; run?: string }, key = 'diff') => addCommentHeader({ body: '', key, meta });

async function github(): Promise<FakeGitHub> {
  const gh = await fakeGitHub({ token: TOKEN });
  gh.heads.set(7, HEAD);
  return gh;
}

const options = (gh: FakeGitHub, extra: Partial<StickyCommentOptions> = {}): StickyCommentOptions => ({
  token: TOKEN,
  apiUrl: gh.url,
  owner: 'acme',
  repo: 'app',
  pr: 7,
  body: '## promptops diff\n\n1 prompt changed',
  headSha: HEAD,
  runAt: RUN_AT,
  runId: '42',
  ...extra,
});

const calls = (gh: FakeGitHub) => gh.requests.map((r) => `${r.method} ${r.path}${Object.keys(r.query).length ? `?${new URLSearchParams(r.query)}` : ''}`);
const bodies = (gh: FakeGitHub) => (gh.comments.get(7) ?? []).map((c) => c.body);

describe('upsertStickyComment', () => {
  it('creates the comment when none carries the marker', async () => {
    const gh = await github();
    gh.addComment(7, 'LGTM', 'octocat');
    const result = await upsertStickyComment(options(gh));
    const expected = `<!-- promptops:comment id=diff -->\n<!-- promptops:meta {"head":"${HEAD}","run_at":"${RUN_AT}","run":"42"} -->\n\n## promptops diff\n\n1 prompt changed`;
    expect(result).toEqual({ action: 'created', commentId: 1001, url: 'https://github.com/acme/app/pull/7#issuecomment-1001', truncated: false });
    expect(calls(gh)).toEqual(['GET /repos/acme/app/pulls/7', 'GET /repos/acme/app/issues/7/comments?per_page=100', 'POST /repos/acme/app/issues/7/comments']);
    expect(gh.requests[2]!.body).toEqual({ body: expected });
    expect(gh.requests.every((r) => r.headers.authorization === `token ${TOKEN}` && /promptops/.test(r.headers['user-agent'] ?? ''))).toBe(true);
    expect(bodies(gh)).toEqual(['LGTM', expected]);
  });

  it('updates the newest marked comment in place and leaves the rest alone', async () => {
    const gh = await github();
    const older = gh.addComment(7, `${header({ head: 'old', run_at: '2026-02-01T00:00:00Z', run: '1' })}old report`);
    gh.addComment(7, 'a human comment', 'octocat');
    const otherKey = gh.addComment(7, `${header({ run_at: '2026-02-02T00:00:00Z' }, 'production')}production report`);
    const newest = gh.addComment(7, `${header({ head: 'old', run_at: '2026-02-03T00:00:00Z', run: '2' })}newer report`);
    const result = await upsertStickyComment(options(gh));
    expect(result).toMatchObject({ action: 'updated', commentId: newest.id });
    expect(calls(gh).slice(2)).toEqual([`PATCH /repos/acme/app/issues/comments/${newest.id}`]);
    expect(parseCommentHeader(newest.body)).toMatchObject({ key: 'diff', meta: { head: HEAD, run_at: RUN_AT, run: '42' }, content: '## promptops diff\n\n1 prompt changed' });
    expect(older.body).toContain('old report');
    expect(otherKey.body).toContain('production report');
    expect(gh.comments.get(7)).toHaveLength(4);
  });

  it('follows the Link header to find the marked comment on page 2', async () => {
    const gh = await github();
    for (let i = 0; i < 150; i++) gh.addComment(7, i === 120 ? `${header({ run_at: '2026-02-01T00:00:00Z' })}report` : `comment ${i}`, 'octocat');
    const marked = gh.comments.get(7)![120]!;
    const result = await upsertStickyComment(options(gh, { headSha: undefined }));
    expect(result).toMatchObject({ action: 'updated', commentId: marked.id });
    expect(calls(gh)).toEqual([
      'GET /repos/acme/app/issues/7/comments?per_page=100',
      'GET /repos/acme/app/issues/7/comments?per_page=100&page=2',
      `PATCH /repos/acme/app/issues/comments/${marked.id}`,
    ]);
  });

  it('does nothing when the PR head has moved past this run', async () => {
    const gh = await github();
    gh.heads.set(7, NEWER);
    const result = await upsertStickyComment(options(gh));
    expect(result).toMatchObject({ action: 'skipped-stale', truncated: false });
    expect(result.reason).toContain('f9e8d7c');
    expect(calls(gh)).toEqual(['GET /repos/acme/app/pulls/7']);
  });

  it('does nothing when a later run already wrote the comment', async () => {
    const gh = await github();
    const later = gh.addComment(7, `${header({ head: HEAD, run_at: '2026-03-01T10:05:00Z', run: '43' })}newer report`);
    const result = await upsertStickyComment(options(gh));
    expect(result).toMatchObject({ action: 'skipped-stale', commentId: later.id });
    expect(calls(gh).some((c) => c.startsWith('PATCH') || c.startsWith('POST'))).toBe(false);
    expect(later.body).toContain('newer report');

    // Same commit and start time: the higher run id wins; garbled meta never blocks.
    later.body = `${header({ head: HEAD, run_at: RUN_AT, run: '43' })}x`;
    expect(await upsertStickyComment(options(gh))).toMatchObject({ action: 'skipped-stale', commentId: later.id });
    later.body = '<!-- promptops:comment id=diff -->\n<!-- promptops:meta {"head": -->\n\nx';
    expect(await upsertStickyComment(options(gh))).toMatchObject({ action: 'updated', commentId: later.id });
  });

  it('behavior new always posts another comment', async () => {
    const gh = await github();
    gh.addComment(7, `${header({ run_at: '2026-02-01T00:00:00Z' })}old`);
    const result = await upsertStickyComment(options(gh, { behavior: 'new' }));
    expect(result.action).toBe('created');
    expect(calls(gh).slice(2)).toEqual(['POST /repos/acme/app/issues/7/comments']);
    expect(gh.comments.get(7)).toHaveLength(2);
  });

  it('behavior delete-and-new deletes every marked comment, then posts', async () => {
    const gh = await github();
    const a = gh.addComment(7, `${header({ run_at: '2026-02-01T00:00:00Z' })}first`);
    const human = gh.addComment(7, 'human', 'octocat');
    const b = gh.addComment(7, `${header({ run_at: '2026-02-02T00:00:00Z' })}second`);
    const other = gh.addComment(7, `${header({ run_at: '2026-02-02T00:00:00Z' }, 'staging')}staging`);
    const result = await upsertStickyComment(options(gh, { behavior: 'delete-and-new' }));
    expect(result).toMatchObject({ action: 'recreated', commentId: other.id + 1 });
    expect(calls(gh).slice(2)).toEqual([`DELETE /repos/acme/app/issues/comments/${a.id}`, `DELETE /repos/acme/app/issues/comments/${b.id}`, 'POST /repos/acme/app/issues/7/comments']);
    expect(gh.comments.get(7)!.map((c) => c.id)).toEqual([human.id, other.id, other.id + 1]);
  });

  it('skipIfUnchanged leaves an identical report alone, whatever its meta', async () => {
    const gh = await github();
    const existing = gh.addComment(7, `${header({ head: 'old', run_at: '2026-02-01T00:00:00Z', run: '1' })}## promptops diff\r\n\r\n1 prompt changed\n`);
    expect(await upsertStickyComment(options(gh, { skipIfUnchanged: true }))).toMatchObject({ action: 'skipped-unchanged', commentId: existing.id });
    expect(calls(gh).some((c) => c.startsWith('PATCH'))).toBe(false);
    expect(await upsertStickyComment(options(gh, { skipIfUnchanged: true, body: 'different' }))).toMatchObject({ action: 'updated', commentId: existing.id });
  });

  it('truncates a body over 65,536 characters before posting', async () => {
    const gh = await github();
    const rows = Array.from({ length: 3000 }, (_, i) => `+ line ${i} of the rendered prompt diff`).join('\n');
    const body = `## promptops diff\n\n<details><summary>Rendered diff</summary>\n\n\`\`\`diff\n${rows}\n\`\`\`\n\n</details>\n`;
    expect(body.length).toBeGreaterThan(100_000);
    const result = await upsertStickyComment(options(gh, { body }));
    expect(result).toMatchObject({ action: 'created', truncated: true });
    const posted: string = gh.requests.at(-1)!.body.body;
    expect(posted.length).toBeLessThanOrEqual(65_536);
    expect(parseCommentHeader(posted)).toMatchObject({ key: 'diff', meta: { head: HEAD, run_at: RUN_AT, run: '42' } });
    expect(posted.match(/^```/gm)).toHaveLength(2);
    expect(posted).toMatch(/```\n<\/details>\n\n_…truncated: [\d,]+ characters omitted; the full report is in the workflow run's artifacts\/job summary\._$/);
  });

  it('maps a 401 to GitHubError without the token', async () => {
    const gh = await github();
    const error = await upsertStickyComment(options(gh, { token: 'ghp_wrongTokenValue42' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ status: 401, message: expect.stringContaining('GITHUB_TOKEN') });
    expect((error as Error).message).toContain('GET /repos/acme/app/pulls/7');
    expect(inspect(error, { depth: 10 })).not.toContain('wrongTokenValue42');
  });

  it('maps a 404 to GitHubError naming the repository and PR', async () => {
    const gh = await github();
    const error = await upsertStickyComment(options(gh, { pr: 99 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ status: 404, message: expect.stringMatching(/acme\/app.*#99/) });
  });
});

describe('pullRequestContext', () => {
  const eventFile = (payload: unknown) => {
    const path = join(tempDir(), 'event.json');
    writeFileSync(path, JSON.stringify(payload));
    return path;
  };
  const env = { GITHUB_REPOSITORY: 'acme/app', GITHUB_TOKEN: TOKEN, GITHUB_RUN_ID: '123', GITHUB_SERVER_URL: 'https://github.example.com' };

  it('reads a pull_request event', () => {
    const path = eventFile({ action: 'synchronize', pull_request: { number: 7, head: { sha: HEAD } } });
    expect(pullRequestContext({ ...env, GITHUB_EVENT_PATH: path })).toEqual({
      value: { owner: 'acme', repo: 'app', pr: 7, headSha: HEAD, apiUrl: 'https://api.github.com', token: TOKEN, runId: '123', runUrl: 'https://github.example.com/acme/app/actions/runs/123' },
      diagnostics: [],
    });
  });

  it('reads a workflow_run event, preferring the PR whose head ran', () => {
    const path = eventFile({ workflow_run: { head_sha: NEWER, pull_requests: [{ number: 3, head: { sha: HEAD } }, { number: 8, head: { sha: NEWER } }] } });
    const { value } = pullRequestContext({ ...env, GITHUB_EVENT_PATH: path, GITHUB_API_URL: 'https://ghe.example.com/api/v3/' });
    expect(value).toMatchObject({ pr: 8, headSha: NEWER, apiUrl: 'https://ghe.example.com/api/v3' });
  });

  it('explains a workflow_run from a fork, and takes --pr instead', () => {
    const path = eventFile({ workflow_run: { head_sha: NEWER, pull_requests: [] } });
    const failed = pullRequestContext({ ...env, GITHUB_EVENT_PATH: path });
    expect(failed.value).toBeUndefined();
    expect(failed.diagnostics).toEqual([expect.objectContaining({ code: 'missing-pr', message: expect.stringMatching(/--pr.*forks/) })]);
    expect(pullRequestContext({ ...env, GITHUB_EVENT_PATH: path }, { pr: 12 }).value).toMatchObject({ pr: 12, headSha: NEWER });
  });

  it('names every missing variable and never the token', () => {
    const { value, diagnostics } = pullRequestContext({});
    expect(value).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['missing-repository', 'missing-pr', 'missing-token', 'missing-sha']);
    expect(diagnostics.map((d) => d.message).join('\n')).toMatch(/GITHUB_REPOSITORY[\s\S]*GITHUB_EVENT_PATH[\s\S]*GITHUB_TOKEN/);

    const bad = pullRequestContext({ GITHUB_TOKEN: TOKEN, GITHUB_EVENT_PATH: join(tempDir(), 'missing.json') }, { repo: 'acme', pr: 0 });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['invalid-repository', 'invalid-event', 'invalid-pr', 'missing-sha']);
    expect(JSON.stringify(bad.diagnostics)).not.toContain(TOKEN);
  });

  it('lets flags override the environment', () => {
    const { value } = pullRequestContext({ GITHUB_TOKEN: TOKEN }, { repo: 'other/repo', pr: 5, sha: HEAD });
    expect(value).toEqual({ owner: 'other', repo: 'repo', pr: 5, headSha: HEAD, apiUrl: 'https://api.github.com', token: TOKEN });
  });
});

describe('truncateComment', () => {
  const lines = (n: number, text = 'row') => Array.from({ length: n }, (_, i) => `${text} ${i}`).join('\n');
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  it('returns a body within the limit unchanged', () => {
    expect(truncateComment('short', 5)).toEqual({ body: 'short', truncated: false, omitted: 0 });
  });

  it('cuts at a line boundary, keeps the header first and counts what was left out', () => {
    const body = addCommentHeader({ body: lines(200), meta: { head: HEAD, run_at: RUN_AT } });
    const { body: out, truncated, omitted } = truncateComment(body, 1000);
    expect(truncated).toBe(true);
    expect(out.length).toBeLessThanOrEqual(1000);
    const kept = out.slice(0, out.indexOf('\n_…truncated'));
    expect(body.startsWith(kept) && kept.endsWith('\n')).toBe(true);
    expect(omitted).toBe(body.length - kept.length);
    expect(out).toContain(`_…truncated: ${omitted.toLocaleString('en-US')} characters omitted;`);
    expect(parseCommentHeader(out)?.meta).toEqual({ head: HEAD, run_at: RUN_AT, run: undefined });
  });

  it('closes a code fence it cuts into, with the same fence', () => {
    const body = `intro\n\n~~~~yaml\n${lines(200)}\n~~~~\n\nafter`;
    const { body: out } = truncateComment(body, 800);
    expect(out.length).toBeLessThanOrEqual(800);
    expect(out).toMatch(/\nrow \d+\n~~~~\n\n_…truncated/);
    // Fence lines inside a fence of a different kind are content, not closers.
    const mixed = `\`\`\`\`md\n\`\`\`\n${lines(200)}`;
    expect(truncateComment(mixed, 600).body).toMatch(/\nrow \d+\n````\n\n_…truncated/);
    // A fence that closed before the cut needs nothing.
    const closed = truncateComment(`\`\`\`\ncode\n\`\`\`\n${lines(200)}`, 600).body;
    expect(closed.match(/^```/gm)).toHaveLength(2);
    expect(closed).toMatch(/\nrow \d+\n\n_…truncated/);
  });

  it('closes nested <details> (and a fence inside them) in order', () => {
    const body = `<details><summary>all</summary>\n\n<details open>\n<summary>one</summary>\n\n\`\`\`diff\n${lines(300)}\n\`\`\`\n</details>\n</details>\n`;
    const { body: out } = truncateComment(body, 1200);
    expect(out.length).toBeLessThanOrEqual(1200);
    expect(out).toMatch(/\nrow \d+\n```\n<\/details>\n<\/details>\n\n_…truncated/);
    // Closed elements and <details> in code need no closing.
    const closed = `<details><summary>x</summary>\n\n\`<details>\`\n</details>\n\n${lines(300)}`;
    expect(truncateComment(closed, 700).body).toMatch(/\nrow \d+\n\n_…truncated/);
  });

  it('never splits a surrogate pair in a long line of astral characters', () => {
    const body = `${'😀'.repeat(40_000)}\n`;
    for (const limit of [65_536, 65_535, 1001, 1000]) {
      const { body: out } = truncateComment(body, limit);
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(out).not.toMatch(lone);
      expect(out.startsWith('😀'.repeat(100))).toBe(true);
    }
  });

  it('never cuts inside an HTML tag on a long line', () => {
    const body = `${'<img src="https://example.com/chart.png" alt="chart"> '.repeat(400)}\n`;
    for (let limit = 1000; limit < 1060; limit++) {
      const { body: out } = truncateComment(body, limit);
      const kept = out.slice(0, out.indexOf('\n'));
      expect(kept).toMatch(/^(<img [^<>]*> )*(<img [^<>]*>)?$/);
      expect(out.length).toBeLessThanOrEqual(limit);
    }
  });

  it('refuses a limit too small for the header and note', () => {
    expect(() => truncateComment(`${header({ run_at: RUN_AT })}${lines(100)}`, 120)).toThrow(RangeError);
  });
});
