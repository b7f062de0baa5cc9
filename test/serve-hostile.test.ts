import { createServer as createTcpServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAX_WAIT_SECONDS, type ServeOptions } from '../src/publish/serve.js';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { gitRepo, minimalRepo, repo, run } from './helpers/repo.js';
import { listenBundleServer } from './helpers/serve.js';

const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };

async function published() {
  const dir = repo(minimalRepo());
  await gitRepo(dir);
  expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
  const store = createFileStore({ dir: join(dir, '.promptops/store') });
  onTestFinished(() => store.close());
  return { dir, store };
}

async function listen(options: Omit<ServeOptions, 'store'>) {
  const { store } = await published();
  const { port } = await listenBundleServer({ store, ...options });
  return { port, store };
}

/** Sends a raw HTTP/1.1 request (fetch would normalise the target) and returns the status code and body. */
function raw(port: number, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${target} HTTP/1.1\r\n${lines}\r\n`);
  });
}

describe('promptops serve: malformed requests', () => {
  it('answers malformed percent-encoding with 400, not 503 "store unavailable"', async () => {
    const { port } = await listen({});
    for (const path of ['/v1/environments/%E0%A4%A/bundle', '/v1/environments/%/releases']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad request' });
    }
    // The server is not marked degraded by a client's typo.
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toMatchObject({ status: 'ok', store_reachable: true });
  });

  it('checks the token before parsing anything, then answers an unparsable target with 400', async () => {
    const { port } = await listen({ token: 'sesame' });
    expect((await raw(port, '//[')).status).toBe(401);
    expect((await raw(port, '/v1/environments/%zz/bundle')).status).toBe(401);
    const bad = await raw(port, '//[', { authorization: 'Bearer sesame' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: 'bad request' });
    expect((await raw(port, '/v1/environments/%zz/bundle', { authorization: 'Bearer sesame' })).status).toBe(400);
    expect((await raw(port, '/healthz')).status).toBe(200);
  });
});

describe('promptops serve: long-poll bounds', () => {
  it('a --max-wait above the documented maximum is a usage error (exit 2)', async () => {
    const { dir } = await published();
    const result = await run(['serve', '--max-wait', '3000000', '--port', '0'], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`promptops serve: --max-wait must be 0..${MAX_WAIT_SECONDS} seconds, got "3000000"`);
  });

  it('clamps maxWaitSeconds and ?wait= so a huge wait holds the long-poll instead of answering at once', async () => {
    const { port, store } = await listen({ maxWaitSeconds: 3_000_000 });
    const revision = (await store.current('production'))!.revision;
    const controller = new AbortController();
    const started = Date.now();
    const pending = fetch(`http://127.0.0.1:${port}/v1/environments/production/bundle?wait=3000000`, { headers: { 'if-none-match': `"${revision}"` }, signal: controller.signal }).then((r) => r.status, () => 'aborted');
    const early = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1500))]);
    controller.abort();
    expect(early, `answered after ${Date.now() - started} ms`).toBe('still waiting');
  });
});

describe('promptops serve: a busy port', () => {
  it('is one line and exit 3, not an internal error', async () => {
    const { dir } = await published();
    const blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as AddressInfo).port;
    const result = await run(['serve', '--port', String(port)], { cwd: dir, env });
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^promptops serve: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*pick another --port\\)$`))]);
  });
});
