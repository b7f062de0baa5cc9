import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/spend/duckdb.js';
import { run } from './helpers/repo.js';
import { csv, CSV_FIELDS, expectedCost, jsonl, spendRepo, sum, TONE_EXPERIMENT, usageRows, type Row } from './helpers/usage.js';

/**
 * One poisoned number (NaN, Infinity, beyond 2^53, negative) in any numeric field is one rejected
 * row with its reason and location, in every input format, and never a failed query, a null or
 * NaN total, or a falsified one. Totals are checked against a sum of the good rows done here.
 */

const NUMERIC = ['prompt_version', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'tokens_used', 'cost_usd', 'latency_ms'] as const;

/** Raw JSON texts: strings and bare literals DuckDB's JSON reader accepts (NaN, Infinity are not JSON, but are read). */
const JSON_VALUES = ['"NaN"', 'NaN', '"Infinity"', 'Infinity', '-Infinity', '"-Infinity"', '1e19', '1e308', '9223372036854775808', '9007199254740993', '-1'];
/** CSV cells. */
const CSV_VALUES = ['NaN', 'nan', 'Infinity', 'inf', '-Infinity', '1e19', '1e308', '9223372036854775808', '9007199254740993', '-1'];

/** A valid record with every numeric field set, so poisoning one field is the only thing wrong with it. */
const base = (id: string): Row => ({
  timestamp: '2026-03-02T10:00:00Z',
  request_id: id,
  feature: 'greeter',
  provider: 'acme',
  model: 'beta',
  status: 'success',
  experiment: 'tone',
  variant: 'friendly',
  user_id: `poison-${id}`,
  prompt_version: 2,
  input_tokens: 100,
  output_tokens: 50,
  cached_input_tokens: 10,
  cache_write_tokens: 5,
  reasoning_tokens: 3,
  tokens_used: 150,
  cost_usd: 0.5,
  latency_ms: 120,
});

/** Good rows, in the experiment too (two variants), so every command has something to count. */
const good: Row[] = [...usageRows(24, 9), base('control-row')].map((r, i) => ({ ...r, experiment: 'tone', variant: i % 2 ? 'friendly' : 'control', user_id: `u-${i}` }));

const INTEGERS = NUMERIC.filter((f) => f !== 'cost_usd' && f !== 'latency_ms');

const poisoned = (values: readonly string[], fields: readonly (typeof NUMERIC)[number][] = NUMERIC) => fields.flatMap((field) => values.map((value, i) => ({ field, value, row: base(`p-${field}-${i}`) })));

/** Good and poisoned rows interleaved; the position of each poisoned row in the file (0-based) and its field. */
function interleave<T>(bad: readonly T[]): { order: Array<{ good: Row } | { bad: T }>; badAt: Array<{ index: number; bad: T }> } {
  const order: Array<{ good: Row } | { bad: T }> = [];
  const badAt: Array<{ index: number; bad: T }> = [];
  const n = Math.max(good.length, bad.length);
  for (let i = 0; i < n; i++) {
    if (i < good.length) order.push({ good: good[i]! });
    for (const b of bad.slice(i * Math.ceil(bad.length / good.length), (i + 1) * Math.ceil(bad.length / good.length))) {
      badAt.push({ index: order.length, bad: b });
      order.push({ bad: b });
    }
  }
  return { order, badAt };
}

const expectedTotal = sum(good.map((r) => expectedCost(r) ?? 0));

interface ReportJson {
  total: { cost_usd: number | null; calls: number };
  usage: { rows: number; calls: number; rejected_rows: number; rejected_locations: Array<{ file: string; line?: number; row?: number; reason: string }> };
}

