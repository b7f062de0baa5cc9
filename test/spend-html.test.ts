import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HtmlBudget, HtmlReportData } from '../src/spend/html-data.js';
import { renderHtmlReport } from '../src/spend/html.js';
import { tempDir } from './helpers/repo.js';

const CHROMIUM = '/usr/bin/chromium';
// Offline machines: keep Chromium from phoning home (and logging every refused connection).
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);
const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Three features over ten days; `summarize` has no calls on odd days, so some days are missing. */
function fixture(features = ['chat', 'summarize', 'classify']): HtmlReportData {
  const daily = DAYS.flatMap((day, d) =>
    features.flatMap((feature, f) => (f === 1 && d % 2 ? [] : [{ day, feature, costUsd: round((f + 1) * 0.75 + d * 0.125 + f * 0.0003), calls: 10 * (f + 1) + d }])),
  );
  const byFeature = features.map((feature) => {
    const rows = daily.filter((r) => r.feature === feature);
    return { feature, costUsd: rows.reduce((s, r) => s + r.costUsd, 0), calls: rows.reduce((s, r) => s + r.calls, 0) };
  });
  const costUsd = byFeature.reduce((s, f) => s + f.costUsd, 0);
  const calls = byFeature.reduce((s, f) => s + f.calls, 0);
  return {
    title: 'Spend report',
    generatedAt: '2026-11-10T18:30:00.000Z',
    range: { from: DAYS[0]!, to: DAYS.at(-1)! },
    totals: { calls, failedCalls: 7, inputTokens: 1_234_567, outputTokens: 234_567, costUsd, unpricedCalls: 3 },
    daily,
    byFeature,
    byModel: [
      { model: 'openai/gpt-6-luna', costUsd: costUsd * 0.75, calls: calls - 40 },
      { model: 'openai/gpt-6-mini', costUsd: costUsd * 0.25, calls: 40 },
    ],
    table: { columns: ['feature', 'calls', 'cost'], rows: byFeature.map((f) => [f.feature, String(f.calls), `$${f.costUsd.toFixed(2)}`]) },
    budgets: [budget('monthly-total', 'monthly', '2026-11-01', '2026-12-01', 250, daily), budget('chat-weekly', 'weekly', '2026-11-09', '2026-11-16', 20, daily.filter((r) => r.feature === features[0]))],
    notes: ['3 calls have no price for their model', '2 duplicate rows were folded'],
  };
}

function budget(name: string, period: string, start: string, end: string, amount: number, rows: HtmlReportData['daily']): HtmlBudget {
  const days = DAYS.filter((d) => d >= start);
  let cumulative = 0;
  const actual = days.map((day) => ({ day, cumulative: (cumulative += rows.filter((r) => r.day === day).reduce((s, r) => s + r.costUsd, 0)) }));
  const windowDays = (Date.parse(end) - Date.parse(start)) / 86_400_000;
  const projected = (cumulative / days.length) * windowDays;
  const projection = [
    { day: days.at(-1)!, cumulative },
    { day: new Date(Date.parse(end) - 86_400_000).toISOString().slice(0, 10), cumulative: projected },
  ];
  return { name, displayName: name === 'monthly-total' ? 'All features, monthly' : name, period, start, end, amount, spend: cumulative, projected, status: projected > amount ? 'warning' : 'on_track', alerts: [{ at: 0.8, severity: 'warning' }], actual, projection };
}

const EMPTY: HtmlReportData = {
  title: 'Spend report',
  generatedAt: '2026-11-10T18:30:00.000Z',
  range: { from: '2026-11-01', to: '2026-11-10' },
  totals: { calls: 0, failedCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedCalls: 0 },
  daily: [],
  byFeature: [],
  byModel: [],
  table: { columns: ['feature', 'calls', 'cost'], rows: [] },
  budgets: [],
  notes: [],
};

interface ChartState {
  type: string;
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null>; borderDash?: number[] }>;
  width: number;
  height: number;
}

let browser: Browser;

beforeAll(async () => {
  // npm test (scripts/test.sh) installs Chromium; a missing browser is a failure, never a skip.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the HTML report tests need Chromium (apt-get install -y chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
});

/** Renders `data` to a temp file and opens it, recording errors, requests and dialogs. */
async function open(data: HtmlReportData) {
  const file = join(tempDir(), 'report.html');
  writeFileSync(file, renderHtmlReport(data));
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, errors, requests, dialogs };
}

const canvasIds = (page: Page) => page.$$eval('canvas', (els) => els.map((e) => e.id));

