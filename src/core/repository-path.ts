import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostics.js';

/** Why a repository path cannot be read: it does not exist, or a symbolic link takes it out of the repository or into `.git`. */
export type PathProblem = 'missing' | 'outside' | 'git';

/**
 * Where a repository-relative path really is, symbolic links resolved. A pull request can commit a
 * link to any path of the machine that checks it out (`/etc/passwd`, `/proc/self/environ`,
 * `.git/config` with the checkout's auth header), so every read of a repository file goes through
 * this check: the real path must stay inside the real `root` and out of `.git`.
 */
export function resolveInRepository(root: string, file: string): { path: string } | { problem: PathProblem } {
  let real: string;
  let realRoot: string;
  try {
    // The native call is one syscall per path; the JS fallback walks every component (many files are read).
    realRoot = realpathSync.native(root);
    real = realpathSync.native(resolve(root, file));
  } catch {
    return { problem: 'missing' };
  }
  return problemOf(realRoot, real) ?? { path: real };
}

/** The problem of a real (resolved) path against a real root, if any. */
export function problemOf(realRoot: string, real: string): { problem: PathProblem } | undefined {
  const rel = relative(realRoot, real);
  if (rel.startsWith('..') || isAbsolute(rel)) return { problem: 'outside' };
  if (rel.split(sep).includes('.git')) return { problem: 'git' };
  return undefined;
}

/** True when `file` (relative to `root`) is itself a symbolic link. */
export function isSymlink(root: string, file: string): boolean {
  return lstatSync(resolve(root, file), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
}

/** The codes of links that were not followed: errors wherever a repository is read, a diffed ref included. */
export const LINK_CODES: ReadonlySet<string> = new Set(['symlink-escape', 'broken-symlink']);

/**
 * The diagnostic for a link that cannot be followed, at the link itself. It says where the link
 * points only in general terms: the target's name or content is the very thing not to print.
 */
export function linkDiagnostic(file: string, problem: PathProblem): Diagnostic {
  if (problem === 'missing') {
    return {
      code: 'broken-symlink', severity: 'error', file, line: 1, col: 1,
      message: `${file} is a symbolic link that does not resolve (its target does not exist, or links form a loop)`,
      hint: 'remove the link or commit the file it should point to',
    };
  }
  return {
    code: 'symlink-escape', severity: 'error', file, line: 1, col: 1,
    message: `${file} is a symbolic link to ${problem === 'git' ? 'a path inside .git' : 'a path outside the repository'}; it is not read`,
    hint: 'commit the file itself instead of a link; links may only point to other files of the repository',
  };
}
