import type { Octokit } from '@octokit/rest';
import { addCommentHeader, DEFAULT_COMMENT_KEY, parseCommentHeader, truncateComment, type CommentMeta } from './comment-body.js';

export type CommentBehavior = 'update' | 'new' | 'delete-and-new';

export interface StickyCommentOptions {
  /** Required unless `octokit` is given. */
  token?: string;
  /** Default https://api.github.com. */
  apiUrl?: string;
  owner: string;
  repo: string;
  pr: number;
  body: string;
  /** One sticky comment per key (e.g. per environment); default `diff`. */
  key?: string;
  /** The commit this run is about: nothing is written once the PR head has moved past it. */
  headSha?: string;
  /** When this run started (ISO 8601): nothing is written over a comment from a later run. */
  runAt: string;
  runId?: string;
  /** Default `update`. */
  behavior?: CommentBehavior;
  /** Leave the comment alone (no notification, no "edited") when only the meta line would change. */
  skipIfUnchanged?: boolean;
  /** Write only over an existing comment (default true: create one when there is none). Keeps a "nothing to report" run from adding a comment, while still correcting an older one. */
  createIfMissing?: boolean;
  octokit?: Octokit;
}

export interface StickyCommentResult {
  action: 'created' | 'updated' | 'recreated' | 'skipped-stale' | 'skipped-unchanged' | 'skipped-not-needed';
  commentId?: number;
  url?: string;
  truncated: boolean;
  /** Why nothing was written, for skipped actions. */
  reason?: string;
}

/** A GitHub API failure with a message saying what to fix; never contains the token. */
export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitHubError';
  }
}

interface Marked {
  id: number;
  url: string;
  meta?: CommentMeta;
  content: string;
}

/**
 * Creates or updates the PR comment carrying the marker for `key`. Concurrent runs are not
 * serialised (GitHub has no conditional update for comments); the head and run-time checks keep
 * the common case, an older run finishing last, from overwriting newer results.
 */
export async function upsertStickyComment(options: StickyCommentOptions): Promise<StickyCommentResult> {
  if (Number.isNaN(Date.parse(options.runAt))) throw new TypeError(`runAt must be an ISO 8601 timestamp, got "${options.runAt}"`);
  const key = options.key ?? DEFAULT_COMMENT_KEY;
  const meta = { head: options.headSha, run_at: options.runAt, run: options.runId };
  const { body, truncated } = truncateComment(addCommentHeader({ body: options.body, key, meta }));
  const octokit = options.octokit ?? (await createOctokit(options));
  const where = { owner: options.owner, repo: options.repo };
  try {
    if (options.headSha) {
      const { data: pull } = await octokit.rest.pulls.get({ ...where, pull_number: options.pr });
      if (pull.head.sha !== options.headSha) {
        const reason = `pull request #${options.pr} head is now ${pull.head.sha.slice(0, 7)}, this run is for ${options.headSha.slice(0, 7)}; the newer commit's run will comment`;
        return { action: 'skipped-stale', truncated, reason };
      }
    }
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...where, issue_number: options.pr, per_page: 100 });
    const marked = comments
      .flatMap((c): Marked[] => {
        const header = parseCommentHeader(c.body ?? '');
        return header?.key === key ? [{ id: c.id, url: c.html_url, meta: header.meta, content: header.content }] : [];
      })
      .sort((a, b) => a.id - b.id);
    for (const comment of marked) {
      const reason = laterRun(comment, options);
      if (reason) return { action: 'skipped-stale', commentId: comment.id, url: comment.url, truncated, reason };
    }
    const newest = marked.at(-1);
    if (options.skipIfUnchanged && newest && sameText(newest.content, parseCommentHeader(body)!.content)) {
      return { action: 'skipped-unchanged', commentId: newest.id, url: newest.url, truncated, reason: `comment ${newest.id} already says this` };
    }
    if (options.createIfMissing === false && !newest) return { action: 'skipped-not-needed', truncated, reason: 'nothing to report and no earlier comment to correct' };
    const behavior = options.behavior ?? 'update';
    if (behavior === 'update' && newest) {
      const { data } = await octokit.rest.issues.updateComment({ ...where, comment_id: newest.id, body });
      return { action: 'updated', commentId: data.id, url: data.html_url, truncated };
    }
    if (behavior === 'delete-and-new') for (const comment of marked) await deleteComment(octokit, { ...where, comment_id: comment.id });
    const { data } = await octokit.rest.issues.createComment({ ...where, issue_number: options.pr, body });
    return { action: behavior === 'delete-and-new' && marked.length ? 'recreated' : 'created', commentId: data.id, url: data.html_url, truncated };
  } catch (error) {
    throw toGitHubError(error, options);
  }
}

