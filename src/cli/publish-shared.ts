import { userInfo } from 'node:os';
import { loadRepository, type Repository } from '../core/repository.js';
import { DEFAULT_KEY_ENV, DEFAULT_PUBLIC_KEY, resolveSigningKey, SigningKeyError, type SigningKey } from '../publish/keys.js';
import { openStore } from '../publish/open-store.js';
import { StoreUnavailableError, type Store } from '../publish/store.js';
import { commonArgs, resolveRoot } from './_shared.js';
import { EXIT, ExitError, usageError } from './errors.js';
import { colors, type Io } from './io.js';

export const DEFAULT_STORE = 'file://.promptops/store';

export const storeArgs = {
  store: { type: 'string', description: 'Runtime store: file://dir or postgres://host/db (default: store.url of promptops.config.yaml, else file://.promptops/store)', valueHint: 'url' },
  root: commonArgs.root,
} as const;

export const storeUrl = (repo: Pick<Repository, 'config'>, flag: string | undefined): string => flag ?? repo.config.store?.url ?? DEFAULT_STORE;

/** Opens the store; a bad URL is a usage error (2), an unreachable store an infrastructure error (3). */
export async function openStoreFor(command: string, url: string, root: string): Promise<Store> {
  try {
    return await openStore(url, { root });
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new ExitError(EXIT.infra, `promptops ${command}: ${error.message}`);
    throw usageError(`promptops ${command}: ${(error as Error).message}`);
  }
}

/** The repository of `--root` and its store (`--store`, else the configured one), for the store commands. */
export async function repoStore(io: Io, command: string, args: { root?: string; store?: string }): Promise<{ root: string; repo: Repository; store: Store }> {
  const root = resolveRoot(io, args.root);
  const repo = loadRepository({ root }).value;
  return { root, repo, store: await openStoreFor(command, storeUrl(repo, args.store), root) };
}

/**
 * Runs `fn` with the store, mapping store outages to exit 3 and always closing it. Commands that
 * move a release (`moves: true`) also say that nothing moved.
 */
export async function withStore<T>(command: string, store: Store, fn: (store: Store) => Promise<T>, options: { moves?: boolean } = {}): Promise<T> {
  try {
    return await fn(store);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new ExitError(EXIT.infra, `promptops ${command}: ${error.message}${options.moves ? '; nothing was changed, the previous release is still served' : ''}`);
    throw error;
  } finally {
    await store.close().catch(() => {});
  }
}

/** Who moved a release: the flag, the CI actor, or the OS user. */
export function actorOf(io: Io, flag: string | undefined): string {
  if (flag) return flag;
  if (io.env.GITHUB_ACTOR) return `${io.env.GITHUB_ACTOR} (GitHub Actions)`;
  try {
    return io.env.USER || userInfo().username;
  } catch {
    return 'unknown';
  }
}

export const short = (revision: string) => revision.slice(0, 12);

/**
 * The key that signs what `publish` and `rollback` store. CI must sign with the real key: a
 * development key there would release bundles no runtime trusts. A missing key is a usage error.
 */
export function signingKeyFor(io: Io, command: string, repo: Repository, url: string, options: { quiet?: boolean } = {}): SigningKey {
  let key: SigningKey;
  try {
    key = resolveSigningKey(repo, io.env, { allowDevKey: url.startsWith('file:') && !io.env.CI });
  } catch (error) {
    if (error instanceof SigningKeyError) throw new ExitError(EXIT.usage, `promptops ${command}: ${error.message}`);
    throw error;
  }
  if (key.source === 'dev' && !options.quiet) io.err(colors(io).yellow(`signing with the local development key ${key.origin}: no public key is configured (signing.public_key, ${DEFAULT_PUBLIC_KEY}); file stores only, shared stores need ${repo.config.signing?.private_key_env ?? DEFAULT_KEY_ENV}`));
  return key;
}
