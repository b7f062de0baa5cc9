import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFileStore } from '../src/publish/file-store.js';
import { createPgStore } from '../src/publish/pg-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { createClient } from '../src/runtime/index.js';
import { verifyEnvelope, type Envelope } from '../src/runtime/envelope.js';
import type { Store } from '../src/publish/store.js';
import { commitChanges } from './helpers/git.js';
import { usePostgres } from './helpers/postgres.js';
import { EXAMPLE_ROOT, gitRepo, minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';
import { proxiedUrl } from './helpers/tcp-proxy.js';
import { listenBundleServer } from './helpers/serve.js';

const postgres = usePostgres();
const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };

async function configRepo(): Promise<string> {
  const dir = repo(minimalRepo());
  await gitRepo(dir);
  return dir;
}

/** A new prompt version committed, so the next publish has a new revision. */
const nextVersion = (dir: string, version: number) =>
  commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', `version: ${version}`).replace('Say hello', `Say hello (v${version})`) });

const listen = async (store: Store, options: { cacheBytes?: number } = {}) => (await listenBundleServer({ store, ...options })).url;

/** A store that counts the bundle reads reaching it. */
function counting(store: Store): { store: Store; reads: string[] } {
  const reads: string[] = [];
  return { reads, store: { ...store, getBundle: (revision) => (reads.push(revision), store.getBundle(revision)) } };
}