/** Why `comment` is newer than this run, if it is. Comments with garbled meta never block. */
function laterRun(comment: Marked, options: StickyCommentOptions): string | undefined {
  const theirs = Date.parse(comment.meta?.run_at ?? '');
  const ours = Date.parse(options.runAt);
  if (theirs > ours) return `comment ${comment.id} was written by a later run (at ${comment.meta!.run_at})`;
  if (theirs < ours) return undefined;
  // Same time or none recorded: for the same commit, the higher run id is the later run.
  const sameHead = options.headSha !== undefined && comment.meta?.head === options.headSha;
  if (sameHead && Number(comment.meta?.run) > Number(options.runId)) return `comment ${comment.id} was written by a later run (${comment.meta!.run}) for the same commit`;
  return undefined;
}

// GitHub hands bodies back with CRLF line ends when they were typed in the browser.
const sameText = (a: string, b: string) => a.replace(/\r\n/g, '\n').trimEnd() === b.replace(/\r\n/g, '\n').trimEnd();

async function deleteComment(octokit: Octokit, params: { owner: string; repo: string; comment_id: number }) {
  try {
    await octokit.rest.issues.deleteComment(params);
  } catch (error) {
    // Already gone (another run or a person deleted it): that is what we wanted.
    if ((error as { status?: number }).status !== 404) throw error;
  }
}

async function createOctokit(options: StickyCommentOptions): Promise<Octokit> {
  if (!options.token) throw new GitHubError('no GitHub token: set GITHUB_TOKEN (or pass an Octokit client)');
  // Loaded on demand so commands that never comment do not pay for Octokit at startup.
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({
    auth: options.token,
    baseUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'promptops',
    // Failures surface as GitHubError with a fix; Octokit's own console line would repeat them.
    log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
  });
}

interface RequestErrorLike {
  status: number;
  request: { method: string; url: string };
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
  message: string;
}

// Duck-typed: @octokit/request-error is not a direct dependency, and instanceof breaks across copies.
const isRequestError = (e: unknown): e is RequestErrorLike =>
  e instanceof Error && e.name === 'HttpError' && typeof (e as Partial<RequestErrorLike>).status === 'number' && !!(e as Partial<RequestErrorLike>).request;

function toGitHubError(error: unknown, options: StickyCommentOptions): unknown {
  if (!isRequestError(error)) return error;
  const { status, request, response } = error;
  const call = `${request.method} ${new URL(request.url).pathname}`;
  const said = (response?.data as { message?: unknown } | undefined)?.message;
  const github = typeof said === 'string' ? ` (GitHub says: ${said})` : '';
  const cause = { cause: error };
  if (!response) return new GitHubError(`cannot reach the GitHub API for ${call}: ${error.message}`, undefined, cause);
  if (status === 401) return new GitHubError(`GitHub rejected the token on ${call} (HTTP 401)${github}: check that GITHUB_TOKEN holds a valid, unexpired token`, status, cause);
  if (status === 403 && String(response.headers?.['x-ratelimit-remaining']) === '0') {
    return new GitHubError(`GitHub API rate limit exhausted on ${call} (HTTP 403)${github}; try again after the reset`, status, cause);
  }
  if (status === 403) {
    return new GitHubError(
      `GitHub refused ${call} (HTTP 403)${github}: the token needs \`pull-requests: write\` (set \`permissions:\` in the workflow). ` +
        'On pull requests from forks GITHUB_TOKEN is read-only: run the diff in the pull_request workflow, upload it as an artifact, ' +
        'and post the comment from a workflow_run workflow.',
      status,
      cause,
    );
  }
  if (status === 404) {
    return new GitHubError(
      `${call} answered HTTP 404${github}: repository ${options.owner}/${options.repo} or pull request #${options.pr} not found, or the token cannot see it`,
      status,
      cause,
    );
  }
  return new GitHubError(`${call} failed with HTTP ${status}${github}`, status, cause);
}
