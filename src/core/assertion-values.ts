import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The regex of a `regex` assertion: `/pattern/flags` or a bare pattern. `g` is dropped because a
 * global regex keeps state between `test` calls. Throws with a message fit for a diagnostic.
 */
export function compileRegex(source: string): RegExp {
  const m = /^\/(.*)\/([dgimsuyv]*)$/s.exec(source);
  try {
    return m ? new RegExp(m[1]!, m[2]!.replace('g', '')) : new RegExp(source);
  } catch (error) {
    throw new Error(`invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /s, '')}`);
  }
}

/** Where a repository-relative file really is (symlinks resolved); `missing` or `outside` when it cannot be used. */
export function fileInRepository(root: string, file: string): { path: string } | { problem: 'missing' | 'outside' } {
  let real: string;
  try {
    real = realpathSync(resolve(root, file));
  } catch {
    return { problem: 'missing' };
  }
  const rel = relative(realpathSync(root), real);
  return rel.startsWith('..') || isAbsolute(rel) ? { problem: 'outside' } : { path: real };
}
