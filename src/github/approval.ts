import type { Octokit } from '@octokit/rest';

export interface ApprovalOptions {
  token: string;
  apiUrl?: string;
  owner: string;
  repo: string;
  commit: string;
  octokit?: Octokit;
}

export interface Approval {
  pr: number;
  approvedBy: string[];
}

/** Why a commit may not be published to an environment with `require_pr_approval`. */
export class ApprovalError extends Error {
  constructor(message: string, readonly infrastructure = false) {
    super(message);
    this.name = 'ApprovalError';
  }
}

/**
 * The merged pull request that brought `commit` in must have an approving review that is still
 * standing (a reviewer's latest review counts; a later "changes requested" withdraws the approval).
 */
export async function checkApproval(options: ApprovalOptions): Promise<Approval> {
  const octokit = options.octokit ?? (await createOctokit(options));
  const where = { owner: options.owner, repo: options.repo };
  try {
    const { data: pulls } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...where, commit_sha: options.commit });
    const merged = pulls.filter((p) => p.merged_at);
    if (merged.length === 0) throw new ApprovalError(`commit ${options.commit.slice(0, 7)} did not come from a merged pull request; this environment publishes only reviewed changes (require_pr_approval)`);
    for (const pull of merged) {
      const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { ...where, pull_number: pull.number, per_page: 100 });
      const latest = new Map<string, string>();
      for (const r of reviews) if (r.user && r.state !== 'COMMENTED') latest.set(r.user.login, r.state);
      const approvedBy = [...latest].filter(([, state]) => state === 'APPROVED').map(([login]) => login).sort();
      if (approvedBy.length && ![...latest.values()].includes('CHANGES_REQUESTED')) return { pr: pull.number, approvedBy };
    }
    throw new ApprovalError(`pull request #${merged.map((p) => p.number).join(', #')} that merged ${options.commit.slice(0, 7)} has no standing approving review; this environment requires one (require_pr_approval)`);
  } catch (error) {
    if (error instanceof ApprovalError) throw error;
    const status = (error as { status?: number }).status;
    throw new ApprovalError(`cannot check the pull request approval of ${options.commit.slice(0, 7)} on GitHub${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`, true);
  }
}

async function createOctokit(options: ApprovalOptions): Promise<Octokit> {
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({ auth: options.token, baseUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''), userAgent: 'promptops', log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} } });
}
