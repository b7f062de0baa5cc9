import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { atLeast, BUDGET_STATUSES, budgetStatuses, windowJson, type BudgetSeverity, type BudgetStatus } from '../../spend/budgets.js';
import { notifyBudgets, readAlertState, writeAlertState, type Delivery } from '../../spend/notify.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Colors, type Io } from '../io.js';
import { formatUsd } from '../../core/money.js';
import { evidenceJson, listArg, loadSpendRepo, openUsage, spendArgs, unreadableJson } from '../spend-shared.js';
import { textTable } from '../table.js';

const FAIL_ON = [...BUDGET_STATUSES.filter((s) => s !== 'on_track'), 'never'] as const;

export default defineCommand({
  args: {
    root: spendArgs.root,
    usage: spendArgs.usage,
    strict: spendArgs.strict,
    'skip-unreadable': spendArgs['skip-unreadable'],
    budget: { type: 'string', description: 'Only these budgets, comma-separated', valueHint: 'names' },
    'as-of': { type: 'string', description: 'Evaluate at this time: YYYY-MM-DD (end of that day) or an ISO date-time (default: the latest call in the logs, or now if earlier)', valueHint: 'time' },
    'fail-on': { type: 'enum', options: [...FAIL_ON], description: 'Exit 1 when a budget is at least this severe (default: over_budget)' },
    notify: { type: 'boolean', description: 'Send the alerts that crossed a threshold (once per period and threshold)' },
    state: { type: 'string', description: 'Alert state file (default: .promptops/state/budget-alerts.json)', valueHint: 'file' },
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const repo = loadSpendRepo(io, args.root);
    const wanted = listArg(args.budget);
    const unknown = wanted?.filter((n) => !repo.budgets.has(n)) ?? [];
    if (unknown.length) throw usageError(`promptops spend budgets: unknown budget ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...repo.budgets.keys()].join(', ') || 'none'})`);
    const budgets = [...repo.budgets.values()].filter((b) => b.valid && (!wanted || wanted.includes(b.id)));
    const failOn = (args['fail-on'] as BudgetSeverity | 'never' | undefined) ?? 'over_budget';
    const explicitAsOf = args['as-of'] ? parseAsOf(args['as-of']) : undefined;

    const session = await openUsage(io, { repo, paths: listArg(args.usage), keys: ['feature', 'environment', 'team'], to: explicitAsOf?.toISOString(), strict: args.strict, skipUnreadable: args['skip-unreadable'], quiet: args.json });
    try {
      const now = new Date();
      const last = session.stats.lastCall;
      const asOf = explicitAsOf ?? (last && last < now ? new Date(last.getTime() + 1) : now);
      const statuses = await budgetStatuses(session.db, { budgets, asOf });

      const statePath = resolve(repo.root, args.state ?? '.promptops/state/budget-alerts.json');
      const state = readAlertState(statePath);
      const deliveries = await notifyBudgets({ statuses, state, env: io.env, send: Boolean(args.notify) });
      if (args.notify) writeAlertState(statePath, state);

      if (args.json) {
        io.out(JSON.stringify({ version: 1, as_of: asOf.toISOString(), budgets: statuses.map(toJson), notifications: deliveries, unreadable_files: unreadableJson(session.unreadable), usage: evidenceJson(session) }, null, 2));
      } else {
        printStatuses(io, statuses, asOf, explicitAsOf === undefined && asOf !== now);
        printDeliveries(io, deliveries);
      }
      const failing = failOn === 'never' ? [] : statuses.filter((s) => atLeast(s.status, failOn));
      const failedSends = deliveries.filter((d) => d.outcome === 'failed');
      // Like eval: an infrastructure failure (3) outranks a failed check (1).
      if (failedSends.length) throw new ExitError(EXIT.infra, args.json ? '' : `${failedSends.length} notification${failedSends.length === 1 ? '' : 's'} failed; they will be retried on the next run`);
      if (failing.length) throw new ExitError(EXIT.failed, args.json ? '' : `${failing.length} budget${failing.length === 1 ? '' : 's'} at or above ${failOn}: ${failing.map((s) => s.name).join(', ')}`);
    } finally {
      session.close();
    }
  },
});

function parseAsOf(value: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(value)) return new Date(d.getTime() + 86_400_000);
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(value);
  }
  throw usageError(`promptops spend budgets: --as-of "${value}" is not a date (YYYY-MM-DD) or an ISO date-time`);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function statusLabel(c: Colors, s: BudgetStatus['status']): string {
  const text = s.replace('_', ' ');
  return s === 'over_budget' || s === 'critical' ? c.red(text) : s === 'warning' ? c.yellow(text) : s === 'inactive' ? c.dim(text) : c.green(text);
}

function printStatuses(io: Io, statuses: readonly BudgetStatus[], asOf: Date, fromLogs: boolean): void {
  const c = colors(io);
  if (statuses.length === 0) {
    io.out('no budgets (add files under budgets/)');
    return;
  }
  io.out(c.dim(`as of ${asOf.toISOString().slice(0, 16).replace('T', ' ')} UTC${fromLogs ? ' (latest call in the logs)' : ''}`));
  const rows = statuses.map((s) => [
    s.name,
    // First and last day, both inclusive: the window's first_day and last_day in --json.
    `${s.period} ${s.start}…${s.lastDay}`,
    formatUsd(s.spend),
    formatUsd(s.amount),
    pct(s.used),
    `${formatUsd(s.burnRate)}/d`,
    formatUsd(s.projected),
    s.exhaustion ?? '-',
    statusLabel(c, s.status),
  ]);
  io.out(textTable(['budget', 'window', 'spend', 'amount', 'used', 'burn', 'projected', 'exhausted', 'status'], rows, c.bold));
}

function printDeliveries(io: Io, deliveries: readonly Delivery[]): void {
  const c = colors(io);
  for (const d of deliveries) {
    const what = `${d.budget} ${Math.round(d.alert.at * 100)}% ${d.alert.severity} → ${d.channel}`;
    if (d.outcome === 'pending') io.out(c.dim(`alert ${what}: not sent (run with --notify)`));
    else if (d.outcome === 'sent') io.out(`alert ${what}: sent (${d.detail})`);
    else if (d.outcome === 'skipped') io.out(c.yellow(`alert ${what}: skipped, ${d.detail}`));
    else if (d.outcome === 'failed') io.err(c.red(`alert ${what}: failed, ${d.detail}`));
  }
}

function toJson(s: BudgetStatus) {
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return {
    name: s.name,
    file: s.file,
    period: s.period,
    window: windowJson(s),
    amount_usd: s.amount,
    spend_usd: round(s.spend),
    used: round(s.used),
    burn_rate_usd_per_day: round(s.burnRate),
    projected_usd: round(s.projected),
    exhaustion: s.exhaustion,
    status: s.status,
    enforce: s.enforce,
    crossed: s.crossed,
  };
}
