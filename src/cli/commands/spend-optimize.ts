import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { formatUsd } from '../../core/money.js';
import { evalEvidence, recommend, type Recommendation } from '../../spend/optimize.js';
import { usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { listArg, loadSpendRepo, openUsage, parseRange, spendArgs, unreadableJson } from '../spend-shared.js';
import { textTable } from '../table.js';

const DAY = 86_400_000;

export default defineCommand({
  args: {
    ...spendArgs,
    'eval-results': { type: 'string', description: 'Eval results files (promptops eval --output), comma-separated (default: .promptops/eval/results.json when present)', valueHint: 'files' },
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const repo = loadSpendRepo(io, args.root);
    const range = parseRange(args);
    const session = await openUsage(io, { repo, paths: listArg(args.usage), keys: ['feature', 'environment', 'prompt_id'], ...range, strict: args.strict, skipUnreadable: args['skip-unreadable'], quiet: args.json });
    try {
      const last = session.stats.lastCall;
      if (!last) {
        io.out(args.json ? JSON.stringify({ version: 1, window: null, recommendations: [], unreadable_files: unreadableJson(session.unreadable) }, null, 2) : 'no calls in the usage logs: nothing to recommend');
        return;
      }
      // Default window: the last 30 days of the logs.
      const to = range.to ? new Date(Date.parse(range.to) - DAY) : last;
      const from = range.from ? new Date(range.from) : new Date(Math.max(to.getTime() - 29 * DAY, Date.parse(session.stats.firstDay ?? to.toISOString())));
      const window = { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
      const evidence = evalEvidence(readResults(repo.root, io, listArg(args['eval-results'])));
      const recs = await recommend(session.db, { repo, window, evidence });
      if (args.json) {
        io.out(JSON.stringify({ version: 1, window, recommendations: recs, unreadable_files: unreadableJson(session.unreadable) }, null, 2));
        return;
      }
      print(io, recs, window);
    } finally {
      session.close();
    }
  },
});

function readResults(root: string, io: Io, files: string[] | undefined): Array<{ prompt: string; test: string; model?: string; status: string }> {
  const paths = files ?? ['.promptops/eval/results.json'];
  const out = [];
  for (const file of paths) {
    const path = resolve(root, file);
    if (!existsSync(path)) {
      if (files) throw usageError(`promptops spend optimize: eval results file "${file}" not found`);
      continue;
    }
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { kind?: string; results?: unknown[] };
      if (parsed.kind !== 'promptops/eval-results' || !Array.isArray(parsed.results)) throw new Error('not a promptops eval results file');
      out.push(...(parsed.results as Array<{ prompt: string; test: string; model?: string; status: string }>));
    } catch (error) {
      throw usageError(`promptops spend optimize: cannot read eval results "${file}": ${(error as Error).message}`);
    }
  }
  if (out.length) io.err(colors(io).dim(`eval evidence: ${out.length} test results from ${paths.filter((p) => existsSync(resolve(root, p))).join(', ')}`));
  return out;
}

const KIND: Record<Recommendation['kind'], string> = { 'cheaper-model': 'cheaper model', 'prompt-caching': 'prompt caching', errors: 'failed calls' };

function print(io: Io, recs: readonly Recommendation[], window: { from: string; to: string }): void {
  const c = colors(io);
  io.out(c.dim(`usage ${window.from} … ${window.to}; savings measured on these calls, "/mo" scaled to 30 days`));
  if (recs.length === 0) {
    io.out('no recommendations: no cheaper model qualifies, no long static prefixes, no spend on failed calls');
    return;
  }
  io.out(
    textTable(
      ['saving/mo', 'kind', 'target', 'recommendation', 'evidence'],
      recs.map((r) => [formatUsd(r.monthly_saving_usd), KIND[r.kind], r.target, r.summary, r.evidence]),
      c.bold,
      0,
    ),
  );
  io.out('');
  for (const r of recs) {
    io.out(`${c.bold(`${KIND[r.kind]} · ${r.target}`)}: ${r.detail}`);
    if (r.verify) io.out(c.dim(`  verify: ${r.verify}`));
  }
}
