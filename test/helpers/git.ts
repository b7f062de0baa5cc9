import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { gitRepo, repo, writeTree, type Tree } from './repo.js';

/** Overrides of a tree: a string replaces or adds a file, `undefined` deletes it. */
export type Changes = Record<string, string | Uint8Array | undefined>;

/** Applies `changes` to the working tree of `dir` and commits everything (deletions included). */
export async function commitChanges(dir: string, changes: Changes, message = 'change'): Promise<string> {
  for (const [path, content] of Object.entries(changes)) {
    if (content === undefined) {
      if (existsSync(join(dir, path))) rmSync(join(dir, path));
    } else writeTree(dir, { [path]: content });
  }
  const git = simpleGit({ baseDir: dir });
  await git.add(['-A', '.']);
  await git.commit(message, undefined, { '--allow-empty': null });
  return (await git.revparse(['HEAD'])).trim();
}

/**
 * A git repository with `base` committed on the default branch and `head` changes committed on a
 * branch `change` that is checked out: the shape of a pull request.
 */
export async function pullRequestRepo(base: Tree, head: Changes): Promise<string> {
  const dir = repo(base);
  await gitRepo(dir);
  await simpleGit({ baseDir: dir }).raw(['branch', '-M', 'main']);
  await simpleGit({ baseDir: dir }).checkoutLocalBranch('change');
  await commitChanges(dir, head, 'the change');
  return dir;
}
