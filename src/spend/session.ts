import { tmpdir } from 'node:os';
import type { Repository } from '../core/repository.js';
import { openDb, sqlIdent, sqlString, type Db } from './duckdb.js';
import { checkUsageFiles, UnreadableUsageError, type FileCheck, type UnreadableFile } from './file-check.js';
import { locateRejected, structuralRejects, type RejectedRow } from './locate.js';
import { loadPrices } from './pricing.js';
import { runScan, scanStats, type KeyField, type ScanStats } from './scan.js';
import { resolveUsageSources, type UsageFile } from './sources.js';
import { csvDialect } from './usage-sql.js';

export interface SpendSession {
  db: Db;
  files: UsageFile[];
  stats: ScanStats;
  /** Rejected rows located in their files (the first `locateLimit` per file of each kind: rows the line or CSV reader could not return, rows that are not valid usage records). */
  rejectedRows: RejectedRow[];
  /** Statements of the scan, as run. */
  statements: string[];
  /** JSON Lines files read line by line (DuckDB's JSON reader failed on one of their lines). */
  lineByLine: string[];
  /** Usage patterns that matched no file (others did). */
  unmatched: string[];
  /** Files left out because they cannot be read whole (only with `skipUnreadable`). */
  unreadable: UnreadableFile[];
  close(): void;
}

export interface OpenSpendOptions {
  repo: Pick<Repository, 'root' | 'config' | 'catalog' | 'features'>;
  /** Usage files or globs; default: `usage.paths` of the config. */
  paths?: readonly string[];
  keys: readonly KeyField[];
  from?: string;
  to?: string;
  /** Rejected rows to locate per file (default 20; `Infinity` for all of them). */
  locateLimit?: number;
  /** Leave out a file that cannot be read whole (a corrupt gzip stream) instead of failing. */
  skipUnreadable?: boolean;
  trace?: (sql: string) => void;
}

/** No usage file matched: a usage error (exit 2), with the patterns that matched nothing. */
export class NoUsageFilesError extends Error {
  constructor(readonly patterns: readonly string[]) {
    super(
      patterns.length
        ? `no usage log file matches ${patterns.map((p) => `"${p}"`).join(', ')} (JSONL, JSON, CSV or Parquet, optionally gzip-compressed)`
        : 'no usage log location: pass --usage <path|glob> or set usage.paths in promptops.config.yaml',
    );
    this.name = 'NoUsageFilesError';
  }
}

export interface UsageSource {
  db: Db;
  /** The files read: without the unreadable ones once they are known. */
  files: UsageFile[];
  /** Columns of CSV and Parquet files. */
  columns: Map<string, string[]>;
  unmatched: string[];
  /** Files left out because they cannot be read whole (only with `skipUnreadable`). */
  unreadable: UnreadableFile[];
  skipUnreadable: boolean;
  /** The checks of `file-check.ts`, running beside DuckDB's reads (see {@link readWhole}). */
  integrity: Promise<FileCheck>;
}

/** Resolves the usage files, opens DuckDB with prices and the feature → team map loaded. */
export async function prepareUsage(options: Pick<OpenSpendOptions, 'repo' | 'paths' | 'trace' | 'skipUnreadable'>): Promise<UsageSource> {
  const paths = options.paths ?? options.repo.config.usage?.paths ?? [];
  if (paths.length === 0) throw new NoUsageFilesError([]);
  const { files, unmatched } = resolveUsageSources({ root: options.repo.root, paths });
  if (files.length === 0) throw new NoUsageFilesError(unmatched);
  // Started first: zlib inflates on libuv's threads while DuckDB starts and scans on its own.
  const integrity = checkUsageFiles(files);
  const db = await openDb({ tempDirectory: tmpdir(), trace: options.trace });
  try {
    await loadPrices(db, options.repo.catalog);
    await loadFeatureTeams(db, options.repo);
    const source: UsageSource = { db, files, columns: new Map(), unmatched, unreadable: [], skipUnreadable: options.skipUnreadable ?? false, integrity };
    // Column names come from the first lines: waiting for the check here would put it before the scan.
    source.columns = await readWhole(source, (readable) => describeColumns(db, readable), { waitOnlyOnFailure: true });
    return source;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Runs `work` (a read of the usage files) while the gzip check runs, and keeps its result only if
 * every file it read is whole: a file that is not fails the read with {@link UnreadableUsageError}
 * (exit 3), whatever DuckDB made of it; with `skipUnreadable` the file is left out of
 * `source.files` and `work` runs again without it. Nothing left to read is an error either way.
 * `waitOnlyOnFailure`: a read that succeeded is kept without waiting for the check (a later
 * `readWhole` still applies it).
 */
export async function readWhole<T>(source: UsageSource, work: (files: UsageFile[]) => Promise<T>, options: { waitOnlyOnFailure?: boolean } = {}): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await work(source.files) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok && options.waitOnlyOnFailure) return outcome.value;
  const fresh = (await source.integrity).unreadable.filter((u) => source.files.some((f) => f.path === u.path));
  if (fresh.length) {
    const remaining = source.files.filter((f) => !fresh.some((u) => u.path === f.path));
    if (!source.skipUnreadable || remaining.length === 0) throw new UnreadableUsageError(fresh);
    source.unreadable.push(...fresh);
    source.files = remaining;
    return work(source.files);
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Scans the usage logs into `spend_agg`. Everything later (reports, budgets, recommendations)
 * queries that small table.
 */
export async function openSpend(options: OpenSpendOptions): Promise<SpendSession> {
  const source = await prepareUsage(options);
  const { db, columns, unmatched, unreadable } = source;
  try {
    const scan = async (readable: UsageFile[]) => {
      const first = await runScan(db, { files: readable, keys: options.keys, from: options.from, to: options.to, columns });
      // A line over the limit passes DuckDB's JSON reader: a file that may have one is read again line by line.
      const { longLines } = await source.integrity;
      const missed = readable.filter((f) => longLines.has(f.path) && !first.lineByLine.includes(f.path));
      if (missed.length === 0) return first;
      return runScan(db, { files: readable, keys: options.keys, from: options.from, to: options.to, columns, lineByLine: new Set([...first.lineByLine, ...missed.map((f) => f.path)]) });
    };
    const { statements, lineByLine } = await readWhole(source, scan);
    const files = source.files;
    const stats = await scanStats(db);
    const limit = options.locateLimit ?? 20;
    const located = stats.rejected.length
      ? await locateRejected(db, { files, rejected: stats.rejected, columns, limit: Number.isFinite(limit) ? limit : undefined })
      : [];
    const structural = await structuralRejects(db, files);
    if (structural.length) {
      stats.rejected.push(...countByFile(structural, files));
      stats.rejectedRows += structural.length;
      stats.rows += structural.length;
    }
    const shown = Number.isFinite(limit) ? capPerFile(structural, limit) : structural;
    const rejectedRows = [...shown, ...located].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? a.row ?? 0) - (b.line ?? b.row ?? 0)));
    return { db, files, stats, rejectedRows, statements, lineByLine, unmatched, unreadable, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

function capPerFile(rows: readonly RejectedRow[], limit: number): RejectedRow[] {
  const seen = new Map<string, number>();
  return rows.filter((r) => {
    const n = (seen.get(r.file) ?? 0) + 1;
    seen.set(r.file, n);
    return n <= limit;
  });
}

function countByFile(rows: readonly RejectedRow[], files: readonly UsageFile[]) {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(`${r.file}\0${r.code}`, (counts.get(`${r.file}\0${r.code}`) ?? 0) + 1);
  const pathOf = new Map(files.map((f) => [f.display, f.path]));
  return [...counts].map(([key, n]) => {
    const [display, code] = key.split('\0') as [string, string];
    return { file: pathOf.get(display) ?? display, code, rows: n };
  });
}

/** Columns of CSV and Parquet files (JSON readers take the wanted columns by name). */
async function describeColumns(db: Db, files: readonly UsageFile[]): Promise<Map<string, string[]>> {
  const columns = new Map<string, string[]>();
  for (const file of files) {
    if (file.format === 'json') continue;
    const reader =
      file.format === 'csv'
        ? `read_csv(${sqlString(file.path)}, ${csvDialect(file)}, ignore_errors = true, hive_partitioning = ${file.hive})`
        : `read_parquet(${sqlString(file.path)}, hive_partitioning = ${file.hive})`;
    const rows = await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM ${reader}`);
    columns.set(file.path, rows.map((r) => r.column_name));
  }
  return columns;
}

/** Calls without a `team` are attributed to the team of their feature file. */
async function loadFeatureTeams(db: Db, repo: Pick<Repository, 'features'>): Promise<void> {
  await db.run('CREATE OR REPLACE TEMP TABLE feature_teams (feature VARCHAR PRIMARY KEY, team VARCHAR)');
  const rows = [...repo.features.values()].filter((f) => f.data.team).map((f) => `(${sqlString(f.id)}, ${sqlString(f.data.team!)})`);
  if (rows.length) await db.run(`INSERT INTO ${sqlIdent('feature_teams')} VALUES ${rows.join(', ')}`);
}
