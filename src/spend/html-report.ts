import type { Repository } from '../core/repository.js';
import { budgetStatuses, type BudgetStatus } from './budgets.js';
import type { HtmlBudget, HtmlReportData } from './html-data.js';
import { renderHtmlReport } from './html.js';
import { spendReport, type SpendReport } from './report.js';
import type { SpendSession } from './session.js';
import { formatUsd } from '../core/money.js';
import { plural } from '../core/plural.js';

const DAY = 86_400_000;

/** Gathers the charts' data from the scanned aggregate and renders the self-contained page. */
export async function buildHtmlReport(options: { session: SpendSession; repo: Repository; report: SpendReport; range: { from?: string; to?: string }; fromDay?: string }): Promise<string> {
  const { session, report, fromDay } = options;
  const [daily, byFeature, byModel] = await Promise.all([
    spendReport(session.db, { by: ['day', 'feature'], fromDay }),
    spendReport(session.db, { by: ['feature'], fromDay }),
    spendReport(session.db, { by: ['model'], fromDay }),
  ]);
  const days = daily.rows.map((r) => String(r.group.day));
  const first = days[0] ?? options.range.from?.slice(0, 10) ?? '';
  const last = days[days.length - 1] ?? (options.range.to ? new Date(Date.parse(options.range.to) - DAY).toISOString().slice(0, 10) : '');
  const lastCall = session.stats.lastCall;
  const asOf = options.range.to ? new Date(options.range.to) : lastCall ? new Date(lastCall.getTime() + 1) : new Date();
  const budgets = await budgetStatuses(session.db, { budgets: [...options.repo.budgets.values()].filter((b) => b.valid), asOf });

  const stats = session.stats;
  const notes: string[] = [];
  if (stats.duplicates) notes.push(`${stats.duplicates.toLocaleString('en-US')} duplicate request_id rows were counted once.`);
  if (stats.rejectedRows) notes.push(`${plural(stats.rejectedRows, 'row')} ${stats.rejectedRows === 1 ? 'was' : 'were'} rejected and ${stats.rejectedRows === 1 ? 'is' : 'are'} not counted (run \`promptops spend report\` to see where).`);
  if (stats.unpricedCalls) notes.push(`${plural(stats.unpricedCalls, 'call')} of ${stats.unpricedModels.join(', ')} ${stats.unpricedCalls === 1 ? 'has' : 'have'} no price: ${stats.unpricedCalls === 1 ? 'its' : 'their'} cost is missing.`);

  const data: HtmlReportData = {
    title: 'LLM spend',
    generatedAt: new Date().toISOString(),
    range: { from: first, to: last },
    totals: {
      calls: report.total.calls,
      failedCalls: report.total.failedCalls,
      inputTokens: report.total.inputTokens,
      outputTokens: report.total.outputTokens,
      costUsd: report.total.costUsd,
      unpricedCalls: report.total.unpricedCalls,
    },
    daily: daily.rows.map((r) => ({ day: String(r.group.day), feature: String(r.group.feature ?? '(none)'), costUsd: r.costUsd, calls: r.calls })),
    byFeature: byFeature.rows.map((r) => ({ feature: String(r.group.feature ?? '(none)'), costUsd: r.costUsd, calls: r.calls })),
    byModel: byModel.rows.map((r) => ({ model: String(r.group.model), costUsd: r.costUsd, calls: r.calls })),
    table: {
      columns: [...report.columns, 'calls', 'cost'],
      rows: report.rows.map((r) => [...report.columns.map((c) => (r.group[c] === null ? '(none)' : String(r.group[c]))), r.calls.toLocaleString('en-US'), `${r.unpricedCalls ? '≥' : ''}${formatUsd(r.costUsd)}`]),
    },
    budgets: budgets.map(toHtmlBudget),
    notes,
  };
  return renderHtmlReport(data);
}

function toHtmlBudget(s: BudgetStatus): HtmlBudget {
  const actual: HtmlBudget['actual'] = [];
  let running = 0;
  for (const d of s.daily) {
    running += d.cost;
    actual.push({ day: d.day, cumulative: running });
  }
  const projection: HtmlBudget['projection'] = [];
  const lastDay = actual.length ? actual[actual.length - 1]!.day : s.start;
  const endDay = new Date(Date.parse(`${s.end}T00:00:00Z`) - DAY);
  for (let t = Date.parse(`${lastDay}T00:00:00Z`); t <= endDay.getTime(); t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    const ahead = (t - Date.parse(`${lastDay}T00:00:00Z`)) / DAY;
    projection.push({ day, cumulative: running + s.burnRate * ahead });
  }
  return {
    name: s.name,
    displayName: s.displayName,
    period: s.period,
    start: s.start,
    end: s.end,
    amount: s.amount,
    spend: s.spend,
    projected: s.projected,
    status: s.status,
    alerts: s.alerts,
    actual,
    projection,
  };
}
