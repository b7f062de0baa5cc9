import { simpleGit } from 'simple-git';
import { buildManifest, compileBundle } from '../core/compile.js';
import type { Diagnostic } from '../core/diagnostics.js';
import type { Repository } from '../core/repository.js';
import { sourceInfo, type SourceInfo } from '../git/source.js';
import { signBundle } from './sign.js';
import type { SigningKey } from './keys.js';
import { keyId, verifyEnvelope, type Envelope } from '../runtime/envelope.js';
import { ConflictError, type Release, type Store, type StoredBundle } from './store.js';

export interface PublishOptions {
  repo: Repository;
  environment: string;
  store: Store;
  key: SigningKey;
  actor: string;
  /** Publish even from a commit older than the current release's. */
  force?: boolean;
  /** Compile and sign, but change nothing in the store. */
  dryRun?: boolean;
  /** Publish uncommitted content (a local sandbox store); the release then records no commit. */
  allowDirty?: boolean;
  /** Checks the source commit may be published (e.g. an approved pull request); throws PublishRefusedError. */
  approve?: (source: SourceInfo) => Promise<void>;
  /** Compare-and-set attempts before giving up on a busy environment. */
  attempts?: number;
}

export interface PublishResult {
  environment: string;
  revision: string;
  /** `released`: the pointer moved; `unchanged`: this revision is already the release; `dry-run`: nothing written. */
  outcome: 'released' | 'unchanged' | 'dry-run';
  /** Key id of the signature (the configured public key's). */
  key_id: string;
  /** The revision was stored signed by another key (this key id): its envelope was replaced (or, in a dry run, would be). */
  resigned?: string;
  release?: Release;
  previous?: Release;
  bytes: number;
  source: SourceInfo;
  diagnostics: Diagnostic[];
}

/** Publishing is not allowed (older commit, no approval, uncommitted content): exit 1. */
export class PublishRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishRefusedError';
  }
}

/**
 * Compiles, signs and publishes one environment: the bundle is stored by revision (immutable), then
 * the release pointer moves by compare-and-set. A lost race is retried from a fresh read, so the
 * older-commit rule is checked against the release that actually won.
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  const { repo, environment, store } = options;
  const compiled = compileBundle({ repo, environment });
  if (!compiled.value) return { environment, revision: '', key_id: '', outcome: 'dry-run', bytes: 0, source: { dirty: true }, diagnostics: compiled.diagnostics };
  const source = await sourceInfo(repo.root);
  // A dry run answers "would this publish succeed?", so it applies every refusal the real run would.
  if (source.dirty && !options.allowDirty) throw new PublishRefusedError('the configuration has uncommitted changes: commit them first, so the release records the commit it was built from');
  await options.approve?.(source);
  const revision = compiled.value.revision;
  const bytes = Buffer.from(signBundle(compiled.value, buildManifest(compiled.value, source), options.key.privateKey));
  const base = { environment, revision, key_id: keyId(options.key.publicKeyPem), bytes: bytes.byteLength, source, diagnostics: compiled.diagnostics };
  const resigned = await storeBundle(store, { revision, environment, bytes }, options.key, options.dryRun);
  for (let attempt = 1; ; attempt++) {
    const current = await store.current(environment);
    const extra = resigned ? { resigned } : {};
    if (current?.revision === revision) {
      // A re-signed current release moves once more, so the history records it and watchers (serve) re-read it.
      if (!resigned || attempt > 1) return { ...base, ...extra, outcome: 'unchanged', release: current, previous: current };
    } else if (current && !options.force) await refuseOlder(repo.root, current, source);
    if (options.dryRun) return { ...base, ...extra, outcome: 'dry-run', previous: current };
    try {
      const release = await store.release({
        environment, revision, expectedSeq: current?.seq ?? 0,
        ...(source.dirty ? {} : { commit: source.commit, committed_at: source.committed_at }), actor: options.actor, action: 'publish',
      });
      return { ...base, ...extra, outcome: 'released', release, previous: current };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= (options.attempts ?? 5)) throw error;
    }
  }
}

/**
 * Stores the signed bundle. A revision already stored is kept when its envelope verifies with this
 * key (the same revision and signature: a no-op); one signed with another key — which runtimes
 * trusting the configured key refuse — is replaced, so a wrong-key release is recoverable without
 * touching the store by hand. Returns the key id of the replaced envelope's signature.
 */
async function storeBundle(store: Store, bundle: StoredBundle, key: SigningKey, dryRun: boolean | undefined): Promise<string | undefined> {
  const stored = await store.getBundle(bundle.revision);
  if (!stored) {
    if (!dryRun) await store.putBundle(bundle);
    return undefined;
  }
  if (verifies(stored.bytes, key.publicKeyPem)) return undefined;
  const signer = signerOf(stored.bytes);
  if (dryRun) return signer;
  if (await store.replaceBundle(bundle, stored.bytes)) return signer;
  // Another publisher replaced it first: fine if it used this key too.
  const now = await store.getBundle(bundle.revision);
  if (now && verifies(now.bytes, key.publicKeyPem)) return signer;
  throw new PublishRefusedError(`the stored envelope of ${bundle.revision.slice(0, 12)} changed while it was being re-signed, and not with this key: run publish again`);
}

const verifies = (bytes: Uint8Array, publicKey: string): boolean => {
  try {
    verifyEnvelope(bytes, { publicKey });
    return true;
  } catch {
    return false;
  }
};

/** The key id an envelope names, for the message; `unreadable` when the stored bytes are not an envelope. */
function signerOf(bytes: Uint8Array): string {
  try {
    const id = (JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<Envelope>).signature?.key_id;
    return typeof id === 'string' ? id : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A run from an older commit (say, a re-run of an old CI job) must not replace a newer release. */
async function refuseOlder(root: string, current: Release, source: SourceInfo): Promise<void> {
  if (!current.commit || !source.commit || current.commit === source.commit) return;
  const git = simpleGit({ baseDir: root });
  // simple-git resolves on a non-zero exit without stderr, so --is-ancestor's exit code is not usable: compare the merge-base instead.
  const isAncestor = async (a: string, b: string) => (await git.raw(['merge-base', a, b]).then((out) => out.trim(), () => '')) === a;
  const known = Boolean(await git.raw(['rev-parse', '--verify', '--quiet', `${current.commit}^{commit}`]).then((out) => out.trim(), () => ''));
  if (known) {
    if (await isAncestor(source.commit, current.commit)) {
      throw new PublishRefusedError(`the current release of "${current.environment}" (#${current.seq}) was built from ${current.commit.slice(0, 7)}, which already contains this commit ${source.commit.slice(0, 7)}: refusing to go back (use "promptops rollback", or --force)`);
    }
    return;
  }
  // The release's commit is not in this clone (shallow): fall back to commit dates.
  if (current.committed_at && source.committed_at && Date.parse(current.committed_at) > Date.parse(source.committed_at)) {
    throw new PublishRefusedError(`the current release of "${current.environment}" (#${current.seq}) comes from a newer commit (${current.commit.slice(0, 7)}, ${current.committed_at}) than this one (${source.commit.slice(0, 7)}, ${source.committed_at}): refusing (use --force)`);
  }
}
