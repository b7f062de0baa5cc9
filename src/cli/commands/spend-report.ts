import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { positiveInt } from '../_shared.js';
import { DIMENSIONS, keysFor, spendReport, type Dimension, type SpendReport, type SpendRow } from '../../spend/report.js';
import type { RejectedRow } from '../../spend/locate.js';
import type { ScanStats } from '../../spend/scan.js';
import type { UsageFile } from '../../spend/sources.js';
import { csvTable, markdownTable, textTable } from '../table.js';
import { listArg, loadSpendRepo, openUsage, parseRange, spendArgs, unreadableJson } from '../spend-shared.js';
import type { UnreadableFile } from '../../spend/file-check.js';
import { usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { formatUsd } from '../../core/money.js';

const FORMATS = ['table', 'markdown', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

export default defineCommand({
  args: {
    ...spendArgs,
    by: { type: 'string', description: `Group by, comma-separated: ${DIMENSIONS.join(', ')} (default: feature)`, valueHint: 'dims' },
    format: { type: 'enum', options: [...FORMATS], description: 'Output format (default: table)' },
    json: { type: 'boolean', description: 'Same as --format json' },
    out: { type: 'string', description: 'Write the report to this file instead of stdout', valueHint: 'file' },
    limit: { type: 'string', description: 'Show at most N groups (the total still counts all)', valueHint: 'n' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const by = (listArg(args.by) ?? ['feature']) as Dimension[];
    const unknown = by.filter((d) => !DIMENSIONS.includes(d));
    if (unknown.length) throw usageError(`promptops spend report: unknown --by ${unknown.map((d) => `"${d}"`).join(', ')} (known: ${DIMENSIONS.join(', ')})`);
    const format: Format = args.json ? 'json' : ((args.format as Format | undefined) ?? 'table');
    const limit = positiveInt('spend report', '--limit', args.limit);
    const range = parseRange(args);
    const repo = loadSpendRepo(io, args.root);

    const html = format === 'html';
    const keys = keysFor(html ? [...by, 'feature', 'team', 'environment'] : by);
    // The HTML report's budget charts need their whole period, so its scan starts at the first call; --from only trims the report.
    const fromDay = html ? range.from?.slice(0, 10) : undefined;
    const session = await openUsage(io, { repo, paths: listArg(args.usage), keys, from: html ? undefined : range.from, to: range.to, strict: args.strict, skipUnreadable: args['skip-unreadable'], locateLimit: format === 'json' ? Infinity : undefined });
    try {
      const report = await spendReport(session.db, { by, limit, fromDay });
      let text: string;
      if (html) {
        const { buildHtmlReport } = await import('../../spend/html-report.js');
        text = await buildHtmlReport({ session, repo, report, range, fromDay });
      } else {
        text = formatReport(report, format, { c: colors(io), stats: session.stats, files: session.files, range, located: session.rejectedRows, unreadable: session.unreadable, unmatched: session.unmatched });
      }
      if (args.out) {
        const path = resolve(io.cwd, args.out);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        io.err(`wrote ${args.out}`);
      } else {
        io.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    } finally {
      session.close();
    }
  },
});

const num = (n: number) => n.toLocaleString('en-US');

function cells(row: SpendRow, columns: readonly string[], total: number): string[] {
  return [
    ...columns.map((c) => (row.group[c] === null ? '(none)' : String(row.group[c]))),
    num(row.calls),
    row.failedCalls ? num(row.failedCalls) : '0',
    num(row.inputTokens),
    num(row.outputTokens),
    `${row.unpricedCalls ? '≥' : ''}${formatUsd(row.costUsd)}`,
    total > 0 ? `${((row.costUsd / total) * 100).toFixed(1)}%` : '-',
  ];
}

const HEAD = ['calls', 'failed', 'input tokens', 'output tokens', 'cost', 'share'];

function usageJson(s: ScanStats, files: readonly UsageFile[], located: readonly RejectedRow[], unreadable: readonly UnreadableFile[], unmatched: readonly string[]) {
  const display = (path: string) => files.find((f) => f.path === path)?.display ?? path;
  return {
    files: files.map((f) => f.display),
    rows: s.rows,
    calls: s.calls,
    duplicates: s.duplicates,
    rejected_rows: s.rejectedRows,
    rejected: s.rejected.map((r) => ({ file: display(r.file), reason: r.code, rows: r.rows })),
    // Every rejected row: --json locates them all (the human output lists the first ones).
    rejected_locations: located.map((r) => ({ file: r.file, ...(r.line !== undefined ? { line: r.line } : { row: r.row }), reason: r.code, message: r.message })),
    unpriced_calls: s.unpricedCalls,
    unpriced_models: s.unpricedModels,
    legacy_token_calls: s.legacyCalls,
    // Files --skip-unreadable left out: their calls are in no total above.
    unreadable_files: unreadableJson(unreadable),
    // Patterns that matched no file (others did): what they meant to read is in no total either.
    unmatched_patterns: unmatched,
  };
}

function formatReport(report: SpendReport, format: Exclude<Format, 'html'>, ctx: { c: ReturnType<typeof colors>; stats: ScanStats; files: readonly UsageFile[]; range: { from?: string; to?: string }; located: readonly RejectedRow[]; unreadable: readonly UnreadableFile[]; unmatched: readonly string[] }): string {
  const total = report.total.costUsd;
  const columns = report.columns.length ? report.columns : ['total'];
  if (format === 'json') {
    return JSON.stringify(
      {
        version: 1,
        range: ctx.range,
        by: report.columns,
        rows: report.rows.map((r) => ({ ...r.group, ...measures(r) })),
        total: measures(report.total),
        usage: usageJson(ctx.stats as ScanStats, ctx.files, ctx.located, ctx.unreadable, ctx.unmatched),
      },
      null,
      2,
    );
  }
  if (format === 'csv') {
    const head = [...report.columns, 'calls', 'failed_calls', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'reasoning_tokens', 'cost_usd', 'unpriced_calls'];
    return csvTable(
      head,
      report.rows.map((r) => [...report.columns.map((c) => r.group[c] ?? null), r.calls, r.failedCalls, r.inputTokens, r.outputTokens, r.cachedInputTokens, r.reasoningTokens, round6(r.costUsd), r.unpricedCalls]),
    );
  }
  const rows = report.rows.map((r) => cells(r, report.columns, total));
  const totalRow = cells({ ...report.total, group: {} }, [], total);
  const body = report.columns.length ? [...rows, [...report.columns.map((_, i) => (i === 0 ? 'total' : '')), ...totalRow]] : [['total', ...totalRow]];
  const head = [...columns, ...HEAD];
  return format === 'markdown' ? markdownTable(head, body, columns.length) : textTable(head, body, ctx.c.bold, columns.length);
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function measures(r: SpendRow) {
  return {
    calls: r.calls,
    failed_calls: r.failedCalls,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cached_input_tokens: r.cachedInputTokens,
    reasoning_tokens: r.reasoningTokens,
    cost_usd: round6(r.costUsd),
    reported_cost_calls: r.reportedCalls,
    unpriced_calls: r.unpricedCalls,
    avg_latency_ms: r.avgLatencyMs === null ? null : Math.round(r.avgLatencyMs),
  };
}
