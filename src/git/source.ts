import { simpleGit } from 'simple-git';

export interface SourceInfo {
  commit?: string;
  /** Committer date of `commit` (ISO 8601). */
  committedAt?: string;
  /** Uncommitted changes under the repository. */
  dirty: boolean;
}

/** The commit a bundle is compiled from; undefined fields outside a git repository. */
export async function sourceInfo(root: string): Promise<SourceInfo> {
  const git = simpleGit({ baseDir: root });
  try {
    if (!(await git.checkIsRepo())) return { dirty: true };
    const out = await git.raw(['log', '-1', '--format=%H %cI']);
    const [commit, committedAt] = out.trim().split(' ');
    const status = await git.status(['--porcelain', '--', '.']);
    return { commit: commit || undefined, committedAt: committedAt || undefined, dirty: !status.isClean() };
  } catch {
    return { dirty: true };
  }
}
