import { simpleGit } from 'simple-git';
import { CATALOG_FILE, CONFIG_FILE } from '../core/defaults.js';

const CONTENT_PATHS = ['prompts', 'features', 'budgets', 'experiments', CONFIG_FILE, CATALOG_FILE];

export interface SourceInfo {
  commit?: string;
  /** Committer date of `commit` (ISO 8601). */
  committed_at?: string;
  /** Uncommitted changes to the configuration the bundle is compiled from. */
  dirty: boolean;
}

/** The commit a bundle is compiled from; undefined fields outside a git repository. */
export async function sourceInfo(root: string): Promise<SourceInfo> {
  const git = simpleGit({ baseDir: root });
  try {
    if (!(await git.checkIsRepo())) return { dirty: true };
    const out = await git.raw(['log', '-1', '--format=%H %cI']);
    const [commit, date] = out.trim().split(' ');
    // Only the files a bundle is compiled from count; tool state such as .promptops/ does not.
    const status = await git.status(['--porcelain', '--', ...CONTENT_PATHS]);
    return { commit: commit || undefined, committed_at: date || undefined, dirty: !status.isClean() };
  } catch {
    return { dirty: true };
  }
}
