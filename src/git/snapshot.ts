import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { simpleGit } from 'simple-git';

export class GitRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitRefError';
  }
}

export interface Snapshot {
  /** The repository root (same relative place as `root`) inside the checked-out copy. */
  root: string;
  commit: string;
  /** Removes the copy. */
  dispose: () => void;
}

/**
 * The files of `ref` written to a temporary directory, without touching the working tree, the
 * index or HEAD: `read-tree` into a private index file, then `checkout-index` into the directory.
 */
export async function snapshotRef({ root, ref }: { root: string; ref: string }): Promise<Snapshot> {
  const git = simpleGit({ baseDir: root });
  let commit: string;
  let top: string;
  try {
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new GitRefError(`${root} is not inside a git repository`);
  }
  try {
    commit = (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    commit = '';
  }
  if (!commit) throw new GitRefError(`git ref "${ref}" does not name a commit (fetch it first, e.g. "git fetch origin ${ref.replace(/^origin\//, '')}")`);
  const dir = mkdtempSync(join(tmpdir(), 'promptops-ref-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    // A private index file, so the user's index is never touched; simple-git guards GIT_* variables.
    const scoped = simpleGit({ baseDir: top, allowEnvironment: ['GIT_INDEX_FILE'] }).env({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, GIT_INDEX_FILE: join(dir, '.index') });
    await scoped.raw(['read-tree', commit]);
    // Symbolic links of the ref are written as links. The snapshot's root is the repository its files
    // are read from (src/core/repository-path.ts), so a link out of it (`/etc/passwd`, `../../..`) is refused.
    await scoped.raw(['checkout-index', '--all', '--force', `--prefix=${dir}/tree/`]);
  } catch (error) {
    dispose();
    throw error;
  }
  return { root: join(dir, 'tree', relative(top, root)), commit, dispose };
}
