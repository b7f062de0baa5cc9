import { defineCommand } from 'citty';
import { DbError } from '../../spend/duckdb.js';
import { experimentData, type ExperimentData } from '../../spend/experiment.js';
import { analyzeExperiment, type ExperimentAnalysis, type Interval } from '../../spend/experiment-stats.js';
import { NoUsageFilesError, prepareUsage, readWhole } from '../../spend/session.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { listArg, loadSpendRepo, parseRange, printUnreadable, spendArgs, unreadableJson } from '../spend-shared.js';
import { textTable } from '../table.js';
import { plural } from '../../core/plural.js';

export default defineCommand({
  args: {
    name: { type: 'positional', description: 'Experiment name (file name under experiments/)', required: true },
    root: spendArgs.root,
    usage: spendArgs.usage,
    from: spendArgs.from,
    to: spendArgs.to,
    'skip-unreadable': spendArgs['skip-unreadable'],
    alpha: { type: 'string', description: 'Significance level (default 0.05)', valueHint: 'p' },
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const repo = loadSpendRepo(io, args.root);
    const entity = repo.experiments.get(args.name);
    if (!entity) throw usageError(`promptops experiment report: unknown experiment "${args.name}" (known: ${[...repo.experiments.keys()].join(', ') || 'none'})`);
    if (!entity.valid) throw new ExitError(EXIT.failed, `promptops experiment report: ${entity.file} is invalid; run promptops validate`);
    const alpha = args.alpha === undefined ? 0.05 : Number(args.alpha);
    if (!(alpha > 0 && alpha < 1)) throw usageError('promptops experiment report: --alpha must be between 0 and 1');
    const exp = entity.data;
    // Default window: the experiment's own dates.
    const range = parseRange({ from: args.from ?? exp.starts, to: args.to ?? exp.ends });

    let source;
    try {
      source = await prepareUsage({ repo, paths: listArg(args.usage), skipUnreadable: args['skip-unreadable'] });
    } catch (error) {
      if (error instanceof NoUsageFilesError) throw usageError(`promptops: ${error.message}`);
      if (error instanceof DbError) throw new ExitError(EXIT.infra, `promptops: reading usage logs failed: ${error.message.split('\n')[0]}`);
      throw error;
    }
    let found: ExperimentData;
    try {
      const { db, columns } = source;
      found = await readWhole(source, (files) => experimentData(db, { files, columns, experiment: exp, ...range }));
    } catch (error) {
      if (error instanceof DbError) throw new ExitError(EXIT.infra, `promptops: reading usage logs failed: ${error.message.split('\n')[0]}`);
      throw error;
    } finally {
      source.db.close();
    }
    const analysis = analyzeExperiment({
      variants: found.variants,
      metrics: (exp.metrics ?? []).map((m) => ({ name: m.name, kind: m.kind, goal: m.goal ?? 'higher' })),
      alpha,
    });
    if (args.json) {
      io.out(JSON.stringify({ version: 1, experiment: exp.name, status: exp.status, feature: exp.feature, data: found, analysis, unreadable_files: unreadableJson(source.unreadable) }, null, 2));
      return;
    }
    printUnreadable(io, source.unreadable);
    print(io, exp.name, exp.status, found, analysis);
  },
});

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));
/** A difference of two rates, in percentage points. */
const points = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`);
const p = (x: number | null) => (x === null ? '-' : x < 0.0001 ? '<0.0001' : x.toFixed(4));

function print(io: Io, name: string, status: string, found: ExperimentData, a: ExperimentAnalysis): void {
  const c = colors(io);
  // The control is named in each metric table (`vs <control>`); naming it here as well printed "control control".
  io.out(c.bold(`experiment ${name}`) + c.dim(` (${status}) · ${plural(found.calls, 'call')} ${found.first_day ?? ''}…${found.last_day ?? ''}`));
  io.out(
    textTable(
      ['variant', 'units', 'share', 'expected'],
      a.variants.map((v) => [v.name, v.units.toLocaleString('en-US'), pct(v.share), pct(v.expected_share)]),
      c.bold,
    ),
  );
  if (a.srm.p_value === null) io.out(c.dim('sample ratio: not computed (no units)'));
  else {
    const srm = `χ² ${a.srm.statistic!.toFixed(2)}, df ${a.srm.df}, p ${p(a.srm.p_value)}`;
    io.out(a.srm.mismatch ? c.red(`sample ratio mismatch: ${srm}: the split is broken, do not trust the metrics`) : c.dim(`sample ratio: ok (${srm})`));
  }
  for (const metric of a.metrics) {
    io.out('');
    const rate = metric.kind === 'binomial';
    const fmt = (x: number | null) => (rate ? pct(x, 2) : num(x));
    const ci = (i: Interval | null) => (i ? `[${fmt(i.lower)}, ${fmt(i.upper)}]` : '-');
    io.out(c.bold(`${metric.name}`) + c.dim(` (${metric.kind}, ${metric.goal} is better)`));
    io.out(
      textTable(
        ['variant', 'n', rate ? 'rate' : 'mean', `${Math.round((1 - a.alpha) * 100)}% CI`, `vs ${a.control}`, 'lift', 'p-value', ''],
        metric.variants.map((v) => {
          const d = v.vs_control;
          const verdict = d ? (d.significant ? (d.better ? c.green('better') : c.red('worse')) : c.dim('not significant')) : '';
          return [v.variant, v.n.toLocaleString('en-US'), fmt(v.estimate), ci(v.ci), d ? (rate ? points(d.difference) : num(d.difference)) : '', d ? pct(d.relative_difference) : '', d ? p(d.p_value) : '', verdict];
        }),
        c.bold,
      ),
    );
    io.out(metric.winner ? c.green(`winner: ${metric.winner}`) : c.dim('no winner at this significance level'));
  }
  for (const v of found.unknown_variants) io.out(c.yellow(`note: ${v.units} units logged under variant "${v.name}", which ${name} does not declare`));
  if (found.crossovers) io.out(c.yellow(`note: ${found.crossovers} units appear in more than one variant and are left out`));
  if (found.duplicates) io.out(c.dim(`note: ${found.duplicates} duplicate request_id rows counted once`));
  for (const note of a.notes) io.out(c.yellow(`note: ${note}`));
}