function chart(page: Page, id: string): Promise<ChartState | null> {
  return page.evaluate(`(() => {
    const canvas = document.getElementById(${JSON.stringify(id)});
    const chart = canvas && Chart.getChart(canvas);
    if (!chart) return null;
    const box = canvas.getBoundingClientRect();
    return {
      type: chart.config.type,
      labels: chart.data.labels,
      datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data, borderDash: d.borderDash })),
      width: Math.min(box.width, chart.width),
      height: Math.min(box.height, chart.height),
    };
  })()`);
}

const sum = (values: Array<number | null>) => values.reduce<number>((s, v) => s + (v ?? 0), 0);

describe('renderHtmlReport in Chromium', () => {
  it('draws every chart from the data, offline and without errors', async () => {
    const data = fixture();
    const { page, url, errors, requests } = await open(data);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      expect(await canvasIds(page)).toEqual(['chart-daily', 'chart-features', 'chart-budget-monthly-total', 'chart-budget-chat-weekly']);

      const daily = (await chart(page, 'chart-daily'))!;
      expect(daily.type).toBe('bar');
      expect(daily.labels).toEqual(DAYS);
      expect(daily.datasets.map((d) => d.label)).toEqual(['chat', 'summarize', 'classify'].sort((a, b) => cost(data, b) - cost(data, a)));
      expect(sum(daily.datasets.flatMap((d) => d.data))).toBeCloseTo(data.totals.costUsd, 9);
      for (const f of data.byFeature) expect(sum(daily.datasets.find((d) => d.label === f.feature)!.data)).toBeCloseTo(f.costUsd, 9);
      expect(daily.datasets.find((d) => d.label === 'summarize')!.data[1]).toBe(0);

      const features = (await chart(page, 'chart-features'))!;
      expect(features.labels).toEqual(daily.datasets.map((d) => d.label));
      expect(features.datasets[0]!.data).toEqual(features.labels.map((f) => cost(data, f)));

      for (const b of data.budgets) {
        const burn = (await chart(page, `chart-budget-${b.name}`))!;
        const [spent, projected, amount] = burn.datasets;
        expect(burn.type).toBe('line');
        expect(burn.labels[0]).toBe(b.start);
        expect(burn.labels).toHaveLength((Date.parse(b.end) - Date.parse(b.start)) / 86_400_000);
        expect(amount!.data).toEqual(burn.labels.map(() => b.amount));
        expect(spent!.data.filter((v) => v !== null)).toEqual(b.actual.map((a) => a.cumulative));
        expect(projected!.borderDash?.length).toBeGreaterThan(0);
        expect(projected!.data.at(-1)).toBeCloseTo(b.projected, 9);
      }

      for (const id of await canvasIds(page)) {
        const state = (await chart(page, id))!;
        expect(state.width, id).toBeGreaterThan(100);
        expect(state.height, id).toBeGreaterThan(100);
      }

      const text = await page.innerText('body');
      expect(text).toContain('2026-11-01 – 2026-11-10');
      expect(text).toContain('All features, monthly');
      expect(text).toContain('openai/gpt-6-mini');
      expect(text).toContain('2 duplicate rows were folded');
      expect(await page.$$eval('.status', (els) => els.map((e) => e.textContent))).toEqual(data.budgets.map((b) => (b.status === 'on_track' ? 'on track' : b.status)));
    } finally {
      await page.close();
    }
  });

  it('shows markup in data as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const closer = '</script><script>alert(2)</script>';
    const data = fixture([evil, closer, 'chat']);
    data.title = `report ${evil}`;
    data.byModel[0]!.model = evil;
    data.notes = [evil];
    data.budgets[0]!.displayName = evil;
    const { page, url, errors, requests, dialogs } = await open(data);
    try {
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);
      expect(requests).toEqual([url]);
      expect(await page.$$('img')).toHaveLength(0);
      expect(await page.$$('script')).toHaveLength(3);
      expect(await page.title()).toBe(data.title);
      expect(await page.innerText('table')).toContain(evil);
      expect((await chart(page, 'chart-features'))!.labels.sort()).toEqual([evil, closer, 'chat'].sort());
    } finally {
      await page.close();
    }
  });

  it('renders a report without calls or budgets', async () => {
    const { page, url, errors, requests } = await open(EMPTY);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      expect(await canvasIds(page)).toEqual([]);
      const text = await page.innerText('body');
      expect(text).toContain('No calls in this range.');
      expect(text).toContain('No budgets defined.');
      expect(text).toContain('$0.00');
    } finally {
      await page.close();
    }
  });
});

const cost = (data: HtmlReportData, feature: string) => data.byFeature.find((f) => f.feature === feature)!.costUsd;
