import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../src/publish/sign.js';
import { createClient } from '../src/runtime/index.js';
import { compileRepo } from './helpers/runtime-bundle.js';
import { EXAMPLE_ROOT, gitRepo, minimalRepo, repo, run, tempDir, writeTree } from './helpers/repo.js';

const KEYS = generateSigningKeys();
const MiB = 1024 * 1024;
let good: string;
let gzipBomb: Buffer;
/** Decompressed size of the gzip bomb. */
const BOMB_BYTES = 512 * MiB;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'promptops-limits-'));
  const { compiled } = compileRepo(writeTree(root, minimalRepo()), 'production');
  rmSync(root, { recursive: true, force: true });
  good = signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment: 'production' }, privateKeyFrom(KEYS.privateKey), { seq: 1, action: 'publish' });
  // 512 MiB of spaces gzipped: about half a MiB on the wire.
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const block = Buffer.alloc(MiB, ' ');
  for (let i = 0; i < BOMB_BYTES / MiB; i++) if (!gzip.write(block)) await new Promise((resolve) => gzip.once('drain', resolve));
  gzip.end();
  await done;
  gzipBomb = Buffer.concat(parts);
}, 60_000);

type Mode = 'endless' | 'huge' | 'drip' | 'gzip-bomb' | 'declared';

/**
 * A hostile bundle server on loopback: the first request gets a good envelope (so a client has a
 * last good bundle), every later one the hostile body. Counts the body bytes it managed to send.
 */
async function hostileServer(mode: Mode, options: { firstGood?: boolean } = {}) {
  let requests = 0;
  const state = { sent: 0, closed: 0 };
  const write = (res: ServerResponse, chunk: Buffer) => {
    state.sent += chunk.byteLength;
    return res.write(chunk);
  };
  const server = createServer((req, res) => {
    requests++;
    if (options.firstGood !== false && requests === 1) {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"good"' }).end(good);
      return;
    }
    res.on('close', () => state.closed++);
    if (mode === 'gzip-bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gzipBomb.byteLength });
      state.sent += gzipBomb.byteLength;
      res.end(gzipBomb);
      return;
    }
    if (mode === 'declared') {
      // Announces 300 MiB and sends nothing: a client that trusts it would wait, then allocate.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 300 * MiB });
      res.flushHeaders();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const block = Buffer.alloc(64 * 1024, ' ');
    if (mode === 'drip') {
      const timer = setInterval(() => write(res, Buffer.from(' ')), 1000);
      write(res, Buffer.from('{'));
      res.on('close', () => clearInterval(timer));
      return;
    }
    // endless: as fast as the client reads; huge: 300 MiB then the end (chunked, no Content-Length).
    const limit = mode === 'huge' ? 300 * MiB : Infinity;
    const pump = () => {
      while (!res.destroyed && state.sent < limit) if (!write(res, block)) return void res.once('drain', pump);
      if (!res.destroyed) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

/**
 * Runs a runtime client in a child process (a crash must not take the test runner with it): ready
 * from the good envelope, then the next poll meets the hostile body. Reports what the host saw.
 */
async function hostClient(source: string, options: { maxBundleBytes?: number; requestTimeoutMs?: number; firstGood?: boolean }) {
  const script = join(tempDir(), 'host.mjs');
  writeFileSync(script, `
    import { createClient } from ${JSON.stringify(pathToFileURL(join(EXAMPLE_ROOT, 'src/runtime/index.ts')).href)};
    const options = JSON.parse(process.env.HOST_OPTIONS);
    const client = createClient({ source: ${JSON.stringify(source)}, environment: 'production', publicKey: process.env.HOST_PUBLIC_KEY, pollIntervalMs: 50, longPollSeconds: 0, ...options });
    const errors = [];
    let peak = 0;
    const firstError = new Promise((resolve) => client.on('error', (e) => { errors.push(e.message); resolve(); }));
    let ready = 'ok';
    try { await client.ready(); } catch (e) { ready = e.message; }
    const base = process.memoryUsage().rss;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - base); }, 5);
    let deadline;
    await Promise.race([firstError, new Promise((r) => { deadline = setTimeout(r, 20000); })]);
    clearTimeout(deadline);
    peak = Math.max(peak, process.memoryUsage().rss - base);
    clearInterval(sampler);
    let rendered;
    try { rendered = client.render('greet', { name: 'Ada' }).messages[0].content; } catch (e) { rendered = 'render failed: ' + e.message; }
    const status = client.status();
    await client.close();
    console.log(JSON.stringify({ ready, errors, revision: status.revision, rendered, rssGrowth: peak }));
  `);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: EXAMPLE_ROOT, stdio: 'pipe', env: { ...process.env, HOST_PUBLIC_KEY: KEYS.publicKey, HOST_OPTIONS: JSON.stringify(options) } });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : null))));
  expect(code, `the host process died: ${stderr.slice(-2000)}`).toBe(0);
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ready: string; errors: string[]; revision?: string; rendered: string; rssGrowth: number };
}

const revision = () => (JSON.parse(good) as { manifest: { revision: string } }).manifest.revision;

