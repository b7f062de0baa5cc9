/**
 * `promptops serve` answering conditional GETs (304) on loopback, against a plain static file
 * server doing the same ETag check as the reference. Each server runs in its own process; the load
 * tool (autocannon) runs here. Prints requests/s and the ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { compileBundle } from '../src/core/compile.js';
import { loadRepository } from '../src/core/repository.js';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../src/publish/sign.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;

const dir = mkdtempSync(join(tmpdir(), 'promptops-bench-serve-'));
const repo = loadRepository({ root: process.cwd() }).value;
const compiled = compileBundle({ repo, environment: 'production' }).value!;
const bytes = signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment: 'production' }, privateKeyFrom(generateSigningKeys().privateKey));
const store = createFileStore({ dir: join(dir, 'store') });
await store.putBundle({ revision: compiled.revision, environment: 'production', bytes: Buffer.from(bytes) });
await store.release({ environment: 'production', revision: compiled.revision, expectedSeq: 0, actor: 'bench', action: 'publish' });
await store.close();
writeFileSync(join(dir, 'bundle.json'), bytes);

async function start(target: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/_serve-target.ts', target, join(dir, 'store'), join(dir, 'bundle.json'), compiled.revision], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  return { child, port };
}

async function load(name: string, target: string): Promise<number> {
  const { child, port } = await start(target);
  const url = `http://127.0.0.1:${port}/v1/environments/production/bundle`;
  const headers = { 'if-none-match': `"${compiled.revision}"` };
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers }); // warm-up
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  child.kill();
  const rps = result.requests.average;
  const non304 = result.non2xx - result['3xx'];
  console.log(`${name.padEnd(26)} ${Math.round(rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  errors ${result.errors + result.timeouts}  non-304 ${Math.max(0, non304)}`);
  return rps;
}

console.log(`conditional GET (If-None-Match → 304), ${CONNECTIONS} connections, ${DURATION} s, bundle ${bytes.length.toLocaleString('en-US')} bytes`);
const reference = await load('static file server (ref)', 'static');
const serve = await load('promptops serve', 'serve');
console.log(`ratio serve / reference: ${(serve / reference).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });
