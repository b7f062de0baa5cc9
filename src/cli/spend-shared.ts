import type { ArgsDef } from 'citty';
import { todayUtc } from '../core/catalog/catalog.js';
import { checkBudget } from '../core/check/others.js';
import { hasErrors } from '../core/diagnostics.js';
import { loadRepository, type Repository } from '../core/repository.js';
import { DbError } from '../spend/duckdb.js';
import type { UnreadableFile } from '../spend/file-check.js';
import type { RejectedRow } from '../spend/locate.js';
import { NoUsageFilesError, openSpend, type OpenSpendOptions, type SpendSession } from '../spend/session.js';
import { describeError } from '../spend/usage-sql.js';
import { printDiagnostics, resolveRoot, summary } from './_shared.js';
import { EXIT, ExitError, usageError } from './errors.js';
import { colors, type Io } from './io.js';
import { plural } from '../core/plural.js';

export const spendArgs = {
  root: { type: 'string', description: 'Repository root (default: current directory)', valueHint: 'dir' },
  usage: { type: 'string', description: 'Usage log files, globs or folders, comma-separated (default: usage.paths of promptops.config.yaml)', valueHint: 'paths' },
  from: { type: 'string', description: 'First day counted: YYYY-MM-DD, or Nd for N days before today (UTC)', valueHint: 'date' },
  to: { type: 'string', description: 'Last day counted, inclusive: YYYY-MM-DD, or Nd for N days before today (UTC)', valueHint: 'date' },
  strict: { type: 'boolean', description: 'Fail (exit 1) when any usage row is rejected' },
  'skip-unreadable': { type: 'boolean', description: 'Leave out a usage file that cannot be read whole (corrupt or truncated gzip) with a warning, instead of failing (exit 3)' },
} satisfies ArgsDef;

const DAY = 86_400_000;

/** `--from`/`--to` as an inclusive start and exclusive end timestamp (ISO, UTC). */
export function parseRange(args: { from?: string; to?: string }, now = new Date()): { from?: string; to?: string } {
  const day = (value: string, flag: string): Date => {
    const relative = /^(\d+)d$/.exec(value);
    if (relative) return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - Number(relative[1]) * DAY);
    const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw usageError(`promptops: --${flag} "${value}" is not a date (YYYY-MM-DD or Nd)`);
    return d;
  };
  const from = args.from ? day(args.from, 'from') : undefined;
  const to = args.to ? new Date(day(args.to, 'to').getTime() + DAY) : undefined;
  if (from && to && from >= to) throw usageError(`promptops: --from ${args.from} is after --to ${args.to}`);
  return { from: from?.toISOString(), to: to?.toISOString() };
}

export function loadSpendRepo(io: Io, rootArg: string | undefined): Repository {
  const root = resolveRoot(io, rootArg);
  const { value: repo, diagnostics } = loadRepository({ root });
  // Budgets get the checks of `validate` too: a budget that validate rejects (say an alert at 80,
  // meant as 80 %) must not be reported on track.
  if (repo) {
    const ctx = { repo, today: todayUtc(), diagnostics };
    for (const budget of repo.budgets.values()) if (budget.valid) checkBudget(ctx, budget);
  }
  // Spend needs the config, the catalog and the budget/feature files; other files may be broken.
  const blocking = diagnostics.filter((d) => d.severity === 'error' && (d.file === 'promptops.config.yaml' || d.file === 'features/_models.yaml' || d.file?.startsWith('budgets/')));
  if (hasErrors(blocking) || !repo) {
    printDiagnostics(io, root, blocking, 'human');
    throw new ExitError(EXIT.failed, `${summary(io, blocking)}: fix the configuration before reading spend`);
  }
  return repo;
}

/** Opens the usage logs; maps missing files to exit 2 and DuckDB failures to exit 3. */
export async function openUsage(io: Io, options: OpenSpendOptions & { strict?: boolean; quiet?: boolean }): Promise<SpendSession> {
  let session: SpendSession;
  try {
    session = await openSpend(options);
  } catch (error) {
    if (error instanceof NoUsageFilesError) throw usageError(`promptops: ${error.message}`);
    if (error instanceof DbError) throw new ExitError(EXIT.infra, `promptops: reading usage logs failed: ${error.message.split('\n')[0]}`);
    throw error;
  }
  if (!options.quiet) printUsageStats(io, session);
  if (options.strict && session.stats.rejectedRows > 0) {
    session.close();
    throw new ExitError(EXIT.failed, `promptops: ${session.stats.rejectedRows} usage rows rejected (--strict)`);
  }
  return session;
}

const n = (v: number) => v.toLocaleString('en-US');

/** Rejected rows printed per file; the rest are counted, and `spend report --json` lists them all. */
const SHOWN_PER_FILE = 20;

/** Rows read, duplicates, rejected rows with their location, unpriced models: on stderr. */
export function printUsageStats(io: Io, session: SpendSession): void {
  const c = colors(io);
  const { stats } = session;
  const parts = [plural(session.files.length, 'file'), plural(stats.rows, 'row'), plural(stats.calls, 'call')];
  if (stats.duplicates) parts.push(`${plural(stats.duplicates, 'duplicate request_id row')} counted once`);
  if (stats.rejectedRows) parts.push(c.yellow(`${plural(stats.rejectedRows, 'row')} rejected`));
  io.err(c.dim(`usage: ${parts.join(' · ')}`));
  for (const pattern of session.unmatched) io.err(c.yellow(`warning: no usage log file matches "${pattern}"`));
  printUnreadable(io, session.unreadable);
  if (stats.rejectedRows) {
    const shown = new Map<string, number>();
    for (const r of session.rejectedRows) {
      const count = (shown.get(r.file) ?? 0) + 1;
      shown.set(r.file, count);
      if (count <= SHOWN_PER_FILE) io.err(formatRejected(r, c.yellow));
    }
    const perFile = new Map<string, number>();
    for (const g of stats.rejected) {
      const display = session.files.find((f) => f.path === g.file)?.display ?? g.file;
      perFile.set(display, (perFile.get(display) ?? 0) + g.rows);
    }
    for (const [display, rows] of perFile) {
      const listed = Math.min(shown.get(display) ?? 0, SHOWN_PER_FILE);
      if (rows > listed) io.err(c.yellow(`  … and ${n(rows - listed)} more rejected row${rows - listed === 1 ? '' : 's'} in ${display}: \`promptops spend report --json\` lists every one (usage.rejected_locations)`));
    }
    for (const g of stats.rejected) {
      const display = session.files.find((f) => f.path === g.file)?.display ?? g.file;
      io.err(c.dim(`  ${display}: ${n(g.rows)} × ${describeError(g.code)}`));
    }
    if (session.lineByLine.length) {
      io.err(c.dim(`  read line by line (a line is not a JSON object, or may be too long): ${session.lineByLine.map((p) => session.files.find((f) => f.path === p)?.display ?? p).join(', ')}`));
    }
    io.err(c.dim('  rejected rows are not counted; fix them at the source or re-export (see docs/files/usage-log.md)'));
  }
  if (stats.unpricedCalls) {
    io.err(
      c.yellow(`warning: ${plural(stats.unpricedCalls, 'call')} of ${stats.unpricedModels.join(', ')} ${stats.unpricedCalls === 1 ? 'has' : 'have'} no catalog price on the call date and no cost_usd, so that cost is not counted. Add the model or an earlier price period to features/_models.yaml.`),
    );
  }
  if (stats.legacyCalls) io.err(c.dim(`note: ${plural(stats.legacyCalls, 'call')} ${stats.legacyCalls === 1 ? 'reports' : 'report'} only tokens_used, priced at the input rate`));
}

export const formatRejected = (r: RejectedRow, color: (s: string) => string = (s) => s): string =>
  `${r.file}${r.line !== undefined ? `:${r.line}` : r.row !== undefined ? ` (row ${r.row})` : ''}: ${color('rejected')} ${r.message}`;

/** Files left out by `--skip-unreadable`, on stderr. */
export function printUnreadable(io: Io, unreadable: readonly UnreadableFile[]): void {
  for (const u of unreadable) io.err(colors(io).yellow(`warning: ${u.display} not read (--skip-unreadable): ${u.reason}; its calls are not counted`));
}

/** Files left out by `--skip-unreadable`, for JSON outputs. */
export const unreadableJson = (unreadable: readonly UnreadableFile[]) => unreadable.map((u) => ({ file: u.display, reason: u.reason }));

/**
 * What a verdict read and what it did not see, for --json outputs of gates (budgets): a pattern that
 * matched no file, rejected rows and calls without a price are spend that no status includes.
 */
export const evidenceJson = (session: SpendSession) => ({
  files: session.files.map((f) => f.display),
  rows: session.stats.rows,
  calls: session.stats.calls,
  duplicates: session.stats.duplicates,
  rejected_rows: session.stats.rejectedRows,
  unpriced_calls: session.stats.unpricedCalls,
  unmatched_patterns: session.unmatched,
  unreadable_files: unreadableJson(session.unreadable),
});

/** Comma-separated list flag; commas inside glob braces (`usage/*.{jsonl,csv}`) do not split. */
export const listArg = (value: string | undefined): string[] | undefined =>
  value
    ?.split(/,(?![^{]*\})/)
    .map((s) => s.trim())
    .filter(Boolean);