describe('runtime client: hostile response bodies', () => {
  it('an endless body is cut off at maxBundleBytes: an error event, the host survives, the last good bundle serves', { timeout: 60_000 }, async () => {
    const server = await hostileServer('endless');
    const host = await hostClient(server.url, { maxBundleBytes: 4 * MiB });
    expect(host.ready).toBe('ok');
    expect(host.errors[0]).toMatch(/larger than the limit of 4,194,304 bytes \(maxBundleBytes\)/);
    expect(host.revision).toBe(revision());
    expect(host.rendered).toContain('Say hello to Ada.');
    expect(host.rssGrowth).toBeLessThan(100 * MiB);
    // The client hung up: the server could not push much past the limit (socket buffers aside).
    expect(server.state.sent).toBeLessThan(64 * MiB);
  });

  it('a 300 MiB body costs the host far less than 300 MiB of memory', { timeout: 60_000 }, async () => {
    const server = await hostileServer('huge');
    const host = await hostClient(server.url, { maxBundleBytes: 4 * MiB });
    expect(host.errors[0]).toMatch(/larger than the limit of 4,194,304 bytes/);
    expect(host.revision).toBe(revision());
    expect(host.rssGrowth).toBeLessThan(100 * MiB);
  });

  it('a gzip bomb hits the same limit on decompressed bytes', { timeout: 60_000 }, async () => {
    const server = await hostileServer('gzip-bomb');
    const host = await hostClient(server.url, { maxBundleBytes: 4 * MiB });
    expect(host.errors[0]).toMatch(/larger than the limit of 4,194,304 bytes/);
    expect(host.revision).toBe(revision());
    expect(host.rssGrowth).toBeLessThan(100 * MiB);
  });

  it('the default limit (32 MiB) applies without the option', { timeout: 60_000 }, async () => {
    const server = await hostileServer('endless');
    const host = await hostClient(server.url, {});
    expect(host.errors[0]).toMatch(/larger than the limit of 33,554,432 bytes/);
    expect(host.revision).toBe(revision());
  });

  it('a body dripping at 1 byte/s fails the request at requestTimeoutMs, body included', { timeout: 30_000 }, async () => {
    const server = await hostileServer('drip');
    const c = createClient({ source: server.url, environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 50, longPollSeconds: 0, requestTimeoutMs: 1500 });
    onTestFinished(() => c.close());
    await c.ready();
    const started = Date.now();
    const error = await new Promise<Error>((resolve) => c.on('error', resolve));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message).toMatch(/failed while reading the bundle: the body did not arrive within 1500 ms/);
    expect(c.status().revision).toBe(revision());
  });

  it('a Content-Length over the limit is refused before reading the body', async () => {
    const server = await hostileServer('declared');
    const c = createClient({ source: server.url, environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 50, longPollSeconds: 0, maxBundleBytes: MiB, requestTimeoutMs: 5000 });
    onTestFinished(() => c.close());
    await c.ready();
    const started = Date.now();
    const error = await new Promise<Error>((resolve) => c.on('error', resolve));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.message).toMatch(/the bundle is larger than the limit of 1,048,576 bytes/);
    expect(c.status().revision).toBe(revision());
  });

  it('a local envelope file larger than the limit is refused, and /dev/zero does not hang or exhaust the host', { timeout: 60_000 }, async () => {
    const file = join(tempDir(), 'production.json');
    writeFileSync(file, good.replace('{', `{${' '.repeat(2 * MiB)}`));
    const c = createClient({ source: file, environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 60_000, maxBundleBytes: MiB });
    onTestFinished(() => c.close());
    await expect(c.ready()).rejects.toThrow(/cannot read .*production\.json: the bundle is larger than the limit of 1,048,576 bytes/);

    const host = await hostClient('/dev/zero', { maxBundleBytes: 4 * MiB });
    expect(host.ready).toMatch(/cannot read \/dev\/zero: the bundle is larger than the limit of 4,194,304 bytes/);
    expect(host.rssGrowth).toBeLessThan(100 * MiB);
  });
});

describe('promptops pull: hostile response bodies', () => {
  async function pullFrom(url: string, extra: string[] = []) {
    const dir = repo(minimalRepo({ 'promptops.pub': KEYS.publicKey }));
    await gitRepo(dir);
    return run(['pull', '--env', 'production', '--source', url, ...extra], { cwd: dir });
  }

  it('a body larger than --max-bundle-mb is refused with one line, exit 3', { timeout: 60_000 }, async () => {
    const server = await hostileServer('huge', { firstGood: false });
    const result = await pullFrom(server.url, ['--max-bundle-mb', '2']);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toEqual([`promptops pull: ${server.url} sent a bundle larger than 2,097,152 bytes (--max-bundle-mb): refusing it`]);
    expect(server.state.sent).toBeLessThan(64 * MiB);
  });

  it('a gzip bomb is cut off at the limit of decompressed bytes', { timeout: 60_000 }, async () => {
    const server = await hostileServer('gzip-bomb', { firstGood: false });
    const result = await pullFrom(server.url, ['--max-bundle-mb', '2']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/sent a bundle larger than 2,097,152 bytes/);
  });

  it('a body dripping at 1 byte/s ends at --timeout with one line, exit 3, no internal error', { timeout: 30_000 }, async () => {
    const server = await hostileServer('drip', { firstGood: false });
    const started = Date.now();
    const result = await pullFrom(server.url, ['--timeout', '2']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toEqual([`promptops pull: ${server.url} failed while sending the bundle: not complete within 2 s (--timeout)`]);
  });

  it('pulls a good bundle within the limits', async () => {
    const server = await hostileServer('endless');
    const result = await pullFrom(server.url, ['--max-bundle-mb', '1', '--timeout', '5']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`production: ${revision().slice(0, 12)} verified`);
  });
});
