import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from './helpers/repo.js';
import { expectedCost, jsonl, spendRepo, sum, usageRows, type Row } from './helpers/usage.js';

/**
 * JSON Lines: every line stands alone. A malformed line is one rejected row and never takes the
 * next line with it; rows read = calls + duplicates + rejected, checked against a count of the
 * lines done here; every rejected row is listed with its line.
 */

interface UsageJson {
  rows: number;
  calls: number;
  duplicates: number;
  rejected_rows: number;
  rejected: Array<{ file: string; reason: string; rows: number }>;
  rejected_locations: Array<{ file: string; line?: number; row?: number; reason: string; message: string }>;
}

const report = async (dir: string, args: string[]) => {
  const r = await run(['spend', 'report', '--json', ...args], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { total: { cost_usd: number; calls: number }; usage: UsageJson };
};

type Line = { text: string; end?: '\n' | '\r\n' | '' } & ({ valid: Row } | { valid?: undefined });

/** The file's text and, computed from what was written, what a reader must find in it. */
function build(lines: readonly Line[]) {
  const text = lines.map((l) => l.text + (l.end ?? '\n')).join('');
  // Independent count: split the text itself on line ends; a blank line (spaces or tabs only) is no row.
  const physical = text.split(/\r?\n/);
  if (physical.at(-1) === '') physical.pop();
  const rows = physical.filter((l) => l.replace(/[ \t]/g, '') !== '').length;
  const valid = lines.flatMap((l) => (l.valid ? [l.valid] : []));
  const ids = new Set(valid.map((r) => r.request_id));
  const rejectedLines = lines.flatMap((l, i) => (l.valid === undefined && l.text.replace(/[ \t]/g, '') !== '' ? [i + 1] : []));
  const firstCopies = [...new Map(valid.map((r) => [r.request_id, r])).values()];
  return { text, rows, calls: ids.size, duplicates: valid.length - ids.size, rejected: rejectedLines, cost: sum(firstCopies.map((r) => expectedCost(r) ?? 0)) };
}

const good = usageRows(12, 21);
const ok = (i: number): Line => ({ text: JSON.stringify(good[i]), valid: good[i]! });
const bad = (text: string, end?: Line['end']): Line => ({ text, end });

const LINES: Line[] = [
  ok(0),
  // Truncated after a key: DuckDB's JSON reader, ignoring errors, resumed after the NEXT newline.
  bad('{"timestamp":"2026-03-01T10:00:00Z","request_id":'),
  ok(1),
  bad(''),
  bad('[1,2,3]'),
  bad('42'),
  { ...ok(2), end: '\r\n' },
  bad('   \t'),
  // An open array: the same swallow as a truncated key.
  bad('{"timestamp":"2026-03-01T10:00:00Z","tags":[1,'),
  ok(3),
  bad(`${JSON.stringify(good[4])}TRAILER`),
  // Longer than the 1 MiB a line may have.
  bad(JSON.stringify({ ...good[5], metadata: { note: 'x'.repeat(1_100_000) } })),
  ok(6),
  { ...ok(7), end: '\r\n' },
  bad('{'),
  ok(8),
  { text: JSON.stringify(good[0]), valid: good[0]! },
  ok(9),
  // A broken last line without a newline.
  bad('{"timestamp":"2026-03-01T10:00:00Z","request_id":"cut', ''),
];

describe('spend: JSON Lines, each line on its own', () => {
  const expected = build(LINES);

  it('a malformed line never swallows the next one; rows = calls + duplicates + rejected; every rejected line is listed', async () => {
    // The fixture holds what it should: 19 lines, 2 of them blank, 8 distinct calls, one duplicate, 8 rejected lines.
    expect([expected.rows, expected.calls, expected.duplicates, expected.rejected.length]).toEqual([17, 8, 1, 8]);
    const dir = spendRepo({ 'usage/mixed.jsonl': expected.text, 'usage/mixed-copy.jsonl.gz': gzipSync(expected.text) });
    for (const file of ['usage/mixed.jsonl', 'usage/mixed-copy.jsonl.gz']) {
      const out = await report(dir, ['--usage', file]);
      const u = out.usage;
      expect({ rows: u.rows, calls: u.calls, duplicates: u.duplicates, rejected: u.rejected_rows }, file).toEqual({
        rows: expected.rows,
        calls: expected.calls,
        duplicates: expected.duplicates,
        rejected: expected.rejected.length,
      });
      expect(u.rows).toBe(u.calls + u.duplicates + u.rejected_rows);
      expect(u.rejected_locations.map((r) => r.line), file).toEqual(expected.rejected);
      expect(u.rejected_locations.every((r) => r.file === file)).toBe(true);
      expect(u.rejected_locations.find((r) => r.line === 12)?.reason).toBe('line:too-long');
      expect(out.total.calls).toBe(expected.calls);
      expect(Math.abs(out.total.cost_usd - expected.cost)).toBeLessThan(1e-6);
    }
  });

  it('a clean file beside a broken one is read in full, and the totals of both add up', async () => {
    const clean = usageRows(40, 22);
    const dir = spendRepo({ 'usage/a-clean.jsonl': jsonl(clean), 'usage/b-mixed.jsonl': expected.text });
    const out = await report(dir, ['--usage', 'usage/*.jsonl']);
    const cleanRows = clean.length;
    expect(out.usage.rows).toBe(cleanRows + expected.rows);
    expect(out.usage.calls).toBe(clean.length + expected.calls);
    expect(out.usage.rejected_rows).toBe(expected.rejected.length);
    expect(out.usage.rejected_locations.map((r) => `${r.file}:${r.line}`)).toEqual(expected.rejected.map((l) => `usage/b-mixed.jsonl:${l}`));
    expect(Math.abs(out.total.cost_usd - (expected.cost + sum(clean.map((r) => expectedCost(r) ?? 0))))).toBeLessThan(1e-6);
  });

  it('a line over 1 MiB in an otherwise clean file (the fast reader\'s case) is one rejected row; a 20 MiB one too; 700 KB is a call', async () => {
    const rows = usageRows(30, 25);
    const long = { ...rows[7]!, request_id: 'long' };
    for (const size of [700_000, 1_100_000, 20_000_000]) {
      const text = [...rows.slice(0, 7), undefined, ...rows.slice(7)].map((r) => JSON.stringify(r ?? { ...long, metadata: { note: 'x'.repeat(size) } })).join('\n') + '\n';
      const dir = spendRepo({ 'usage/a.jsonl': text, 'usage/b.jsonl.gz': gzipSync(text) });
      const legal = size < 1 << 20;
      const counted = legal ? [...rows, long] : rows;
      for (const file of ['usage/a.jsonl', 'usage/b.jsonl.gz']) {
        const out = await report(dir, ['--usage', file]);
        expect(out.usage.calls, `${size} ${file}`).toBe(counted.length);
        expect(out.usage.rejected_locations, `${size} ${file}`).toEqual(legal ? [] : [expect.objectContaining({ file, line: 8, reason: 'line:too-long' })]);
        expect(Math.abs(out.total.cost_usd - sum(counted.map((r) => expectedCost(r) ?? 0)))).toBeLessThan(1e-6);
      }
    }
  });

  it('hive folders set their field in both ways of reading, and override the record', async () => {
    const rows = usageRows(30, 24).map((r) => ({ ...r, environment: 'development' }));
    const broken = [...rows.slice(0, 10).map((r) => JSON.stringify(r)), '{"timestamp":', ...rows.slice(10, 15).map((r) => JSON.stringify(r))].join('\n');
    const dir = spendRepo({
      'usage/environment=production/part.jsonl': `${broken}\n`,
      'usage/environment=staging/part.jsonl': jsonl(rows.slice(15)),
    });
    const out = (await run(['spend', 'report', '--json', '--usage', 'usage', '--by', 'environment'], { cwd: dir })).stdout;
    const json = JSON.parse(out) as { rows: Array<{ environment: string; calls: number }>; usage: UsageJson };
    expect(Object.fromEntries(json.rows.map((g) => [g.environment, g.calls]))).toEqual({ production: 15, staging: 15 });
    expect(json.usage.rejected_locations).toEqual([expect.objectContaining({ file: 'usage/environment=production/part.jsonl', line: 11 })]);
  });

  it('the human output lists the first 20 rejected rows of a file and says how many more and where to see them', async () => {
    const rows = usageRows(30, 23);
    const lines: Line[] = rows.flatMap((r, i) => [{ text: JSON.stringify(r), valid: r }, bad(`{"request_id":"broken-${i}",`)]);
    const built = build(lines);
    const dir = spendRepo({ 'usage/many.jsonl': built.text });
    const r = await run(['spend', 'report', '--usage', 'usage/many.jsonl'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${built.rows} rows · ${built.calls} calls · 30 rows rejected`);
    const listed = r.stderr.split('\n').filter((l) => /^usage\/many\.jsonl:\d+: rejected/.test(l));
    expect(listed.map((l) => Number(/:(\d+):/.exec(l)![1]))).toEqual(built.rejected.slice(0, 20));
    expect(r.stderr).toContain('… and 10 more rejected rows in usage/many.jsonl: `promptops spend report --json` lists every one (usage.rejected_locations)');
    const json = await report(dir, ['--usage', 'usage/many.jsonl']);
    expect(json.usage.rejected_locations.map((x) => x.line)).toEqual(built.rejected);
  });
});
