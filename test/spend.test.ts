import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/spend/duckdb.js';
import { run } from './helpers/repo.js';
import { csv, expectedCost, jsonl, spendRepo, sum, usageRows, type Row } from './helpers/usage.js';

const report = async (dir: string, args: string[] = []) => {
  const r = await run(['spend', 'report', '--json', ...args], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { rows: Array<Record<string, unknown> & { cost_usd: number; calls: number }>; total: { cost_usd: number; calls: number; unpriced_calls: number; input_tokens: number }; usage: { rows: number; calls: number; duplicates: number; rejectedRows: number } };
};

const priced = (rows: readonly Row[]) => rows.filter((r) => expectedCost(r) !== undefined);

describe('spend report: pricing in SQL', () => {
  const rows = usageRows(400);

  it('matches an independent computation to 1e-6 USD, per group and in total', async () => {
    const dir = spendRepo({ 'usage/calls.jsonl': jsonl(rows) });
    const out = await report(dir, ['--usage', 'usage/calls.jsonl', '--by', 'feature,day']);
    const expectedTotal = sum(priced(rows).map((r) => expectedCost(r)!));
    expect(Math.abs(out.total.cost_usd - expectedTotal)).toBeLessThan(1e-6);
    expect(out.total.calls).toBe(rows.length);
    for (const g of out.rows) {
      const mine = rows.filter((r) => r.feature === g.feature && r.timestamp.slice(0, 10) === g.day);
      expect(Math.abs(g.cost_usd - sum(priced(mine).map((r) => expectedCost(r)!)))).toBeLessThan(1e-6);
      expect(g.calls).toBe(mine.length);
    }
    // The price change of acme/alpha on 2026-03-01 is inside the data: both periods are used.
    expect(rows.some((r) => r.timestamp < '2026-03-01')).toBe(true);
    expect(rows.some((r) => r.timestamp >= '2026-03-01')).toBe(true);
  });

  it('counts calls without a price as unpriced, and says so', async () => {
    const extra: Row[] = [
      { timestamp: '2026-03-02T10:00:00Z', request_id: 'x1', feature: 'search', provider: 'acme', model: 'gamma', status: 'success', input_tokens: 10, output_tokens: 5 },
      // beta has no price before 2026-01-15.
      { timestamp: '2026-01-10T10:00:00Z', request_id: 'x2', feature: 'search', provider: 'acme', model: 'beta', status: 'success', input_tokens: 10, output_tokens: 5 },
    ];
    const dir = spendRepo({ 'usage/calls.jsonl': jsonl([...rows.slice(0, 50), ...extra]) });
    const r = await run(['spend', 'report', '--by', 'model'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: 2 calls of acme/beta, acme/gamma have no catalog price on the call date and no cost_usd, so that cost is not counted');
    expect(r.stdout).toMatch(/acme\/gamma\s+1\s.*≥\$0\.00/);
  });

  it('filters by --from/--to (inclusive days, UTC)', async () => {
    const dir = spendRepo({ 'usage/calls.jsonl': jsonl(rows) });
    const out = await report(dir, ['--from', '2026-03-01', '--to', '2026-03-03']);
    const inRange = rows.filter((r) => r.timestamp >= '2026-03-01' && r.timestamp < '2026-03-04');
    expect(out.total.calls).toBe(inRange.length);
    expect(Math.abs(out.total.cost_usd - sum(priced(inRange).map((r) => expectedCost(r)!)))).toBeLessThan(1e-6);
  });

  it('groups by every dimension; team falls back to the feature file', async () => {
    const dir = spendRepo({ 'usage/calls.jsonl': jsonl(rows) });
    const byTeam = await report(dir, ['--by', 'team']);
    const teams = Object.fromEntries(byTeam.rows.map((g) => [g.team, g.calls]));
    // greeter rows carry no team: the feature file says growth.
    expect(teams).toEqual({ 'search-team': rows.filter((r) => r.team === 'search-team').length, growth: rows.filter((r) => r.feature === 'greeter').length });
    for (const by of ['model', 'provider', 'prompt', 'prompt_version', 'environment', 'user', 'organization', 'week', 'month']) {
      const out = await report(dir, ['--by', by]);
      expect(sum(out.rows.map((g) => g.calls)), by).toBe(rows.length);
      expect(Math.abs(sum(out.rows.map((g) => g.cost_usd)) - out.total.cost_usd), by).toBeLessThan(1e-6);
    }
    const pv = await report(dir, ['--by', 'prompt_version']);
    expect(pv.rows.find((g) => g.prompt === 'greet' && g.prompt_version === 2)?.calls).toBe(rows.filter((r) => r.prompt_id === 'greet' && r.prompt_version === 2).length);
  });
});

describe('spend report: inputs', () => {
  const rows = usageRows(120, 3);
  const expected = sum(priced(rows).map((r) => expectedCost(r)!));

  it('reads JSONL, gzip JSONL, a JSON array, CSV and Parquet, and globs over them, with the same totals', async () => {
    const dir = spendRepo({
      'logs/a.jsonl': jsonl(rows),
      'logs/b.jsonl.gz': gzipSync(jsonl(rows)),
      'logs/c.json': JSON.stringify(rows),
      'logs/d.csv': csv(rows),
    });
    const db = await openDb();
    await db.run(`COPY (SELECT * FROM read_json('${join(dir, 'logs/a.jsonl')}', format = 'newline_delimited')) TO '${join(dir, 'logs/e.parquet')}' (FORMAT parquet)`);
    db.close();
    for (const file of ['a.jsonl', 'b.jsonl.gz', 'c.json', 'd.csv', 'e.parquet']) {
      const out = await report(dir, ['--usage', `logs/${file}`]);
      expect(out.total.calls, file).toBe(rows.length);
      expect(Math.abs(out.total.cost_usd - expected), file).toBeLessThan(1e-6);
    }
    // The same calls in five files: every request_id is counted once.
    const all = await report(dir, ['--usage', 'logs/*']);
    expect(all.total.calls).toBe(rows.length);
    expect(all.usage.duplicates).toBe(rows.length * 4);
    expect(Math.abs(all.total.cost_usd - expected)).toBeLessThan(1e-6);
  });

  it('reads hive-partitioned folders (partition values become columns)', async () => {
    const dir = spendRepo();
    const byEnv = new Map<string, Row[]>();
    for (const r of rows) byEnv.set(r.environment!, [...(byEnv.get(r.environment!) ?? []), r]);
    const db = await openDb();
    for (const [env, list] of byEnv) {
      const folder = join(dir, `usage/environment=${env}/date=2026-03`);
      mkdirSync(folder, { recursive: true });
      const withoutEnv = list.map(({ environment: _, ...r }) => r);
      writeFileSync(join(folder, 'part.jsonl'), jsonl(withoutEnv));
      await db.run(`COPY (SELECT * FROM read_json('${join(folder, 'part.jsonl')}', format = 'newline_delimited')) TO '${join(folder, 'part.parquet')}' (FORMAT parquet)`);
    }
    db.close();
    for (const glob of ['usage/**/*.parquet', 'usage/**/*.jsonl']) {
      const out = await report(dir, ['--usage', glob, '--by', 'environment']);
      expect(Object.fromEntries(out.rows.map((g) => [g.environment, g.calls])), glob).toEqual(Object.fromEntries([...byEnv].map(([k, v]) => [k, v.length])));
      expect(Math.abs(out.total.cost_usd - expected), glob).toBeLessThan(1e-6);
    }
    const folder = await report(dir, ['--usage', 'usage']);
    expect(folder.total.calls).toBe(rows.length);
  });

  it('uses usage.paths from the config, and exits 2 when nothing matches', async () => {
    const dir = spendRepo({ 'usage/a.jsonl': jsonl(rows) }, 'usage:\n  paths: [usage/*.jsonl]\n');
    expect((await report(dir)).total.calls).toBe(rows.length);
    const missing = await run(['spend', 'report', '--usage', 'nowhere/*.jsonl'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no usage log file matches "nowhere/*.jsonl"');
    const bad = await run(['spend', 'report', '--by', 'colour'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown --by "colour"');
  });
});

describe('spend report: bad rows are counted and located, never dropped silently', () => {
  const good = usageRows(20, 5);
  const lines = [
    JSON.stringify(good[0]),
    '{"timestamp": "2026-03-01T00:00:00Z", "request_id": "broken",',
    '',
    JSON.stringify({ ...good[1], feature: undefined }),
    JSON.stringify({ ...good[2], request_id: 'bad-status', status: 'ok' }),
    JSON.stringify({ ...good[3], request_id: 'bad-cache', input_tokens: 10, cached_input_tokens: 20, cache_write_tokens: undefined }),
    JSON.stringify({ ...good[4], request_id: 'bad-tokens', input_tokens: 7.5 }),
    JSON.stringify({ ...good[5], request_id: 'bad-time', timestamp: 'yesterday' }),
    ...good.slice(6).map((r) => JSON.stringify(r)),
    JSON.stringify(good[6]),
  ];

  it('reports file:line and reason for each, counts duplicates once, and --strict fails', async () => {
    const dir = spendRepo({ 'usage/bad.jsonl': `${lines.join('\n')}\n` });
    const r = await run(['spend', 'report', '--usage', 'usage/bad.jsonl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('22 rows · 15 calls · 1 duplicate request_id row counted once · 6 rows rejected');
    expect(r.stderr).toContain('usage/bad.jsonl:2: rejected not a usage record');
    expect(r.stderr).toContain('usage/bad.jsonl:4: rejected missing required field "feature"');
    expect(r.stderr).toContain('usage/bad.jsonl:5: rejected invalid "status"');
    expect(r.stderr).toContain('usage/bad.jsonl:6: rejected "cached_input_tokens" + "cache_write_tokens" exceed "input_tokens"');
    expect(r.stderr).toContain('usage/bad.jsonl:7: rejected invalid "input_tokens" (expected an integer from 0 to 2^53 − 1)');
    expect(r.stderr).toContain('usage/bad.jsonl:8: rejected invalid "timestamp"');
    const counted = [good[0]!, ...good.slice(6)];
    const out = await report(dir, ['--usage', 'usage/bad.jsonl']);
    expect(out.total.calls).toBe(counted.length);
    expect(Math.abs(out.total.cost_usd - sum(priced(counted).map((x) => expectedCost(x)!)))).toBeLessThan(1e-6);
    const strict = await run(['spend', 'report', '--usage', 'usage/bad.jsonl', '--strict'], { cwd: dir });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('6 usage rows rejected (--strict)');
  });

  it('locates CSV rows with missing fields and lines the CSV reader cannot split', async () => {
    const text = csv(good.slice(0, 5)).trimEnd().split('\n');
    text.splice(3, 0, 'x,y,z,too,many,columns,in,this,line,for,the,header,row,of,usage,logs,a,b,c,d');
    text.push(text[1]!.replace(/,greeter,|,search,/, ',,'));
    const dir = spendRepo({ 'usage/calls.csv': `${text.join('\n')}\n` });
    const r = await run(['spend', 'report', '--usage', 'usage/calls.csv'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/usage\/calls\.csv:4: rejected CSV too many columns/);
    // Header, 5 rows and the unsplittable line before it: line 8 (7 was the row count, missing the unsplittable line).
    expect(text.length).toBe(8);
    expect(r.stderr).toContain('usage/calls.csv:8: rejected missing required field "feature"');
    expect(r.stderr).toContain('2 rows rejected');
  });

  it('picks the same copy of conflicting duplicates on every run', async () => {
    const a = { ...good[0]!, cost_usd: 1 };
    const b = { ...good[0]!, cost_usd: 2 };
    const dir = spendRepo({ 'usage/a.jsonl': jsonl([a, ...good.slice(1, 5)]), 'usage/b.jsonl': jsonl([b]) });
    const first = await report(dir, ['--usage', 'usage/*.jsonl']);
    const second = await report(dir, ['--usage', 'usage/b.jsonl,usage/a.jsonl']);
    expect(first.total.calls).toBe(5);
    expect(first.usage.duplicates).toBe(1);
    expect(first.total.cost_usd).toBe(second.total.cost_usd);
  });
});

describe('spend report: formats', () => {
  const rows = usageRows(60, 11);

  it('prints a table, markdown and CSV with the same figures', async () => {
    const dir = spendRepo({ 'usage/a.jsonl': jsonl(rows) });
    const json = await report(dir, ['--usage', 'usage/a.jsonl', '--by', 'feature']);
    const table = await run(['spend', 'report', '--usage', 'usage/a.jsonl', '--by', 'feature'], { cwd: dir });
    expect(table.stdout.split('\n')[0]).toMatch(/^feature\s+calls\s+failed\s+input tokens\s+output tokens\s+cost\s+share$/);
    expect(table.stdout).toMatch(new RegExp(`^total\\s+${rows.length}\\s`, 'm'));
    const md = await run(['spend', 'report', '--usage', 'usage/a.jsonl', '--by', 'feature', '--format', 'markdown'], { cwd: dir });
    expect(md.stdout.split('\n')[1]).toBe('| :-- | --: | --: | --: | --: | --: | --: |');
    const csvOut = await run(['spend', 'report', '--usage', 'usage/a.jsonl', '--by', 'feature', '--format', 'csv', '--out', 'out/spend.csv'], { cwd: dir });
    expect(csvOut.code).toBe(0);
    const lines = readFileSync(join(dir, 'out/spend.csv'), 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('feature,calls,failed_calls,input_tokens,output_tokens,cached_input_tokens,reasoning_tokens,cost_usd,unpriced_calls');
    const fromCsv = sum(lines.slice(1).map((l) => Number(l.split(',')[7])));
    expect(Math.abs(fromCsv - json.total.cost_usd)).toBeLessThan(1e-5);
  });
});
