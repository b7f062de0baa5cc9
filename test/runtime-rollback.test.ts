import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../src/publish/sign.js';
import { createClient, type ClientEvents, type ClientOptions, type PromptOpsClient } from '../src/runtime/index.js';
import type { Envelope } from '../src/runtime/envelope.js';
import { commitChanges } from './helpers/git.js';
import { compileRepo } from './helpers/runtime-bundle.js';
import { gitRepo, minimalRepo, PROMPT_YAML, repo, run, tempDir } from './helpers/repo.js';

const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };

/** A git config repository with revision A released, then revision B (a new prompt text) released; the envelopes the store held after each publish. */
async function releasedTwice() {
  const dir = repo(minimalRepo());
  await gitRepo(dir);
  const store = createFileStore({ dir: join(dir, '.promptops/store') });
  onTestFinished(() => store.close());
  const envelopeOf = async () => Buffer.from((await store.getBundle((await store.current('production'))!.revision))!.bytes).toString('utf8');
  expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
  const a = await envelopeOf();
  await commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Say hello (v2)') });
  expect((await run(['publish', '--env', 'production'], { cwd: dir, env })).code).toBe(0);
  const b = await envelopeOf();
  return { dir, store, a, b, envelopeOf };
}

const revisionOf = (envelope: string) => (JSON.parse(envelope) as Envelope).manifest.revision;

/** Replaces the envelope file atomically, as a sidecar would. */
function put(file: string, envelope: string): void {
  writeFileSync(`${file}.tmp`, envelope);
  renameSync(`${file}.tmp`, file);
}

function client(options: Partial<ClientOptions> & Pick<ClientOptions, 'source'>): PromptOpsClient {
  const c = createClient({ environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 20, ...options });
  onTestFinished(() => c.close());
  return c;
}

function next<K extends keyof ClientEvents>(c: PromptOpsClient, event: K, ms = 5000): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${String(event)}" event within ${ms} ms`)), ms);
    const off = c.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

