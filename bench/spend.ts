/**
 * `spend report --by feature,model,day` on generated usage logs (default 10 million rows), as JSONL
 * and as Parquet, and on the first tenth of them gzip-compressed (where the command also checks the
 * gzip stream in Node, which the direct SQL does not), against two baselines run in the same process:
 *   - the same SQL statements, replayed on a bare @duckdb/node-api connection (no CLI, no wrapper);
 *   - a streaming JavaScript aggregation of the same file doing the same work (parse, check the
 *     required fields, fold duplicate request_ids, price by call date, group).
 * The CLI runs as a child process (built dist/cli.js) under /usr/bin/time for its peak memory.
 *
 *   npm run build && node --import tsx bench/spend.ts [--rows 10000000]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { costOf, priceAt, type Catalog } from '../src/core/catalog/catalog.js';
import type { PricePeriod } from '../src/core/schemas/catalog.js';
import { loadRepository } from '../src/core/repository.js';
import { spendReport } from '../src/spend/report.js';
import { openSpend } from '../src/spend/session.js';
import { USAGE_FIELDS } from '../src/spend/usage-sql.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000000' } } });
const ROWS = Number(values.rows);
const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.promptops/bench/spend');
const jsonlPath = join(dir, `usage-${ROWS}.jsonl`);
const parquetPath = join(dir, `usage-${ROWS}.parquet`);
const GZ_ROWS = Math.round(ROWS / 10);
const gzPath = join(dir, `usage-${ROWS}-first-${GZ_ROWS}.jsonl.gz`);
const repo = loadRepository({ root }).value!;

async function prepare(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(jsonlPath)) {
    const t = performance.now();
    // Sixty days of the example features, scaled so the window holds ROWS calls.
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/generate-usage.ts'), '--from', '2026-09-22', '--days', '60', '--rows', String(ROWS), '--scale', 'auto', '--split', 'none', '--out', jsonlPath], { stdio: 'inherit' });
    console.log(`generated ${ROWS.toLocaleString('en-US')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  if (!existsSync(parquetPath)) {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    // Typed columns, as an exporter writing Parquet would have them.
    const types = { timestamp: 'TIMESTAMPTZ', string: 'VARCHAR', integer: 'BIGINT', number: 'DOUBLE', json: 'JSON' } as const;
    const columns = Object.entries(USAGE_FIELDS).map(([name, kind]) => `'${name}': '${types[kind]}'`).join(', ');
    await c.run(`COPY (SELECT * FROM read_json('${jsonlPath}', format = 'newline_delimited', columns = {${columns}})) TO '${parquetPath}.tmp' (FORMAT parquet, ROW_GROUP_SIZE 122880)`);
    c.closeSync();
    instance.closeSync();
    // Renamed only when complete, so an interrupted run never leaves a truncated file to reuse.
    renameSync(`${parquetPath}.tmp`, parquetPath);
  }
  if (!existsSync(gzPath)) {
    let n = 0;
    const head = async function* () {
      for await (const line of createInterface({ input: createReadStream(jsonlPath, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })) {
        if (n++ >= GZ_ROWS) break;
        yield `${line}\n`;
      }
    };
    await pipeline(head, createGzip(), createWriteStream(`${gzPath}.tmp`));
    renameSync(`${gzPath}.tmp`, gzPath);
  }
  for (const p of [jsonlPath, parquetPath, gzPath]) console.log(`${p.slice(root.length + 1)}: ${(statSync(p).size / 1e9).toFixed(2)} GB`);
}

const BY = ['feature', 'model', 'day'] as const;

/** The CLI as users run it; returns seconds and peak RSS (MB) of the process. */
function cli(file: string): { seconds: number; maxRssMb: number; output: string } {
  const out = join(dir, 'report.json');
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'dist/cli.js'), 'spend', 'report', '--root', root, '--usage', file, '--by', BY.join(','), '--format', 'json', '--out', out], { encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`);
  const maxRssKb = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, maxRssMb: maxRssKb / 1024, output: readFileSync(out, 'utf8') };
}

/** Records the statements the command runs (in-process), then replays them on a bare connection. */
async function captureStatements(file: string): Promise<string[]> {
  const statements: string[] = [];
  const session = await openSpend({ repo, paths: [file], keys: ['feature'], trace: (sql) => statements.push(sql) });
  await spendReport(session.db, { by: [...BY] });
  session.close();
  return statements;
}

async function direct(statements: readonly string[]): Promise<number> {
  const t = performance.now();
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: join(dir, 'tmp') });
  const c = await instance.connect();
  for (const sql of statements) await c.runAndReadAll(sql);
  c.closeSync();
  instance.closeSync();
  return (performance.now() - t) / 1000;
}

interface Acc {
  calls: number;
  cost: number;
}

/** What `spend report` does, in plain streaming JavaScript: one row at a time, a Set for duplicate ids. */
function jsAggregator(catalog: Catalog) {
  const seen = new Set<string>();
  const groups = new Map<string, Acc>();
  const prices = new Map<string, PricePeriod | undefined>();
  let rejected = 0;
  const STATUS = new Set(['success', 'error', 'timeout']);
  const int = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
  return {
    add(r: Record<string, any>) {
      if (!r || typeof r !== 'object' || !r.timestamp || !r.request_id || !r.feature || !r.provider || !r.model || !STATUS.has(r.status)) return void rejected++;
      if (!int(r.input_tokens) || !int(r.output_tokens) || !int(r.cached_input_tokens) || !int(r.reasoning_tokens)) return void rejected++;
      const ts = Date.parse(r.timestamp);
      if (Number.isNaN(ts)) return void rejected++;
      if (seen.has(r.request_id)) return;
      seen.add(r.request_id);
      const day = new Date(ts).toISOString().slice(0, 10);
      const model = r.model.includes('/') ? r.model : `${r.provider}/${r.model}`;
      const pk = `${model}|${day}`;
      if (!prices.has(pk)) prices.set(pk, catalog.models[model] && priceAt(catalog.models[model]!, day));
      const price = prices.get(pk);
      const cost =
        r.cost_usd ??
        (price
          ? costOf(price, { input: r.input_tokens ?? 0, output: r.output_tokens ?? 0, cachedInput: r.cached_input_tokens, cacheWrite: r.cache_write_tokens, reasoning: r.reasoning_tokens })
          : 0);
      const key = `${r.feature}|${model}|${day}`;
      const g = groups.get(key) ?? { calls: 0, cost: 0 };
      g.calls++;
      g.cost += cost;
      groups.set(key, g);
    },
    reject: () => rejected++,
    result: () => ({ groups, rejected }),
  };
}

async function jsJsonl(file: string): Promise<{ seconds: number; groups: number; cost: number }> {
  const t = performance.now();
  const agg = jsAggregator(repo.catalog);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const lines = createInterface({ input: file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    try {
      agg.add(JSON.parse(line));
    } catch {
      agg.reject();
    }
  }
  const { groups } = agg.result();
  return { seconds: (performance.now() - t) / 1000, groups: groups.size, cost: [...groups.values()].reduce((s, g) => s + g.cost, 0) };
}

async function jsParquet(file: string): Promise<{ seconds: number; groups: number; cost: number }> {
  const t = performance.now();
  const agg = jsAggregator(repo.catalog);
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const columns = ['timestamp', 'request_id', 'feature', 'provider', 'model', 'status', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost_usd'];
  let rowStart = 0;
  // One row group at a time: streaming, like the JSONL reader.
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    await parquetRead({
      file: buffer,
      metadata,
      columns,
      rowStart,
      rowEnd,
      rowFormat: 'object',
      onComplete: (rows: Array<Record<string, any>>) => {
        for (const r of rows) {
          for (const k of ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens']) if (typeof r[k] === 'bigint') r[k] = Number(r[k]);
          if (r.timestamp instanceof Date) r.timestamp = r.timestamp.toISOString();
          agg.add(r);
        }
      },
    });
    rowStart = rowEnd;
  }
  const { groups } = agg.result();
  return { seconds: (performance.now() - t) / 1000, groups: groups.size, cost: [...groups.values()].reduce((s, g) => s + g.cost, 0) };
}

await prepare();
const results: string[] = [];
for (const [format, file, js] of [
  ['JSONL', jsonlPath, jsJsonl],
  ['Parquet', parquetPath, jsParquet],
  ['JSONL.gz', gzPath, jsJsonl],
] as const) {
  const statements = await captureStatements(file);
  const c = cli(file);
  const sql = await direct(statements);
  const j = await js(file);
  const report = JSON.parse(c.output) as { rows: unknown[]; total: { cost_usd: number } };
  const agree = Math.abs(report.total.cost_usd - j.cost) < 1e-6 * Math.max(1, j.cost) && report.rows.length === j.groups;
  const line =
    `${format.padEnd(8)} ${(format === 'JSONL.gz' ? GZ_ROWS : ROWS).toLocaleString('en-US')} rows: spend report ${c.seconds.toFixed(2)} s (peak ${Math.round(c.maxRssMb)} MB) · ` +
    `same SQL direct ${sql.toFixed(2)} s · JS streaming ${j.seconds.toFixed(2)} s · ` +
    `JS/report ${(j.seconds / c.seconds).toFixed(1)}× (target ≥ 5×) · report/direct ${(c.seconds / sql).toFixed(2)}× (target ≤ 1.25×) · ` +
    `results agree: ${agree ? 'yes' : `NO (report $${report.total.cost_usd.toFixed(2)} in ${report.rows.length} groups, JS $${j.cost.toFixed(2)} in ${j.groups})`}`;
  console.log(line);
  results.push(line);
}
writeFileSync(join(dir, 'last-run.txt'), `${results.join('\n')}\n`);