describe('promptops serve (process)', () => {
  it('shuts down gracefully on SIGTERM: answers the pending long-poll, stops accepting, exits 0', async () => {
    const dir = await configRepo();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
    const child = spawn(process.execPath, ['--import', 'tsx', join(EXAMPLE_ROOT, 'src/cli/main.ts'), 'serve', '--root', dir, '--port', '0'], { cwd: EXAMPLE_ROOT, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        if (url) resolve(url);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
    });

    const first = await fetch(`${base}/v1/environments/production/bundle`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const started = performance.now();
    const pending = fetch(`${base}/v1/environments/production/bundle?wait=30`, { headers: { 'if-none-match': etag } });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');

    const answered = await pending;
    expect(answered.status).toBe(304);
    expect(answered.headers.get('etag')).toBe(etag);
    expect(await exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(stderr).toContain('SIGTERM: shutting down');
    expect(stderr).toContain('stopped');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('runtime client against promptops serve', () => {
  it('becomes ready over gzip, follows a publish within a long-poll, and keeps serving through a rollback', { timeout: 30_000 }, async () => {
    const dir = await configRepo();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
    const file = createFileStore({ dir: join(dir, '.promptops/store') });
    onTestFinished(() => file.close());
    const encodings: (string | undefined)[] = [];
    const base = await listen(file);
    const client = createClient({
      source: base, environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 60_000, longPollSeconds: 20,
      // The global fetch, recording what the server sent on the wire.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 200) encodings.push(response.headers.get('content-encoding') ?? undefined);
        return response;
      },
    });
    onTestFinished(() => client.close());
    await client.ready();
    const first = client.status().revision;
    expect(client.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Say hello to Ada.');
    expect(encodings).toEqual(['gzip']);

    await nextVersion(dir, 2);
    const changed = new Promise<{ revision: string }>((resolve) => client.on('change', resolve));
    const started = performance.now();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
    const moved = await changed;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(moved.revision).toBe((await file.current('production'))!.revision);
    expect(client.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Say hello (v2) to Ada.');

    const back = new Promise<{ revision: string }>((resolve) => client.on('change', resolve));
    expect((await run(['rollback', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
    // serve sends the envelope the rollback signed (release #3), not the one A was first released with.
    expect(await back).toEqual({ revision: first, previous: moved.revision, source: 'network', seq: 3, rollback: true });
    expect(client.status()).toMatchObject({ revision: first, releaseSeq: 3, rollback: true });
    expect(client.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Say hello to Ada.');
    expect(encodings).toEqual(['gzip', 'gzip', 'gzip']);
  });
});

describe('promptops serve, a re-signed release', () => {
  it('serves the envelope that replaced one signed by another key, without a restart', async () => {
    const dir = await configRepo();
    const wrong = generateSigningKeys();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env: { ...env, PROMPTOPS_SIGNING_KEY: wrong.privateKey } })).code).toBe(0);
    const file = createFileStore({ dir: join(dir, '.promptops/store') });
    onTestFinished(() => file.close());
    const base = await listen(file);
    const signer = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      return (JSON.parse(await response.text()) as Envelope).signature.key_id;
    };
    const revision = (await file.current('production'))!.revision;
    expect(await signer('/v1/environments/production/bundle')).toBe(wrong.keyId);

    writeFileSync(join(dir, 'promptops.pub'), KEYS.publicKey);
    const fixed = await run(['publish', '--env', 'production'], { cwd: dir, env });
    expect(fixed.stdout).toContain(`re-signed ${revision.slice(0, 12)} with key ${KEYS.keyId}`);
    const started = performance.now();
    while ((await signer('/v1/environments/production/bundle')) !== KEYS.keyId) {
      expect(performance.now() - started, 'serve still sends the old envelope').toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await signer(`/v1/bundles/${revision}`)).toBe(KEYS.keyId);
    const served = await fetch(`${base}/v1/environments/production/bundle`, { headers: { 'accept-encoding': 'identity' } });
    expect(verifyEnvelope(new Uint8Array(await served.arrayBuffer()), { publicKey: KEYS.publicKey, environment: 'production' }).revision).toBe(revision);
  });
});

describe('promptops serve (bundle memory)', () => {
  it('keeps every released bundle and at most --cache-mb of the others', async () => {
    const dir = await configRepo();
    const revisions: string[] = [];
    const file = createFileStore({ dir: join(dir, '.promptops/store') });
    onTestFinished(() => file.close());
    for (let version = 2; version <= 4; version++) {
      expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
      revisions.push((await file.current('production'))!.revision);
      await nextVersion(dir, version);
    }
    const [a, b, released] = revisions as [string, string, string];
    const size = (await file.getBundle(a))!.bytes.byteLength;
    // Room for one bundle besides the released one.
    const { store, reads } = counting(file);
    const base = await listen(store, { cacheBytes: size + 1024 });

    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/v1/environments/production/bundle`)).status).toBe(200);
    expect(reads).toEqual([released]);
    for (const revision of [a, a, b, a, released]) expect((await fetch(`${base}/v1/bundles/${revision}`)).status).toBe(200);
    // a is read once, then evicted by b and read again; the released bundle never again.
    expect(reads).toEqual([released, a, b, a]);
  });
});

describe.skipIf(!!postgres.skipReason)(`promptops serve over PostgreSQL, store outage${postgres.skipReason ? ` (skipped: ${postgres.skipReason})` : ''}`, () => {
  it('fails the publish with exit 3 while the previous release is still served, then recovers by itself', { timeout: 60_000 }, async () => {
    const { url: storeUrl, proxy } = await proxiedUrl(await postgres.database());

    const dir = await configRepo();
    expect((await run(['publish', '--env', 'staging', '--store', storeUrl], { cwd: dir, env })).code).toBe(0);
    const store = createPgStore({ url: storeUrl, connectionTimeoutMillis: 1_000 });
    onTestFinished(() => store.close());
    const base = await listen(store);
    const first = await fetch(`${base}/v1/environments/staging/bundle`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const revision = first.headers.get('x-promptops-revision')!;
    const body = await first.text();
    expect(((await (await fetch(`${base}/healthz`)).json()) as { status: string }).status).toBe('ok');

    await proxy.down();
    await nextVersion(dir, 2);
    const failed = await run(['publish', '--env', 'staging', '--store', storeUrl], { cwd: dir, env });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain(`the PostgreSQL store ${storeUrl} is unavailable`);
    expect(failed.stderr).toContain('"staging" keeps its previous release');

    // The server still answers from memory: the same bundle, 304 for its ETag, degraded health.
    const during = await fetch(`${base}/v1/environments/staging/bundle`);
    expect(during.status).toBe(200);
    expect(await during.text()).toBe(body);
    expect((await fetch(`${base}/v1/environments/staging/bundle`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/v1/bundles/${revision}`)).status).toBe(200);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', store_reachable: false, serving: { staging: revision } });
    expect((await fetch(`${base}/v1/environments/production/bundle`)).status).toBe(503);

    // Back up: the publish goes through and a client long-polling the old ETag gets the new bundle.
    await proxy.up();
    const waiting = fetch(`${base}/v1/environments/staging/bundle?wait=30`, { headers: { 'if-none-match': etag } });
    expect((await run(['publish', '--env', 'staging', '--store', storeUrl], { cwd: dir, env })).code).toBe(0);
    const moved = await waiting;
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).not.toBe(etag);
    expect(((await (await fetch(`${base}/healthz`)).json()) as { status: string }).status).toBe('ok');
  });
});
