import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatUsd } from '../core/money.js';
import type { HtmlBudget, HtmlReportData } from './html-data.js';

/**
 * A single self-contained HTML page: Chart.js, the chart data and the styles are inlined, so the
 * file can be mailed or archived and opened offline. Text is escaped here; chart labels reach the
 * page only as JSON and are drawn on canvases, never parsed as markup.
 *
 * Chart canvases: `chart-daily`, `chart-features`, and one `chart-budget-<name>` per budget
 * (budgets have different periods, so their windows share no x-axis).
 */
export function renderHtmlReport(data: HtmlReportData): string {
  const charts = chartSpecs(data);
  const title = esc(data.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="meta">${esc(data.range.from)} – ${esc(data.range.to)} · generated ${esc(timestamp(data.generatedAt))}</p>
${kpis(data)}
</header>
<main>
${section('Spend per day', data.daily.length ? canvas('chart-daily', 'Spend per day and feature', 'wide') : empty('No calls in this range.'))}
<div class="grid">
${section('Spend by feature', data.byFeature.length ? canvas('chart-features', 'Spend by feature', featureHeight(data.byFeature.length)) : empty('No calls in this range.'))}
${section('Spend by model', modelTable(data))}
</div>
${section('Budgets', budgetsSection(data.budgets))}
${section('Report', reportTable(data.table))}
${data.notes.length ? section('Notes', `<ul class="notes">${data.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`) : ''}
</main>
<footer>promptops spend report</footer>
<script type="application/json" id="chart-data">${jsonForScript(charts)}</script>
<script>${chartJs()}</script>
<script>${clientScript()}</script>
</body>
</html>
`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (n: number) => n.toLocaleString('en-US');
const pct = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '–');
const timestamp = (iso: string) => iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC');

const section = (heading: string, body: string) => `<section><h2>${esc(heading)}</h2>${body}</section>`;
const empty = (text: string) => `<p class="empty">${esc(text)}</p>`;
const canvas = (id: string, label: string, size: 'wide' | number) =>
  `<div class="chart" style="height:${size === 'wide' ? 320 : size}px"><canvas id="${esc(id)}" role="img" aria-label="${esc(label)}"></canvas></div>`;
// One bar row per feature needs about 28px to stay legible.
const featureHeight = (features: number) => Math.max(200, Math.min(features, FEATURE_BARS) * 28 + 60);

function table(head: string[], rows: string[][], numeric: (col: number) => boolean): string {
  const cls = (i: number) => (numeric(i) ? ' class="num"' : '');
  return `<div class="scroll"><table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function kpis({ totals: t }: HtmlReportData): string {
  const tiles: Array<[string, string, string?]> = [
    ['Total spend', formatUsd(t.costUsd), t.unpricedCalls ? 'excludes unpriced calls' : undefined],
    ['Calls', num(t.calls)],
    ['Failed calls', num(t.failedCalls), t.calls ? pct(t.failedCalls, t.calls) : undefined],
    ['Tokens', num(t.inputTokens + t.outputTokens), `${num(t.inputTokens)} in · ${num(t.outputTokens)} out`],
    ['Unpriced calls', num(t.unpricedCalls)],
  ];
  return `<div class="kpis">${tiles
    .map(([label, value, sub]) => `<div class="kpi"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>${sub ? `<div class="sub">${esc(sub)}</div>` : ''}</div>`)
    .join('')}</div>`;
}

function modelTable({ byModel, totals }: HtmlReportData): string {
  if (!byModel.length) return empty('No calls in this range.');
  const rows = byModel.map((m) => [esc(m.model), num(m.calls), esc(formatUsd(m.costUsd)), pct(m.costUsd, totals.costUsd)]);
  return table(['model', 'calls', 'cost', 'share'], rows, (i) => i > 0);
}

function reportTable({ columns, rows }: HtmlReportData['table']): string {
  if (!rows.length) return empty('No rows.');
  // Cells arrive formatted; right-align a column whose cells all look like numbers, amounts or a dash.
  const numeric = columns.map((_, i) => rows.every((r) => /^(?:[≥<$\d.,%\s-]*\d[\d.,%]*|[-–]?)$/.test(r[i] ?? '')));
  return table(columns, rows.map((r) => r.map(esc)), (i) => numeric[i] ?? false);
}

const STATUS_LABEL: Record<HtmlBudget['status'], string> = {
  on_track: 'on track',
  warning: 'warning',
  critical: 'critical',
  over_budget: 'over budget',
  inactive: 'inactive',
};

function budgetsSection(budgets: HtmlBudget[]): string {
  if (!budgets.length) return empty('No budgets defined.');
  const rows = budgets.map((b) => [
    `${esc(b.displayName)}${b.displayName === b.name ? '' : ` <span class="dim">${esc(b.name)}</span>`}`,
    `${esc(b.period)} <span class="dim">${esc(b.start)} – ${esc(addDays(b.end, -1))}</span>`,
    esc(formatUsd(b.spend)),
    esc(formatUsd(b.amount)),
    pct(b.spend, b.amount),
    esc(formatUsd(b.projected)),
    `<span class="status ${esc(b.status)}">${STATUS_LABEL[b.status]}</span>`,
  ]);
  const charts = budgets.map((b) => `<figure><figcaption>${esc(b.displayName)}</figcaption>${canvas(`chart-budget-${b.name}`, `Budget burn-down: ${b.displayName}`, 240)}</figure>`);
  return `${table(['budget', 'period', 'spend', 'amount', 'used', 'projected', 'status'], rows, (i) => i >= 2 && i <= 5)}<div class="grid">${charts.join('')}</div>`;
}

interface ChartSpec {
  id: string;
  /** Chart.js config minus the functions, which the page script adds. */
  config: { type: 'bar' | 'line'; data: { labels: string[]; datasets: Array<Record<string, unknown>> }; options: Record<string, unknown> };
}

// Feature series beyond these are summed into "other" to keep the stacks and bars readable.
const FEATURE_SERIES = 8;
const FEATURE_BARS = 20;
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const OTHER_COLOR = '#bab0ac';
const DAY_TICKS = { maxRotation: 0, autoSkipPadding: 16 };

function chartSpecs(data: HtmlReportData): ChartSpec[] {
  const specs: ChartSpec[] = [];
  if (data.daily.length) specs.push(dailySpec(data));
  if (data.byFeature.length) specs.push(featureSpec(data));
  for (const b of data.budgets) specs.push(budgetSpec(b));
  return specs;
}

function dailySpec({ daily, byFeature, range }: HtmlReportData): ChartSpec {
  const days = [...new Set([...eachDay(range.from, addDays(range.to, 1)), ...daily.map((d) => d.day)])].sort();
  const ranked = [...new Set([...[...byFeature].sort((a, b) => b.costUsd - a.costUsd).map((f) => f.feature), ...daily.map((d) => d.feature)])];
  const shown = ranked.length > FEATURE_SERIES + 1 ? ranked.slice(0, FEATURE_SERIES) : ranked;
  const series = new Map(shown.map((f) => [f, days.map(() => 0)]));
  const other = days.map(() => 0);
  const index = new Map(days.map((d, i) => [d, i]));
  for (const d of daily) (series.get(d.feature) ?? other)[index.get(d.day)!]! += d.costUsd;
  const datasets = [...series].map(([feature, values], i) => ({ label: feature, data: values, backgroundColor: PALETTE[i % PALETTE.length] }));
  if (shown.length < ranked.length) datasets.push({ label: `other (${ranked.length - shown.length})`, data: other, backgroundColor: OTHER_COLOR });
  return {
    id: 'chart-daily',
    config: { type: 'bar', data: { labels: days, datasets }, options: { scales: { x: { stacked: true, ticks: DAY_TICKS }, y: { stacked: true, beginAtZero: true } } } },
  };
}

function featureSpec({ byFeature }: HtmlReportData): ChartSpec {
  const sorted = [...byFeature].sort((a, b) => b.costUsd - a.costUsd);
  const shown = sorted.length > FEATURE_BARS + 1 ? sorted.slice(0, FEATURE_BARS) : sorted;
  const labels = shown.map((f) => f.feature);
  const values = shown.map((f) => f.costUsd);
  if (shown.length < sorted.length) {
    labels.push(`other (${sorted.length - shown.length})`);
    values.push(sorted.slice(shown.length).reduce((s, f) => s + f.costUsd, 0));
  }
  return {
    id: 'chart-features',
    config: {
      type: 'bar',
      data: { labels, datasets: [{ label: 'spend', data: values, backgroundColor: labels.map((_, i) => (i < shown.length ? PALETTE[i % PALETTE.length] : OTHER_COLOR)) }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
    },
  };
}

function budgetSpec(b: HtmlBudget): ChartSpec {
  const days = eachDay(b.start, b.end);
  const at = (points: HtmlBudget['actual']) => {
    const byDay = new Map(points.map((p) => [p.day, p.cumulative]));
    return days.map((d) => byDay.get(d) ?? null);
  };
  const line = { pointRadius: 0, borderWidth: 2, fill: false };
  return {
    id: `chart-budget-${b.name}`,
    config: {
      type: 'line',
      data: {
        labels: days,
        datasets: [
          { ...line, label: 'spent', data: at(b.actual), borderColor: '#4e79a7', backgroundColor: '#4e79a7' },
          { ...line, label: 'projected', data: at(b.projection), borderColor: '#f28e2b', backgroundColor: '#f28e2b', borderDash: [6, 4], spanGaps: true },
          { ...line, label: 'budget', data: days.map(() => b.amount), borderColor: '#e15759', backgroundColor: '#e15759', borderWidth: 1.5 },
        ],
      },
      options: { plugins: { legend: { labels: { usePointStyle: true, pointStyle: 'line' } } }, scales: { x: { ticks: DAY_TICKS }, y: { beginAtZero: true } } },
    },
  };
}

const DAY = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** YYYY-MM-DD days from `start` (inclusive) to `end` (exclusive); none when either is not a date. */
function eachDay(start: string, end: string): string[] {
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = Date.parse(`${end}T00:00:00Z`);
  const out: string[] = [];
  for (let t = from; t < to; t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** JSON that cannot end its `<script>` element or open a comment inside it. */
const jsonForScript = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The Chart.js UMD build, read from node_modules when a report is made (it is not bundled into dist/). */
function chartJs(): string {
  // chart.js exports no subpaths, so locate the UMD file next to its CommonJS entry.
  const file = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  return (
    readFileSync(file, 'utf8')
      // Offline there is no source map to fetch; the comment would only make devtools try.
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
      // Inline, the text must not close its <script> element early.
      .replace(/<\/(script)/gi, '<\\/$1')
  );
}

function clientScript(): string {
  // The page formats tooltip and axis amounts with the same function as the tables.
  return `(() => {
  const usd = (${formatUsd});
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  for (const { id, config } of JSON.parse(document.getElementById('chart-data').textContent)) {
    const axis = config.options.indexAxis === 'y' ? 'x' : 'y';
    const scale = (config.options.scales[axis] ??= {});
    scale.ticks = { ...scale.ticks, callback: (v) => usd(Number(v)) };
    config.options.plugins = { ...config.options.plugins, tooltip: { mode: 'index', filter: (c) => !!c.parsed[axis], callbacks: { label: (c) => c.dataset.label + ': ' + usd(c.parsed[axis]) } } };
    new Chart(document.getElementById(id), config);
  }
})();`;
}

const STYLE = `
:root { --fg: #1f2328; --dim: #656d76; --line: #d0d7de; --bg: #f6f8fa; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 12px; }
.meta, .dim, .sub, footer, figcaption, .empty { color: var(--dim); }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 16px 0; }
.kpi, section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.kpi .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--dim); }
.kpi .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi .sub { font-size: 12px; }
section { margin: 0 0 16px; padding: 16px; min-width: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.grid > section { margin: 0 0 16px; }
figure { margin: 16px 0 0; min-width: 0; }
figcaption { font-size: 13px; margin-bottom: 4px; }
.chart { position: relative; width: 100%; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { font-weight: 600; background: var(--bg); }
.num { text-align: right; }
tbody tr:hover { background: var(--bg); }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.status.on_track { background: #dafbe1; color: #1a7f37; }
.status.warning { background: #fff8c5; color: #9a6700; }
.status.critical { background: #ffe2cc; color: #bc4c00; }
.status.over_budget { background: #ffebe9; color: #cf222e; }
.status.inactive { background: #eaeef2; color: var(--dim); }
.notes { margin: 0; padding-left: 20px; }
footer { padding-bottom: 24px; font-size: 12px; }
@media print { body { background: #fff; } section, .kpi { break-inside: avoid; } }
`;
