import { resolveInRepository } from './repository-path.js';
import { compileUserPattern } from './user-regex.js';

/**
 * The regex of a `regex` assertion: `/pattern/flags` or a bare pattern. `g` is dropped because a
 * global regex keeps state between `test` calls. Throws with a message fit for a diagnostic.
 */
export function compileRegex(source: string): RegExp {
  const m = /^\/(.*)\/([dgimsuyv]*)$/s.exec(source);
  const compiled = m ? compileUserPattern(m[1]!, m[2]!.replace('g', '')) : compileUserPattern(source, '');
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.regex;
}

/** Where a repository-relative file really is (symlinks resolved); `missing` or `outside` (the repository or into `.git`) when it cannot be used. */
export function fileInRepository(root: string, file: string): { path: string } | { problem: 'missing' | 'outside' } {
  const found = resolveInRepository(root, file);
  if ('path' in found) return found;
  return { problem: found.problem === 'missing' ? 'missing' : 'outside' };
}
