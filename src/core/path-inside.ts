import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A name (an environment, a revision) would put a file outside the folder it belongs in. */
export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

/**
 * `dir` joined with `parts`, refused when the result is not strictly inside `dir`. Every write whose
 * path contains a name from a config file, a bundle or the network goes through it, so a name such
 * as `../../x` never picks where a file lands.
 */
export function pathInside(dir: string, ...parts: string[]): string {
  const base = resolve(dir);
  const path = resolve(base, ...parts);
  const rel = relative(base, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new PathEscapeError(`refusing the path ${JSON.stringify(parts.join('/').slice(0, 80))}: it is not inside ${dir}`);
  }
  return path;
}
