import { simpleGit } from 'simple-git';
import { GitRefError } from './snapshot.js';

export interface BaseRef {
  /** What the base was derived from, for humans: `merge-base of origin/main and HEAD`. */
  description: string;
  commit: string;
}

/**
 * The commit a change is compared against. An explicit `base` is used as given; otherwise the
 * merge-base of `head` with the default branch — the pull request's target in GitHub Actions
 * (`GITHUB_BASE_REF`), else `origin/HEAD`, else the first of origin/main, origin/master, main, master.
 */
export async function resolveBase({ root, base, head = 'HEAD', env = process.env }: { root: string; base?: string; head?: string; env?: Record<string, string | undefined> }): Promise<BaseRef> {
  const git = simpleGit({ baseDir: root });
  if (!(await git.checkIsRepo().catch(() => false))) throw new GitRefError(`${root} is not inside a git repository; diff compares git commits`);
  if (base !== undefined) return { description: base, commit: await commitOf(root, base) };
  const target = await defaultBranch(root, env);
  let commit: string;
  try {
    commit = (await git.raw(['merge-base', target, head])).trim();
  } catch {
    commit = '';
  }
  if (!commit) {
    throw new GitRefError(`no common ancestor of ${target} and ${head}: the history is shallow or unrelated (fetch full history, e.g. actions/checkout with "fetch-depth: 0", or pass --base <ref>)`);
  }
  return { description: `merge-base of ${target} and ${head}`, commit };
}

async function defaultBranch(root: string, env: Record<string, string | undefined>): Promise<string> {
  const candidates: string[] = [];
  if (env.GITHUB_BASE_REF) candidates.push(`origin/${env.GITHUB_BASE_REF}`, env.GITHUB_BASE_REF);
  const git = simpleGit({ baseDir: root });
  const originHead = await git.raw(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']).then((s) => s.trim(), () => '');
  if (originHead) candidates.push(originHead);
  candidates.push('origin/main', 'origin/master', 'main', 'master');
  for (const ref of candidates) if (await exists(root, ref)) return ref;
  throw new GitRefError(`cannot find the default branch (tried ${[...new Set(candidates)].join(', ')}); pass --base <ref>`);
}

async function exists(root: string, ref: string): Promise<boolean> {
  try {
    return Boolean((await simpleGit({ baseDir: root }).raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim());
  } catch {
    return false;
  }
}

export async function commitOf(root: string, ref: string): Promise<string> {
  if (await exists(root, ref)) return (await simpleGit({ baseDir: root }).raw(['rev-parse', '--verify', `${ref}^{commit}`])).trim();
  throw new GitRefError(`git ref "${ref}" does not name a commit (fetch it first, e.g. "git fetch origin ${ref.replace(/^origin\//, '')}")`);
}
