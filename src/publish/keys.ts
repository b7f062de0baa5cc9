import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Repository } from '../core/repository.js';
import { generateSigningKeys, privateKeyFrom } from './sign.js';

export const DEFAULT_KEY_ENV = 'PROMPTOPS_SIGNING_KEY';
export const DEFAULT_PUBLIC_KEY = 'promptops.pub';
/** A per-checkout key for local file stores only; never used for shared stores. */
export const DEV_KEY_FILE = '.promptops/keys/dev-signing.key';
/** Its public half, which `pull` falls back to when no other public key is configured or committed. */
export const DEV_PUBLIC_KEY_FILE = '.promptops/keys/dev-signing.pub';

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** Where the private key came from. */
  source: 'env' | 'dev';
  /** The environment variable read, or the development key file. */
  origin: string;
}

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/**
 * The private key from the environment variable the config names (default PROMPTOPS_SIGNING_KEY).
 * Without it, and only when `allowDevKey` (a local file store), a development key kept under
 * .promptops/ (git-ignored) is created once and reused, so the quick start works without secrets.
 */
export function resolveSigningKey(repo: Pick<Repository, 'root' | 'config'>, env: Record<string, string | undefined>, options: { allowDevKey: boolean }): SigningKey {
  const name = repo.config.signing?.private_key_env ?? DEFAULT_KEY_ENV;
  const pem = env[name];
  if (pem) {
    let privateKey: KeyObject;
    try {
      privateKey = privateKeyFrom(pem);
    } catch (error) {
      throw new SigningKeyError(`${name}: ${(error as Error).message}`);
    }
    const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    checkCommittedKey(repo, publicKeyPem, name);
    return { privateKey, publicKeyPem, source: 'env', origin: name };
  }
  if (!options.allowDevKey) {
    throw new SigningKeyError(`no signing key: set ${name} to the Ed25519 private key (PEM) from "promptops keygen" — in CI, from a secret`);
  }
  const file = join(repo.root, DEV_KEY_FILE);
  if (!existsSync(file)) writeKeyFile(file, generateSigningKeys().privateKey);
  const privateKey = privateKeyFrom(readFileSync(file, 'utf8'));
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  // Written on every use, so it always matches the private key next to it.
  const publicFile = join(repo.root, DEV_PUBLIC_KEY_FILE);
  if (!existsSync(publicFile) || readFileSync(publicFile, 'utf8') !== publicKeyPem) writeFileSync(publicFile, publicKeyPem);
  return { privateKey, publicKeyPem, source: 'dev', origin: DEV_KEY_FILE };
}

/**
 * The public key `pull` verifies with: the flag, else signing.public_key, else the committed
 * promptops.pub, else the local development key's public half (bundles published to a local file
 * store without a configured key). `dev` tells the caller to say so.
 */
export function resolvePublicKeyPath(repo: Pick<Repository, 'root' | 'config'>, flag: string | undefined): { path: string; dev: boolean } {
  const chosen = flag ?? repo.config.signing?.public_key;
  if (chosen !== undefined) return { path: resolve(repo.root, chosen), dev: false };
  const committed = join(repo.root, DEFAULT_PUBLIC_KEY);
  const dev = join(repo.root, DEV_PUBLIC_KEY_FILE);
  if (!existsSync(committed) && existsSync(dev)) return { path: dev, dev: true };
  return { path: committed, dev: false };
}

/** The committed public key (signing.public_key) must match, or runtimes would reject every bundle. */
function checkCommittedKey(repo: Pick<Repository, 'root' | 'config'>, publicKeyPem: string, name: string): void {
  const path = repo.config.signing?.public_key;
  if (!path) return;
  const abs = isAbsolute(path) ? path : join(repo.root, path);
  if (!existsSync(abs)) return;
  const committed = createPublicKey(readFileSync(abs, 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
  if (committed !== publicKeyPem) throw new SigningKeyError(`${name} does not belong to the public key in ${path}: runtimes verifying with ${path} would reject the bundle`);
}

/** Writes a private key readable by the owner only, atomically. */
export function writeKeyFile(path: string, pem: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, pem, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
