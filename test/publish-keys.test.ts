import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/publish/open-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { keyId, verifyEnvelope } from '../src/runtime/envelope.js';
import { usePostgres } from './helpers/postgres.js';
import { gitRepo, minimalRepo, repo, run } from './helpers/repo.js';

const postgres = usePostgres();

async function configRepo(overrides: Record<string, string> = {}): Promise<string> {
  const dir = repo(minimalRepo(overrides));
  await gitRepo(dir);
  return dir;
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('publish signs only with the key of the configured public key', () => {
  it('after keygen (private key moved to a secret), refuses a local publish without it: exit 2, one line, nothing stored', async () => {
    const dir = await configRepo();
    expect((await run(['keygen'], { cwd: dir })).code).toBe(0);
    rmSync(join(dir, '.promptops/keys/signing.key'));
    const id = keyId(readFileSync(join(dir, 'promptops.pub'), 'utf8'));
    const result = await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester' } });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `promptops publish: no private key for the configured public key promptops.pub (key ${id}): set PROMPTOPS_SIGNING_KEY to its private key (the PEM written by "promptops keygen"; in CI, from a secret); the development key is not used when a public key is configured`,
    ]);
    expect(result.stdout).toBe('');
    // Refused before the store was touched, and no development key was made.
    expect(existsSync(join(dir, '.promptops/store'))).toBe(false);
    expect(existsSync(join(dir, '.promptops/keys/dev-signing.key'))).toBe(false);
  });

  it('refuses a private key that does not belong to the public key, configured or the default promptops.pub', async () => {
    const configured = generateSigningKeys();
    const other = generateSigningKeys();
    for (const [label, files, shown] of [
      ['default', { 'promptops.pub': configured.publicKey }, 'promptops.pub'],
      ['configured', { 'keys/prod.pub': configured.publicKey, 'promptops.config.yaml': `${minimalRepo()['promptops.config.yaml']}signing:\n  public_key: keys/prod.pub\n  private_key_env: PROD_SIGNING_KEY\n` }, 'keys/prod.pub'],
    ] as const) {
      const dir = await configRepo(files);
      const name = label === 'configured' ? 'PROD_SIGNING_KEY' : 'PROMPTOPS_SIGNING_KEY';
      const result = await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester', [name]: other.privateKey } });
      expect(result.code, label).toBe(2);
      expect(lines(result.stderr), label).toEqual([
        `promptops publish: ${name} holds the private key of key ${other.keyId}, not of the configured public key ${shown} (key ${configured.keyId}): runtimes verifying with ${shown} would reject the bundle; set ${name} to the private key of ${shown}`,
      ]);
      expect(existsSync(join(dir, '.promptops/store')), label).toBe(false);
      const good = await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester', [name]: configured.privateKey } });
      expect(good.code, label).toBe(0);
      expect(good.stderr, label).toBe('');
    }
  });

  it('refuses when signing.public_key names a file that does not exist', async () => {
    const dir = await configRepo({ 'promptops.config.yaml': `${minimalRepo()['promptops.config.yaml']}signing:\n  public_key: keys/missing.pub\n` });
    const result = await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester' } });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual(['promptops publish: signing.public_key is keys/missing.pub, which does not exist: fix the path in promptops.config.yaml, or create the key pair with "promptops keygen"']);
  });

  it('uses the development key only when no public key is configured, and says so', async () => {
    const dir = await configRepo();
    const result = await run(['publish', '--env', 'production'], { cwd: dir, env: { USER: 'tester' } });
    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual(['signing with the local development key .promptops/keys/dev-signing.key: no public key is configured (signing.public_key, promptops.pub); file stores only, shared stores need PROMPTOPS_SIGNING_KEY']);
  });
});

describe('a release signed with the wrong key is recoverable', () => {
  const scenario = async (store: string | undefined) => {
    const dir = await configRepo();
    const storeArgs = store ? ['--store', store] : [];
    // The old way to get here: a publish signed with the development key before a public key was configured.
    const devKey = generateSigningKeys();
    const wrong = await run(['publish', '--env', 'production', ...storeArgs], { cwd: dir, env: { USER: 'tester', PROMPTOPS_SIGNING_KEY: devKey.privateKey } });
    expect(wrong.code, wrong.stderr).toBe(0);
    const right = generateSigningKeys();
    writeFileSync(join(dir, 'promptops.pub'), right.publicKey);
    const pulledWrong = await run(['pull', '--env', 'production', ...(store ? ['--source', store] : [])], { cwd: dir });
    expect(pulledWrong.code).toBe(1);
    expect(pulledWrong.stderr).toContain(`signed with key ${devKey.keyId}`);

    const fixed = await run(['publish', '--env', 'production', ...storeArgs], { cwd: dir, env: { USER: 'tester', PROMPTOPS_SIGNING_KEY: right.privateKey } });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(new RegExp(`^✔ production: re-signed [0-9a-f]{12} with key ${right.keyId} \\(the stored envelope was signed with key ${devKey.keyId}\\); released as #2\\n$`));
    const pulled = await run(['pull', '--env', 'production', ...(store ? ['--source', store] : [])], { cwd: dir });
    expect(pulled.code, pulled.stderr).toBe(0);

    const opened = openStore(store ?? 'file://.promptops/store', { root: dir });
    onTestFinished(() => opened.close());
    const current = (await opened.current('production'))!;
    const stored = (await opened.getBundle(current.revision))!;
    expect(verifyEnvelope(stored.bytes, { publicKey: right.publicKey, environment: 'production' }).revision).toBe(current.revision);
    const history = await opened.history('production');
    expect(history.map((r) => [r.seq, r.revision, r.previous])).toEqual([[2, current.revision, current.revision], [1, current.revision, undefined]]);

    // The same revision with the same signature: a no-op that changes nothing.
    const again = await run(['publish', '--env', 'production', ...storeArgs], { cwd: dir, env: { USER: 'tester', PROMPTOPS_SIGNING_KEY: right.privateKey } });
    expect(again.stdout).toContain(`production: ${current.revision.slice(0, 12)} is already the release (#2); nothing to do`);
    expect(Buffer.from((await opened.getBundle(current.revision))!.bytes).equals(Buffer.from(stored.bytes))).toBe(true);
    expect(await opened.history('production')).toHaveLength(2);
  };

  it('file store: republishing with the configured key replaces the envelope and moves the release', () => scenario(undefined));
  it.skipIf(!!postgres.skipReason)('postgres store: the same', async () => scenario(await postgres.database()));
});
