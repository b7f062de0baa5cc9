// Writes synthetic usage logs (one JSON record per LLM call) for the features of a repository,
// deterministic for a seed. Used for the committed sample in usage/ (see usage/README.md) and for
// benchmarks that need millions of rows.
//
//   node --import tsx scripts/generate-usage.ts --from 2026-10-01 --days 50 --scale 0.001 --out usage/
//     [--split daily|monthly|none] [--format jsonl|jsonl.gz|csv|csv.gz] [--rows N] [--seed N] [--dirty] [--root DIR]
//
// --scale is the fraction of the features' `traffic` (calls per day); `--scale auto --rows N` picks
// the scale at which the window holds just over N rows (the row limit cuts the last hours).
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { loadRepository } from '../src/core/repository.js';
import { CSV_HEADER, expectedRows, usageText } from '../src/spend/sample.js';

const FORMATS = ['jsonl', 'jsonl.gz', 'csv', 'csv.gz'] as const;
const SPLITS = ['daily', 'monthly', 'none'] as const;
type Format = (typeof FORMATS)[number];

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    days: { type: 'string', default: '1' },
    scale: { type: 'string', default: '0.001' },
    out: { type: 'string', default: 'usage' },
    split: { type: 'string', default: 'monthly' },
    format: { type: 'string', default: 'jsonl' },
    rows: { type: 'string' },
    seed: { type: 'string', default: '1' },
    dirty: { type: 'boolean', default: false },
    root: { type: 'string', default: '.' },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`generate-usage: ${message}\n`);
  process.exit(2);
}

const positive = (name: string, text: string, integer: boolean): number => {
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) fail(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  return n;
};

if (!values.from || !/^\d{4}-\d{2}-\d{2}$/.test(values.from) || Number.isNaN(Date.parse(values.from))) fail('--from YYYY-MM-DD is required');
const format = values.format as Format;
if (!FORMATS.includes(format)) fail(`--format must be one of ${FORMATS.join(', ')}`);
const split = values.split as (typeof SPLITS)[number];
if (!SPLITS.includes(split)) fail(`--split must be one of ${SPLITS.join(', ')}`);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`);

interface Sink {
  path: string;
  write: (text: string) => Promise<void>;
  close: () => Promise<void>;
}

/** A file, gzipped when asked; writes wait for 'drain' so memory stays flat however many rows. */
function openSink(path: string): Sink {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path, { highWaterMark: 16 << 20 });
  const gzip = format.endsWith('.gz') ? createGzip() : undefined;
  const head = gzip ?? file;
  const done = gzip ? pipeline(gzip, file) : finished(file);
  return {
    path,
    async write(text) {
      if (!head.write(text)) await once(head, 'drain');
    },
    async close() {
      head.end();
      await done;
    },
  };
}

const out = resolve(values.out);
const fileFor = (day: string): string => {
  if (split === 'daily') return join(out, `${day}.${format}`);
  if (split === 'monthly') return join(out, `${day.slice(0, 7)}.${format}`);
  return out.endsWith(`.${format}`) ? out : join(out, `usage.${format}`);
};

const started = performance.now();
const limit = values.rows === undefined ? undefined : positive('rows', values.rows, true);
if (values.scale === 'auto' && limit === undefined) fail('--scale auto needs --rows');
const window = { repo: loadRepository({ root: resolve(values.root) }).value, from: values.from, days: positive('days', values.days, true) };
// Aim three standard deviations above N so the limit is reached; it cuts the last hours of the window.
const scale = values.scale === 'auto' ? (limit! * (1 + 3 / Math.sqrt(limit!))) / expectedRows({ ...window, scale: 1 }) : positive('scale', values.scale, false);
const written: string[] = [];
let sink: Sink | undefined;
let rows = 0;
for (const chunk of usageText({ ...window, scale, seed, rows: limit, dirty: values.dirty, format: format.startsWith('csv') ? 'csv' : 'jsonl' })) {
  const path = fileFor(chunk.day);
  if (sink?.path !== path) {
    await sink?.close();
    sink = openSink(path);
    written.push(path);
    if (format.startsWith('csv')) await sink.write(CSV_HEADER);
  }
  await sink.write(chunk.text);
  rows += chunk.rows;
}
await sink?.close();

const seconds = (performance.now() - started) / 1000;
const bytes = written.reduce((sum, path) => sum + statSync(path).size, 0);
for (const path of written) process.stderr.write(`wrote ${path}\n`);
process.stderr.write(`${rows} rows (scale ${scale.toPrecision(3)}), ${written.length} file(s), ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s)\n`);