async function reportJson(dir: string, file: string): Promise<ReportJson> {
  const r = await run(['spend', 'report', '--json', '--usage', file], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReportJson;
}

function expectTotals(out: ReportJson, rejected: number, label: string) {
  expect(out.total.calls, label).toBe(good.length);
  expect(out.usage.rejected_rows, label).toBe(rejected);
  expect(out.usage.rows, label).toBe(good.length + rejected);
  expect(typeof out.total.cost_usd, label).toBe('number');
  // The report rounds dollars to 6 decimals.
  expect(Math.abs(out.total.cost_usd! - expectedTotal), label).toBeLessThan(1e-6);
}


describe('spend: poisoned numbers are rejected rows', () => {
  it('JSON Lines: each value in each numeric field is one rejected row with its line, and every spend command agrees', async () => {
    const bad = poisoned(JSON_VALUES);
    const { order, badAt } = interleave(bad);
    const text = order.map((o) => ('good' in o ? JSON.stringify(o.good) : JSON.stringify({ ...o.bad.row, [o.bad.field]: '@@' }).replace('"@@"', o.bad.value))).join('\n') + '\n';
    const dir = spendRepo({ 'usage/a.jsonl': text, 'experiments/tone.yaml': TONE_EXPERIMENT });
    const out = await reportJson(dir, 'usage/a.jsonl');
    expectTotals(out, bad.length, 'jsonl');
    expect(out.usage.rejected_locations.map((r) => [r.line, r.reason])).toEqual(badAt.map((b) => [b.index + 1, `invalid:${b.bad.field}`]));

    // The human output names the line and the reason.
    const human = await run(['spend', 'report'], { cwd: dir });
    expect(human.code, human.stderr).toBe(0);
    const first = badAt[0]!;
    expect(human.stderr).toContain(`usage/a.jsonl:${first.index + 1}: rejected invalid "${first.bad.field}"`);
    expect(human.stdout).not.toMatch(/NaN|Infinity|null/);

    // The other commands share the scan: none fails, none shows NaN.
    const optimize = await run(['spend', 'optimize', '--json'], { cwd: dir });
    expect(optimize.code, optimize.stderr).toBe(0);
    expect(optimize.stdout).not.toMatch(/NaN|Infinity/);
    const html = await run(['spend', 'report', '--format', 'html', '--out', 'r.html'], { cwd: dir });
    expect(html.code, html.stderr).toBe(0);
    const budgets = await run(['spend', 'budgets', '--json'], { cwd: dir });
    expect(budgets.code, budgets.stderr).toBe(0);

    // The experiment's mean latency is the mean over the good rows of each variant (one call per unit).
    const exp = await run(['experiment', 'report', 'tone', '--json'], { cwd: dir });
    expect(exp.code, exp.stderr).toBe(0);
    const found = JSON.parse(exp.stdout) as { data: { calls: number }; analysis: { metrics: Array<{ variants: Array<{ variant: string; n: number; estimate: number }> }> } };
    expect(found.data.calls).toBe(good.length);
    for (const v of found.analysis.metrics[0]!.variants) {
      const mine = good.filter((r) => r.variant === v.variant).map((r) => r.latency_ms!);
      expect(v.n, v.variant).toBe(mine.length);
      expect(v.estimate, v.variant).toBeCloseTo(sum(mine) / mine.length, 9);
    }
  });

  it('CSV: "NaN", "inf" and out-of-range cells are rejected rows with their line', async () => {
    const bad = poisoned(CSV_VALUES);
    const { order, badAt } = interleave(bad);
    const header = [...CSV_FIELDS, 'experiment', 'variant'];
    const cell = (r: Row, f: string) => (r[f] === undefined ? '' : String(r[f]));
    const lines = order.map((o) => ('good' in o ? header.map((f) => cell(o.good, f)) : header.map((f) => (f === o.bad.field ? o.bad.value : cell(o.bad.row, f)))).join(','));
    // The helper's CSV writer is the reference for the header it writes.
    expect(csv([]).trim()).toBe(CSV_FIELDS.join(','));
    const dir = spendRepo({ 'usage/a.csv': [header.join(','), ...lines].join('\n') + '\n' });
    const out = await reportJson(dir, 'usage/a.csv');
    expectTotals(out, bad.length, 'csv');
    expect(out.usage.rejected_locations.map((r) => [r.line, r.reason])).toEqual(badAt.map((b) => [b.index + 2, `invalid:${b.bad.field}`]));
  });

  it('Parquet: NaN and ±Infinity in DOUBLE columns, and BIGINT values beyond 2^53, are rejected rows with their row', async () => {
    const dir = spendRepo();
    mkdirSync(join(dir, 'usage'));
    const db = await openDb();
    try {
      // All numbers as DOUBLE columns; or the counts as BIGINT (cost and latency stay DOUBLE), poisoned in the counts.
      for (const [name, type, values, fields] of [
        ['doubles', 'DOUBLE', ['NaN', 'Infinity', '-Infinity', '1e19', '1e308', '9223372036854775808', '-1'], NUMERIC],
        ['bigints', 'BIGINT', ['9223372036854775807', '9007199254740993', '-1'], INTEGERS],
      ] as const) {
        const bad = poisoned(values, fields);
        const { order, badAt } = interleave(bad);
        // Every numeric value as text, typed by the COPY below: the poisoned ones become real NaN, inf and huge BIGINTs.
        const text = order.map((o) => JSON.stringify('good' in o ? o.good : { ...o.bad.row, [o.bad.field]: o.bad.value }, (_k, v) => (typeof v === 'number' ? String(v) : v))).join('\n') + '\n';
        writeFileSync(join(dir, `${name}.jsonl`), text);
        const columns = ['timestamp', 'request_id', 'feature', 'provider', 'model', 'status', ...NUMERIC].map((f) => `'${f}': 'VARCHAR'`).join(', ');
        const typed = NUMERIC.map((f) => `CAST(${f} AS ${(INTEGERS as readonly string[]).includes(f) ? type : 'DOUBLE'}) AS ${f}`).join(', ');
        await db.run(`COPY (SELECT * REPLACE (${typed}) FROM read_json('${join(dir, `${name}.jsonl`)}', format = 'newline_delimited', columns = {${columns}})) TO '${join(dir, `usage/${name}.parquet`)}' (FORMAT parquet)`);
        const out = await reportJson(dir, `usage/${name}.parquet`);
        expectTotals(out, bad.length, name);
        expect(out.usage.rejected_locations.map((r) => [r.row, r.reason])).toEqual(badAt.map((b) => [b.index, `invalid:${b.bad.field}`]));
      }
    } finally {
      db.close();
    }
  });

  it('a $5,000 call on a $1,000 budget beside a "cost_usd":"NaN" row is over budget (exit 1), and the NaN row is listed as rejected', async () => {
    const budget = `name: growth-monthly
scope:
  team: [growth]
period: monthly
amount: 1000
alerts:
  - { at: 0.8, severity: warning }
`;
    const call = { timestamp: '2026-11-03T12:00:00Z', feature: 'greeter', provider: 'acme', model: 'beta', status: 'success', input_tokens: 100, output_tokens: 10 };
    const text = `${JSON.stringify({ ...call, request_id: 'big', cost_usd: 5000 })}\n${JSON.stringify({ ...call, request_id: 'nan', cost_usd: 'NaN' })}\n`;
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': budget, 'usage/a.jsonl': text });
    const json = await run(['spend', 'budgets', '--json', '--as-of', '2026-11-10', '--fail-on', 'over_budget'], { cwd: dir });
    expect(json.code, json.stderr).toBe(1);
    const [b] = JSON.parse(json.stdout).budgets;
    expect(b).toMatchObject({ name: 'growth-monthly', status: 'over_budget', spend_usd: 5000 });
    const human = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--fail-on', 'over_budget'], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('usage/a.jsonl:2: rejected invalid "cost_usd"');
    expect(human.stdout + human.stderr).not.toContain('NaN');
    expect(human.stdout).toContain('$5,000');
  });
});
