import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBundleServer } from '../src/publish/serve.js';
import { createFileStore } from '../src/publish/file-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { verifyEnvelope } from '../src/runtime/envelope.js';
import { commitChanges } from './helpers/git.js';
import { gitRepo, minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';

const KEYS = generateSigningKeys();
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester', ...extra });

async function published(): Promise<string> {
  const dir = repo(minimalRepo());
  await gitRepo(dir);
  return dir;
}

/** A GET that does not decompress (fetch always does): the status, headers and body bytes as sent. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const storeOf = (dir: string) => createFileStore({ dir: join(dir, '.promptops/store') });

describe('promptops keygen', () => {
  it('writes an Ed25519 pair: the private key owner-only, and refuses to overwrite', async () => {
    const dir = repo(minimalRepo());
    const result = await run(['keygen'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('promptops.pub  public key');
    expect(result.stdout).toContain('gh secret set PROMPTOPS_SIGNING_KEY');
    const privateKey = readFileSync(join(dir, '.promptops/keys/signing.key'), 'utf8');
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(join(dir, '.promptops/keys/signing.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'promptops.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const again = await run(['keygen'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; pass --force');
  });
});

describe('promptops publish, releases, rollback', () => {
  it('signs and releases by compare-and-set; the same revision twice is a no-op; rollback moves the pointer back', async () => {
    const dir = await published();
    const first = await run(['publish', '--env', 'production'], { cwd: dir, env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/✔ production: released [0-9a-f]{12} from [0-9a-f]{7} as #1/);
    const store = storeOf(dir);
    onTestFinished(() => store.close());
    const r1 = (await store.current('production'))!;
    const verified = verifyEnvelope((await store.getBundle(r1.revision))!.bytes, { publicKey: KEYS.publicKey, environment: 'production' });
    expect(verified.bundle.prompts.greet).toBeDefined();
    expect(r1).toMatchObject({ seq: 1, action: 'publish', actor: 'tester', commit: (await simpleGit({ baseDir: dir }).revparse(['HEAD'])).trim() });

    const same = await run(['publish', '--env', 'production'], { cwd: dir, env: env() });
    expect(same.stdout).toContain(`production: ${r1.revision.slice(0, 12)} is already the release (#1); nothing to do`);

    await commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Say hi') });
    const second = await run(['publish', '--env', 'production'], { cwd: dir, env: env() });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const r2 = (await store.current('production'))!;
    expect(r2).toMatchObject({ seq: 2, previous: r1.revision });

    const back = await run(['rollback', '--env', 'production', '--to', r1.revision.slice(0, 10)], { cwd: dir, env: env() });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`rolled back to ${r1.revision.slice(0, 12)} as #3`);
    const history = await run(['releases', '--env', 'production', '--json'], { cwd: dir });
    const releases = JSON.parse(history.stdout).environments.production;
    expect(releases.map((r: { seq: number; action: string; revision: string }) => [r.seq, r.action, r.revision])).toEqual([[3, 'rollback', r1.revision], [2, 'publish', r2.revision], [1, 'publish', r1.revision]]);
    const text = await run(['releases', '--env', 'production'], { cwd: dir });
    expect(text.stdout).toContain(`rollback from ${r2.revision.slice(0, 12)}`);

    // Every environment, in the order the config declares them (not alphabetical: staging before production).
    expect((await run(['publish', '--env', 'staging,development'], { cwd: dir, env: env() })).code).toBe(0);
    const all = await run(['releases', '--limit', '1'], { cwd: dir });
    expect(all.stdout.split('\n').filter((line) => /^\w/.test(line))).toEqual(['development', 'staging', 'production']);
  });

  it('refuses a run from an older commit unless forced, and uncommitted content', async () => {
    const dir = await published();
    const git = simpleGit({ baseDir: dir });
    const old = (await git.revparse(['HEAD'])).trim();
    await commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Say hi') });
    expect((await run(['publish', '--env', 'staging'], { cwd: dir, env: env() })).code).toBe(0);
    const store = storeOf(dir);
    onTestFinished(() => store.close());
    const released = (await store.current('staging'))!;
    await git.checkout(old);
    // A dry run answers whether the real run would succeed: same refusal, same exit code.
    for (const flags of [[], ['--dry-run']]) {
      const stale = await run(['publish', '--env', 'staging', ...flags], { cwd: dir, env: env() });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/which already contains this commit [0-9a-f]{7}: refusing to go back/);
    }
    const forcedDry = await run(['publish', '--env', 'staging', '--force', '--dry-run'], { cwd: dir, env: env() });
    expect(forcedDry.code).toBe(0);
    expect(forcedDry.stdout).toMatch(new RegExp(`~ staging: would release [0-9a-f]{12} from ${old.slice(0, 7)} \\([\\d,]+ bytes\\), replacing #1 ${released.revision.slice(0, 12)}`));
    expect(await store.current('staging')).toEqual(released);
    expect((await run(['publish', '--env', 'staging', '--force'], { cwd: dir, env: env() })).code).toBe(0);
    expect((await store.current('staging'))!.seq).toBe(2);

    writeFileSync(join(dir, 'prompts/greet.yaml'), PROMPT_YAML.replace('Say hello', 'Say yo'));
    for (const flags of [[], ['--dry-run']]) {
      const dirty = await run(['publish', '--env', 'staging', ...flags], { cwd: dir, env: env() });
      expect(dirty.code).toBe(1);
      expect(dirty.stderr).toContain('uncommitted changes');
    }
  });

  it('needs a signing key for shared stores, uses a local development key for file stores, and fails with 3 when the store is down', async () => {
    const dir = await published();
    const noKey = await run(['publish', '--env', 'development', '--store', 'postgres://127.0.0.1:1/none'], { cwd: dir, env: {} });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no signing key: set PROMPTOPS_SIGNING_KEY');
    const dev = await run(['publish', '--env', 'development'], { cwd: dir, env: { USER: 'tester' } });
    expect(dev.code).toBe(0);
    expect(dev.stderr).toContain('signing with the local development key .promptops/keys/dev-signing.key');
    const down = await run(['publish', '--env', 'development', '--store', 'postgres://promptops:hunter2@127.0.0.1:1/none'], { cwd: dir, env: env() });
    expect(down.code).toBe(3);
    expect(down.stderr).not.toContain('hunter2');
  });

  it('publishes an environment with require_pr_approval only from an approved, merged pull request', async () => {
    const dir = await published();
    const config = readFileSync(join(dir, 'promptops.config.yaml'), 'utf8').replace('publish: [approved]', 'publish: [approved]\n    require_pr_approval: true');
    const sha = await commitChanges(dir, { 'promptops.config.yaml': config });
    const reviews: Array<{ user: { login: string }; state: string }> = [{ user: { login: 'ana' }, state: 'APPROVED' }, { user: { login: 'bo' }, state: 'CHANGES_REQUESTED' }];
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== 'token gh-token') return res.writeHead(401).end('{"message":"Bad credentials"}');
      if (req.url === `/repos/acme/app/commits/${sha}/pulls`) return res.end(JSON.stringify([{ number: 12, merged_at: '2026-11-20T10:00:00Z' }]));
      if (req.url?.startsWith('/repos/acme/app/pulls/12/reviews')) return res.end(JSON.stringify(reviews));
      res.writeHead(404).end('{"message":"Not Found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const github = env({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/app', GITHUB_TOKEN: 'gh-token', GITHUB_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const refused = await run(['publish', '--env', 'production'], { cwd: dir, env: github });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pull request #12 that merged');
    expect(requests).toEqual([`GET /repos/acme/app/commits/${sha}/pulls`, 'GET /repos/acme/app/pulls/12/reviews?per_page=100']);
    // Staging does not require approval: no GitHub call.
    expect((await run(['publish', '--env', 'staging'], { cwd: dir, env: github })).code).toBe(0);
    expect(requests).toHaveLength(2);
    reviews.push({ user: { login: 'bo' }, state: 'APPROVED' });
    const approved = await run(['publish', '--env', 'production'], { cwd: dir, env: github });
    expect(approved.code).toBe(0);
  });
});

describe('promptops serve', () => {
  it('serves the release with ETag/304, long-polls until the release moves, and keeps revisions immutable', async () => {
    const dir = await published();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env: env() })).code).toBe(0);
    const store = storeOf(dir);
    const { server, close } = createBundleServer({ store, token: 'sesame' });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    onTestFinished(async () => {
      await close();
      await store.close();
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const auth = { authorization: 'Bearer sesame' };
    expect((await fetch(`${base}/v1/environments/production/bundle`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const first = await fetch(`${base}/v1/environments/production/bundle`, { headers: auth });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const envelope = verifyEnvelope(new Uint8Array(await first.arrayBuffer()), { publicKey: KEYS.publicKey, environment: 'production' });
    // fetch asks for gzip: the gzipped representation has a weak ETag; the plain one a strong one.
    expect(first.headers.get('content-encoding')).toBe('gzip');
    expect(etag).toBe(`W/"${envelope.revision}"`);
    const plain = await fetch(`${base}/v1/environments/production/bundle`, { headers: { ...auth, 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('etag')).toBe(`"${envelope.revision}"`);
    const plainBytes = new Uint8Array(await plain.arrayBuffer());
    expect(Number(plain.headers.get('content-length'))).toBe(plainBytes.byteLength);
    expect(verifyEnvelope(plainBytes, { publicKey: KEYS.publicKey, environment: 'production' }).revision).toBe(envelope.revision);
    const zipped = await rawGet(`${base}/v1/environments/production/bundle`, { ...auth, 'accept-encoding': 'gzip;q=1, identity;q=0.5' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.byteLength).toBeLessThan(plainBytes.byteLength * 0.6);
    expect(new Uint8Array(gunzipSync(zipped.body))).toEqual(plainBytes);
    expect((await rawGet(`${base}/v1/environments/production/bundle`, { ...auth, 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    // Either form of the ETag matches.
    expect((await fetch(`${base}/v1/environments/production/bundle`, { headers: { ...auth, 'if-none-match': `"${envelope.revision}"` } })).status).toBe(304);
    expect((await fetch(`${base}/v1/environments/production/bundle`, { headers: { ...auth, 'if-none-match': etag } })).status).toBe(304);
    const immutable = await fetch(`${base}/v1/bundles/${envelope.revision}`, { headers: auth });
    expect(immutable.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    const started = performance.now();
    const waiting = fetch(`${base}/v1/environments/production/bundle?wait=20`, { headers: { ...auth, 'if-none-match': etag } });
    await new Promise((r) => setTimeout(r, 300));
    await commitChanges(dir, { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello', 'Say hi') });
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env: env() })).code).toBe(0);
    const moved = await waiting;
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).not.toBe(etag);
    expect(performance.now() - started).toBeLessThan(5_000);

    const quiet = await fetch(`${base}/v1/environments/production/bundle?wait=1`, { headers: { ...auth, 'if-none-match': moved.headers.get('etag')! } });
    expect(quiet.status).toBe(304);
    expect((await fetch(`${base}/v1/environments/nowhere/bundle`, { headers: auth })).status).toBe(404);
  });
});

describe('promptops pull', () => {
  it('verifies the bundle of a local publish with the development key, from the store or over HTTP', async () => {
    const dir = await published();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester' } })).code).toBe(0);
    const fromStore = await run(['pull', '--env', 'production'], { cwd: dir });
    expect(fromStore.stderr).toContain('verifying with the local development key .promptops/keys/dev-signing.pub');
    expect(fromStore.code).toBe(0);
    const out = join(dir, '.promptops/pulled/production.json');
    expect(fromStore.stdout).toMatch(new RegExp(`✔ production: [0-9a-f]{12} verified \\(signature [\\w-]+, sha256\\) → ${out}`));
    const devPublic = readFileSync(join(dir, '.promptops/keys/dev-signing.pub'), 'utf8');
    const verified = verifyEnvelope(readFileSync(out), { publicKey: devPublic, environment: 'production' });
    const store = storeOf(dir);
    onTestFinished(() => store.close());
    expect(verified.revision).toBe((await store.current('production'))!.revision);

    const { server, close } = createBundleServer({ store, token: 'sesame' });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    onTestFinished(() => close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http = await run(['pull', '--env', 'production', '--source', base, '--token-env', 'TOKEN', '--out', 'bundle.json', '--json'], { cwd: dir, env: { TOKEN: 'sesame' } });
    expect(http.code).toBe(0);
    expect(JSON.parse(http.stdout)).toMatchObject({ environment: 'production', revision: verified.revision, out: join(dir, 'bundle.json') });
    expect(readFileSync(join(dir, 'bundle.json'))).toEqual(readFileSync(out));
    expect((await run(['pull', '--env', 'production', '--source', base], { cwd: dir })).stderr).toContain('answered HTTP 401');
    expect((await run(['pull', '--env', 'staging', '--source', base, '--token-env', 'TOKEN'], { cwd: dir, env: { TOKEN: 'sesame' } })).code).toBe(1);
  });

  it('refuses a bundle signed by another key and keeps the file it had; says what is missing', async () => {
    const dir = await published();
    expect((await run(['publish', '--env', 'production'], { cwd: dir, env: env() })).code).toBe(0);
    writeFileSync(join(dir, 'promptops.pub'), KEYS.publicKey);
    expect((await run(['pull', '--env', 'production'], { cwd: dir })).code).toBe(0);
    const good = readFileSync(join(dir, '.promptops/pulled/production.json'));

    writeFileSync(join(dir, 'other.pub'), generateSigningKeys().publicKey);
    const wrong = await run(['pull', '--env', 'production', '--public-key', 'other.pub'], { cwd: dir });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/promptops pull: refusing the bundle from file:\/\/.+: .*key/);
    expect(readFileSync(join(dir, '.promptops/pulled/production.json'))).toEqual(good);

    const noKey = await run(['pull', '--env', 'production', '--public-key', 'missing.pub'], { cwd: dir });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('cannot read the public key');
    const down = await run(['pull', '--env', 'production', '--source', 'http://127.0.0.1:1'], { cwd: dir });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach http://127.0.0.1:1');
  });
});
