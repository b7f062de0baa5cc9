import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../core/redact.js';
import { postgresUrlProblem } from '../core/store-url.js';
import { createFileStore } from './file-store.js';
import { createPgStore } from './pg-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** The repository root: `file://relative/path` is relative to it. */
  root: string;
}

/**
 * The store a URL names: `file://relative/path` (from the repository root), `file:///abs/path`,
 * `postgres://…` or `postgresql://…`.
 */
export function openStore(url: string, options: OpenStoreOptions): Store {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') return createFileStore({ dir: filePath(url, options.root) });
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const problem = postgresUrlProblem(url);
    if (problem) throw new Error(problem);
    return createPgStore({ url });
  }
  throw new Error(`unsupported store URL "${redact(url)}": use file://relative/path (from the repository root), file:///absolute/path, postgres://… or postgresql://…`);
}

function filePath(url: string, root: string): string {
  const rest = url.slice('file:'.length);
  // "file:///abs" is a proper file URL; "file://dir/sub" would make "dir" a host, so it is read as a relative path instead.
  if (rest.startsWith('///')) return fileURLToPath(url);
  const relative = decodeURIComponent(rest.replace(/^\/\//, ''));
  if (!relative) throw new Error(`the store URL "${redact(url)}" names no directory: use file://relative/path or file:///absolute/path`);
  return isAbsolute(relative) ? relative : resolve(root, relative);
}
