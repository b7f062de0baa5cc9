import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';

export type UsageFormat = 'json' | 'csv' | 'parquet';

export interface UsageFile {
  /** Absolute path, as DuckDB reads it. */
  path: string;
  /** Path relative to the repository root when inside it (for messages). */
  display: string;
  format: UsageFormat;
  /** The path has `key=value` folders (hive partitioning). */
  hive: boolean;
}

export interface ResolvedSources {
  files: UsageFile[];
  /** Patterns or paths that matched no usage file. */
  unmatched: string[];
}

const EXTENSIONS: Array<[RegExp, UsageFormat]> = [
  [/\.(jsonl|ndjson|json)(\.gz)?$/i, 'json'],
  [/\.(csv|tsv)(\.gz)?$/i, 'csv'],
  [/\.parquet$/i, 'parquet'],
];

export const formatOf = (path: string): UsageFormat | undefined => EXTENSIONS.find(([re]) => re.test(path))?.[1];

const HIVE = /(^|[\\/])[^\\/=]+=[^\\/]*[\\/]/;

/**
 * Expands usage paths: files, globs and folders (read recursively, e.g. hive-partitioned
 * `usage/environment=production/date=2026-11-01/part-0.parquet`). Files are sorted so every run
 * reads them in the same order.
 */
export function resolveUsageSources(options: { root: string; paths: readonly string[] }): ResolvedSources {
  const found = new Map<string, UsageFile>();
  const unmatched: string[] = [];
  for (const pattern of options.paths) {
    const matches = expand(options.root, pattern);
    const usable = matches.filter((path) => formatOf(path));
    if (usable.length === 0) unmatched.push(pattern);
    for (const path of usable) {
      const rel = relative(options.root, path);
      found.set(path, {
        path,
        display: rel.startsWith('..') || isAbsolute(rel) ? path : rel,
        format: formatOf(path)!,
        hive: HIVE.test(rel.startsWith('..') ? path : rel),
      });
    }
  }
  const files = [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, unmatched };
}

function expand(root: string, pattern: string): string[] {
  const absolute = resolve(root, pattern);
  if (!isDynamicPattern(pattern)) {
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (!stat) return [];
    if (stat.isFile()) return [absolute];
    return globSync('**/*', { cwd: absolute, absolute: true, onlyFiles: true });
  }
  return globSync(pattern, { cwd: root, absolute: true, onlyFiles: true, expandDirectories: false });
}
