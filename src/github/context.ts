import { readFileSync } from 'node:fs';
import type { Diagnostic, Result } from '../core/diagnostics.js';

/** Where a PR comment goes, read from the GitHub Actions environment (or flags). */
export interface PullRequestContext {
  owner: string;
  repo: string;
  pr: number;
  /** The commit this run is about; absent turns off the "PR head moved on" check. */
  headSha?: string;
  apiUrl: string;
  token: string;
  runId?: string;
  /** Link to the workflow run, for "full report" pointers. */
  runUrl?: string;
}

export interface PullRequestOverrides {
  /** `owner/name` (the `--repo` flag). */
  repo?: string;
  pr?: number;
  sha?: string;
}

interface EventFacts {
  pr?: number;
  sha?: string;
  /** Why the event gives no PR number, when it does not. */
  missing?: string;
}

/**
 * Reads GITHUB_REPOSITORY, GITHUB_EVENT_PATH (pull_request, pull_request_target and workflow_run
 * payloads), GITHUB_API_URL, GITHUB_TOKEN, GITHUB_RUN_ID and GITHUB_SERVER_URL; overrides win.
 * Messages name the variable or flag to set and never contain the token.
 */
export function pullRequestContext(env: Record<string, string | undefined>, overrides: PullRequestOverrides = {}): Result<PullRequestContext | undefined> {
  const diagnostics: Diagnostic[] = [];
  const error = (code: string, message: string) => diagnostics.push({ code, severity: 'error', message });

  const repoName = overrides.repo ?? env.GITHUB_REPOSITORY;
  const [owner, repo, ...rest] = (repoName ?? '').split('/');
  if (!repoName) error('missing-repository', 'no repository: pass --repo owner/name or set GITHUB_REPOSITORY');
  else if (!owner || !repo || rest.length) error('invalid-repository', `repository "${repoName}" is not owner/name (from ${overrides.repo ? '--repo' : 'GITHUB_REPOSITORY'})`);

  const event = overrides.pr !== undefined && overrides.sha ? {} : readEvent(env.GITHUB_EVENT_PATH, error);
  const pr = overrides.pr ?? event?.pr;
  if (overrides.pr !== undefined && !(Number.isInteger(overrides.pr) && overrides.pr > 0)) error('invalid-pr', `--pr must be a positive whole number, got ${overrides.pr}`);
  else if (pr === undefined && event) error('missing-pr', `no pull request number: pass --pr${event.missing ? ` (${event.missing})` : ''}`);

  const token = env.GITHUB_TOKEN;
  if (!token) error('missing-token', 'GITHUB_TOKEN is not set: pass the workflow token (`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`) with `pull-requests: write` permission');

  const headSha = overrides.sha ?? event?.sha;
  if (!headSha) diagnostics.push({ code: 'missing-sha', severity: 'warning', message: 'no head commit (pass --sha): a run for an older commit could overwrite the comment of a newer one' });

  if (diagnostics.some((d) => d.severity === 'error')) return { value: undefined, diagnostics };
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const runId = env.GITHUB_RUN_ID || undefined;
  return {
    value: {
      owner: owner!,
      repo: repo!,
      pr: pr!,
      headSha,
      apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
      token: token!,
      runId,
      runUrl: runId ? `${server}/${owner}/${repo}/actions/runs/${runId}` : undefined,
    },
    diagnostics,
  };
}

/** The PR number and head commit of the triggering event; undefined after reporting an unreadable file. */
function readEvent(path: string | undefined, error: (code: string, message: string) => void): EventFacts | undefined {
  if (!path) return { missing: 'GITHUB_EVENT_PATH is not set, so this is not a GitHub Actions run' };
  let payload: any;
  try {
    payload = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    error('invalid-event', `cannot read the event payload GITHUB_EVENT_PATH=${path}: ${(e as Error).message}`);
    return undefined;
  }
  const pull = payload?.pull_request;
  if (pull && typeof pull.number === 'number') return { pr: pull.number, sha: stringOr(pull.head?.sha) };
  const run = payload?.workflow_run;
  if (run) {
    const sha = stringOr(run.head_sha);
    const pulls: any[] = Array.isArray(run.pull_requests) ? run.pull_requests : [];
    // A commit can head several PRs; prefer the one whose head is the commit that ran.
    const match = pulls.find((p) => p?.head?.sha === sha) ?? pulls[0];
    if (typeof match?.number === 'number') return { pr: match.number, sha };
    // GitHub leaves pull_requests empty when the PR comes from a fork.
    return { sha, missing: 'the workflow_run event lists no pull request, as happens for PRs from forks; pass the number on, e.g. in an artifact of the triggering run' };
  }
  return { missing: 'the event in GITHUB_EVENT_PATH is neither pull_request nor workflow_run' };
}

const stringOr = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** The pull request of the triggering event, recorded in a diff report so a later workflow_run can comment on it. */
export function eventPullRequest(env: Record<string, string | undefined>): { repository?: string; pr: number; head_sha?: string } | undefined {
  const facts = readEvent(env.GITHUB_EVENT_PATH, () => {});
  if (facts?.pr === undefined) return undefined;
  return { ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}), pr: facts.pr, ...(facts.sha ? { head_sha: facts.sha } : {}) };
}