describe('runtime client: release order (no rollback by replay)', () => {
  it('refuses a replayed older envelope, keeps serving the newer one, and takes a signed "promptops rollback"', { timeout: 30_000 }, async () => {
    const { dir, a, b, envelopeOf } = await releasedTwice();
    const file = join(tempDir(), 'production.json');
    put(file, a);
    const c = client({ source: file });
    await c.ready();
    expect(c.status().revision).toBe(revisionOf(a));

    const changed = next(c, 'change');
    put(file, b);
    const toB = await changed;
    expect(toB).toMatchObject({ revision: revisionOf(b), previous: revisionOf(a) });

    // An attacker (or a stale mirror) serves A's signed envelope again: valid signature, older release.
    const refused = next(c, 'error');
    const changes: unknown[] = [];
    c.on('change', (e) => changes.push(e));
    put(file, a);
    const error = await refused;
    expect(error.message).toMatch(/release #1 .*older than the active release #2.*refusing to go back/);
    expect((error as { code?: string }).code).toBe('older-release');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toEqual([]);
    expect(c.status()).toMatchObject({ revision: revisionOf(b), releaseSeq: 2, rollback: false });
    expect(toB).toEqual({ revision: revisionOf(b), previous: revisionOf(a), source: 'network', seq: 2, rollback: false });
    expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Say hello (v2) to Ada.');

    // A real rollback is a new signed release of A.
    const rolled = await run(['rollback', '--env', 'production'], { cwd: dir, env });
    expect(rolled.code, rolled.stderr).toBe(0);
    const rollbackEnvelope = await envelopeOf();
    expect(revisionOf(rollbackEnvelope)).toBe(revisionOf(a));
    const back = next(c, 'change');
    put(file, rollbackEnvelope);
    expect(await back).toEqual({ revision: revisionOf(a), previous: revisionOf(b), source: 'network', seq: 3, rollback: true });
    expect(c.status()).toMatchObject({ revision: revisionOf(a), releaseSeq: 3, rollback: true });
    expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Say hello to Ada.');

    // B's old envelope is now the replay: refused too.
    const again = next(c, 'error');
    put(file, b);
    expect((await again).message).toMatch(/release #2 .*older than the active release #3/);
    expect(c.status().revision).toBe(revisionOf(a));
  });

  it('a client restarting from a disk cache that holds B refuses A from the source and serves B', { timeout: 30_000 }, async () => {
    const { a, b } = await releasedTwice();
    const cacheDir = tempDir();
    const file = join(tempDir(), 'production.json');
    put(file, b);
    const first = client({ source: file, cacheDir });
    await first.ready();
    const cached = join(cacheDir, 'production.json');
    const deadline = Date.now() + 5000;
    while (!existsSync(cached) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(readFileSync(cached, 'utf8')).toBe(b);
    await first.close();

    put(file, a);
    const second = client({ source: file, cacheDir, pollIntervalMs: 60_000 });
    const errors: Error[] = [];
    const changes: ClientEvents['change'][] = [];
    second.on('error', (e) => errors.push(e));
    second.on('change', (e) => changes.push(e));
    await second.ready();
    expect(second.status().revision).toBe(revisionOf(b));
    expect(second.status()).toMatchObject({ source: 'cache', releaseSeq: 2 });
    expect(changes).toEqual([{ revision: revisionOf(b), source: 'cache', seq: 2, rollback: false }]);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/release #1 .*older than the active release #2/);
    expect(readFileSync(cached, 'utf8')).toBe(b);
  });

  it('accepts an envelope without a release statement at first, but never goes back to one from a release that has it', { timeout: 30_000 }, async () => {
    const { b } = await releasedTwice();
    // An envelope as versions before release statements wrote it (signed payload, no `release`).
    const { compiled } = compileRepo(repo(minimalRepo({ 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello', 'Old hello') })), 'production');
    const legacy = signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment: 'production' }, privateKeyFrom(KEYS.privateKey));
    expect((JSON.parse(legacy) as Envelope).release).toBeUndefined();
    const file = join(tempDir(), 'production.json');
    put(file, legacy);
    const c = client({ source: file });
    await c.ready();
    expect(c.status().revision).toBe(revisionOf(legacy));

    const changed = next(c, 'change');
    put(file, b);
    expect(await changed).toMatchObject({ revision: revisionOf(b) });

    const refused = next(c, 'error');
    put(file, legacy);
    expect((await refused).message).toMatch(/carries no signed release statement and cannot replace release #2/);
    expect(c.status()).toMatchObject({ revision: revisionOf(b), releaseSeq: 2, rollback: false });
  });

  it('rollback signs, so it needs the signing key: none in CI is exit 2 and nothing moves', { timeout: 30_000 }, async () => {
    const { dir, store, b } = await releasedTwice();
    const result = await run(['rollback', '--env', 'production'], { cwd: dir, env: { USER: 'tester', CI: 'true' } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^promptops rollback: no signing key/)]);
    expect((await store.current('production'))!.seq).toBe(2);
    expect(Buffer.from((await store.getBundle(revisionOf(b)))!.bytes).toString('utf8')).toBe(b);
  });

  it('refuses an envelope whose release statement was altered (a replayed envelope given a higher seq)', { timeout: 30_000 }, async () => {
    const { a, b } = await releasedTwice();
    const forged = JSON.parse(a) as Envelope;
    forged.release!.statement = forged.release!.statement.replace('"seq":1', '"seq":9');
    expect(forged.release!.statement).toContain('"seq":9');
    const file = join(tempDir(), 'production.json');
    put(file, b);
    const c = client({ source: file });
    await c.ready();
    const refused = next(c, 'error');
    put(file, JSON.stringify(forged));
    expect((await refused).message).toMatch(/release statement signature does not verify/);
    expect(c.status()).toMatchObject({ revision: revisionOf(b), releaseSeq: 2 });
  });
});
