import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from './helpers/repo.js';
import { CSV_FIELDS, spendRepo, usageRows, type Row } from './helpers/usage.js';

/**
 * CSV rejected rows are located at the physical line where their record starts, also after a
 * quoted field that holds line breaks (LF or CRLF) and after blank lines and records the CSV
 * reader could not split. The expected lines are counted here from the text written.
 */

const HEADER = [...CSV_FIELDS, 'note'];
const good = usageRows(6, 77);
const cell = (v: unknown) => (v === undefined ? '' : /[",\n\r]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const record = (r: Row, note?: string) => HEADER.map((f) => cell(f === 'note' ? note : r[f])).join(',');

interface Rec {
  text: string;
  reason?: string;
}

const RECORDS: Rec[] = [
  { text: HEADER.join(',') },
  { text: record(good[0]!, 'one\nline break') },
  { text: record(good[1]!, 'two\r\nbreaks\nhere, "quoted"') },
  { text: '' },
  { text: record({ ...good[2]!, status: 'bogus' }), reason: 'invalid:status' },
  { text: `${record(good[3]!, 'multi\nline')},extra`, reason: 'csv:too many columns' },
  { text: record(good[4]!, 'x\n\ny') },
  { text: record({ ...good[5]!, input_tokens: 'NaN' } as unknown as Row, 'after\nall that'), reason: 'invalid:input_tokens' },
];

/** The text and, for each record with a reason, the line it starts on (1 + line breaks before it). */
function build(records: readonly Rec[]) {
  let text = '';
  const expected: Array<[number, string]> = [];
  for (const r of records) {
    if (r.reason) expected.push([(text.match(/\n/g) ?? []).length + 1, r.reason]);
    text += `${r.text}\n`;
  }
  return { text, expected };
}

describe('spend: CSV line numbers', () => {
  it('rejected rows after quoted line breaks, blank lines and unsplittable records are located at their physical line', async () => {
    const { text, expected } = build(RECORDS);
    // The fixture spans more lines than records: the quoted breaks are there.
    expect(text.split('\n').length - 1).toBeGreaterThan(RECORDS.length + 5);
    const dir = spendRepo({ 'usage/a.csv': text, 'usage/b.csv.gz': gzipSync(text) });
    for (const file of ['usage/a.csv', 'usage/b.csv.gz']) {
      const r = await run(['spend', 'report', '--json', '--usage', file], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const usage = JSON.parse(r.stdout).usage as { calls: number; rejected_locations: Array<{ line: number; reason: string }> };
      expect(usage.calls, file).toBe(3);
      expect(usage.rejected_locations.map((l) => [l.line, l.reason]), file).toEqual(expected);
      const human = await run(['spend', 'report', '--usage', file], { cwd: dir });
      for (const [line, reason] of expected) expect(human.stderr, file).toMatch(new RegExp(`^${file.replace('.', '\\.')}:${line}: rejected .*${reason.startsWith('csv') ? 'too many columns' : reason.split(':')[1]}`, 'm'));
    }
  });
});
