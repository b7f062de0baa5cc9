import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from './helpers/repo.js';
import { csv, expectedCost, jsonl, spendRepo, sum, TONE_EXPERIMENT, usageRows } from './helpers/usage.js';

/**
 * A corrupt or truncated gzip file is an error naming the file (exit 3), never a partial count:
 * DuckDB itself returns what it could inflate and ignores the gzip trailer. `--skip-unreadable`
 * leaves the file out with a warning, listed in human and JSON output.
 */

const rows = usageRows(2000, 41).map((r, i) => ({ ...r, experiment: 'tone', variant: i % 2 ? 'friendly' : 'control', user_id: `u-${i}` }));
const whole = gzipSync(jsonl(rows));
const other = usageRows(40, 42);
const otherCost = sum(other.map((r) => expectedCost(r) ?? 0));

const truncated = whole.subarray(0, whole.length >> 1);
const flipped = Buffer.from(whole);
flipped[flipped.length >> 1]! ^= 0xff;
/** The deflate data intact, the CRC-32 of the trailer wrong. */
const badCrc = Buffer.from(whole);
badCrc[badCrc.length - 8]! ^= 0x01;


const COMMANDS = [
  ['spend', 'report'],
  ['spend', 'report', '--json'],
  ['spend', 'report', '--format', 'html', '--out', 'r.html'],
  ['spend', 'budgets'],
  ['spend', 'budgets', '--json'],
  ['spend', 'optimize', '--json'],
  ['experiment', 'report', 'tone'],
];

describe('spend: corrupt gzip files', () => {
  for (const [name, bytes, reason] of [
    ['truncated at 50 %', truncated, 'the gzip stream ends early (truncated file)'],
    ['one flipped byte', flipped, 'corrupt gzip data'],
    ['a wrong CRC-32 in the trailer', badCrc, 'corrupt gzip data'],
  ] as const) {
    it(`${name}: every spend command fails (exit 3) naming the file, without a count`, async () => {
      const dir = spendRepo({ 'usage/a.jsonl.gz': bytes, 'experiments/tone.yaml': TONE_EXPERIMENT }, 'usage:\n  paths: [usage/*.jsonl.gz]\n');
      for (const args of COMMANDS) {
        const r = await run(args, { cwd: dir });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.stderr, args.join(' ')).toContain(`usage/a.jsonl.gz: ${reason}`);
        expect(r.stderr, args.join(' ')).toContain('--skip-unreadable');
        expect(r.stderr + r.stdout, args.join(' ')).not.toMatch(/\bat .*\.ts:\d+|internal error|\d+ calls/);
      }
    });
  }

  it('a truncated CSV.gz fails the same way', async () => {
    const gz = gzipSync(csv(rows));
    const dir = spendRepo({ 'usage/a.csv.gz': gz.subarray(0, gz.length >> 1) });
    const r = await run(['spend', 'report', '--usage', 'usage/a.csv.gz'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('usage/a.csv.gz: the gzip stream ends early (truncated file)');
  });

  it('--skip-unreadable leaves the corrupt file out with a warning and lists it in JSON; the totals are the other file\'s', async () => {
    const dir = spendRepo({ 'usage/a.jsonl.gz': truncated, 'usage/b.jsonl.gz': gzipSync(jsonl(other)), 'experiments/tone.yaml': TONE_EXPERIMENT }, 'usage:\n  paths: [usage/*.jsonl.gz]\n');
    const json = await run(['spend', 'report', '--json', '--skip-unreadable'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.total.calls).toBe(other.length);
    expect(Math.abs(out.total.cost_usd - otherCost)).toBeLessThan(1e-6);
    expect(out.usage.files).toEqual(['usage/b.jsonl.gz']);
    expect(out.usage.unreadable_files).toEqual([{ file: 'usage/a.jsonl.gz', reason: 'the gzip stream ends early (truncated file)' }]);

    const human = await run(['spend', 'report', '--skip-unreadable'], { cwd: dir });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain('warning: usage/a.jsonl.gz not read (--skip-unreadable): the gzip stream ends early (truncated file)');
    expect(human.stderr).toContain(`usage: 1 file · ${other.length} rows · ${other.length} calls`);

    for (const args of [['spend', 'budgets', '--json'], ['spend', 'optimize', '--json'], ['experiment', 'report', 'tone', '--json']]) {
      const r = await run([...args, '--skip-unreadable'], { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).unreadable_files, args.join(' ')).toEqual([{ file: 'usage/a.jsonl.gz', reason: 'the gzip stream ends early (truncated file)' }]);
    }
    const exp = await run(['experiment', 'report', 'tone', '--skip-unreadable'], { cwd: dir });
    expect(exp.stderr).toContain('warning: usage/a.jsonl.gz not read (--skip-unreadable)');
  });

  it('--skip-unreadable with nothing readable left still fails', async () => {
    const dir = spendRepo({ 'usage/a.jsonl.gz': truncated }, 'usage:\n  paths: [usage/*.jsonl.gz]\n');
    const r = await run(['spend', 'report', '--skip-unreadable'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('usage/a.jsonl.gz: the gzip stream ends early');
  });

  it('a whole gzip file is read in full, as before', async () => {
    const dir = spendRepo({ 'usage/a.jsonl.gz': whole }, 'usage:\n  paths: [usage/*.jsonl.gz]\n');
    const r = await run(['spend', 'report', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).total.calls).toBe(rows.length);
  });
});
