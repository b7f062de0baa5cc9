import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Repository } from '../core/repository.js';
import { keyId } from '../runtime/envelope.js';
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

/** The public key runtimes verify with, as the repository configures it. */
export interface ConfiguredPublicKey {
  /** As written in the config (or `promptops.pub`), for messages. */
  path: string;
  pem: string;
  keyId: string;
}

/**
 * The configured public key: `signing.public_key`, else a committed `promptops.pub`; undefined when
 * neither is there. A `signing.public_key` naming a missing or unreadable file is an error, not "none":
 * the runtimes are told to verify with it.
 */
export function configuredPublicKey(repo: Pick<Repository, 'root' | 'config'>): ConfiguredPublicKey | undefined {
  const named = repo.config.signing?.public_key;
  const path = named ?? DEFAULT_PUBLIC_KEY;
  const abs = resolve(repo.root, path);
  if (!existsSync(abs)) {
    if (named === undefined) return undefined;
    throw new SigningKeyError(`signing.public_key is ${named}, which does not exist: fix the path in promptops.config.yaml, or create the key pair with "promptops keygen"`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(abs, 'utf8'));
  } catch {
    throw new SigningKeyError(`${path} is not a PEM public key (expected "-----BEGIN PUBLIC KEY-----", as written by "promptops keygen")`);
  }
  return { path, pem: key.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyId(key) };
}

/**
 * The key `publish` signs with: always the private half of the configured public key (DESIGN §6), so
 * no runtime receives a bundle it cannot verify. The private key comes from the environment variable
 * the config names (default PROMPTOPS_SIGNING_KEY). Only when no public key is configured, and only
 * when `allowDevKey` (a local file store), a development key kept under .promptops/ (git-ignored) is
 * created once and reused, so the quick start works without secrets.
 */
export function resolveSigningKey(repo: Pick<Repository, 'root' | 'config'>, env: Record<string, string | undefined>, options: { allowDevKey: boolean }): SigningKey {
  const name = repo.config.signing?.private_key_env ?? DEFAULT_KEY_ENV;
  const configured = configuredPublicKey(repo);
  const pem = env[name];
  if (pem) {
    let privateKey: KeyObject;
    try {
      privateKey = privateKeyFrom(pem);
    } catch (error) {
      throw new SigningKeyError(`${name}: ${(error as Error).message}`);
    }
    const publicKey = createPublicKey(privateKey);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    if (configured && configured.pem !== publicKeyPem) {
      throw new SigningKeyError(`${name} holds the private key of key ${keyId(publicKey)}, not of the configured public key ${configured.path} (key ${configured.keyId}): runtimes verifying with ${configured.path} would reject the bundle; set ${name} to the private key of ${configured.path}`);
    }
    return { privateKey, publicKeyPem, source: 'env', origin: name };
  }
  if (configured) {
    throw new SigningKeyError(`no private key for the configured public key ${configured.path} (key ${configured.keyId}): set ${name} to its private key (the PEM written by "promptops keygen"; in CI, from a secret); the development key is not used when a public key is configured`);
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

/** Writes a private key readable by the owner only, atomically. */
export function writeKeyFile(path: string, pem: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, pem, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
