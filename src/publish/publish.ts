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
 * Compiles, signs and publishes one environment: the bundle is stored by revision, signed for this
 * release (its statement carries the seq the move will get), then the release pointer moves by
 * compare-and-set. A lost race is retried from a fresh read, so the older-commit rule is checked
 * against the release that actually won, and the statement names the seq actually taken.
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
  const manifest = buildManifest(compiled.value, source);
  const base = { environment, revision, key_id: keyId(options.key.publicKeyPem), source, diagnostics: compiled.diagnostics };
  for (let attempt = 1; ; attempt++) {
    const current = await store.current(environment);
    const stored = await store.getBundle(revision);
    // Signed with another key, which runtimes trusting the configured key refuse: replaced, so a
    // wrong-key release is recoverable without touching the store by hand.
    const resigned = stored && !verifies(stored.bytes, options.key.publicKeyPem) ? signerOf(stored.bytes) : undefined;
    const extra = resigned ? { resigned } : {};
    if (current?.revision === revision && !resigned) return { ...base, bytes: stored?.bytes.byteLength ?? 0, outcome: 'unchanged', release: current, previous: current };
    if (current && current.revision !== revision && !options.force) await refuseOlder(repo.root, current, source);
    const bytes = Buffer.from(signBundle(compiled.value, manifest, options.key.privateKey, { seq: (current?.seq ?? 0) + 1, action: 'publish' }));
    if (options.dryRun) return { ...base, ...extra, bytes: bytes.byteLength, outcome: 'dry-run', previous: current };
    try {
      await storeEnvelope(store, { revision, environment, bytes }, stored);
      const release = await store.release({
        environment, revision, expectedSeq: current?.seq ?? 0,
        ...(source.dirty ? {} : { commit: source.commit, committed_at: source.committed_at }), actor: options.actor, action: 'publish',
      });
      return { ...base, ...extra, bytes: bytes.byteLength, outcome: 'released', release, previous: current };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= (options.attempts ?? 5)) throw error;
    }
  }
}

export interface RollbackOptions {
  environment: string;
  store: Store;
  key: SigningKey;
  actor: string;
  /** The revision to go back to (released before in this environment). */
  revision: string;
  /** The current release, as the caller saw it: the move fails (ConflictError) if another happened since. */
  current: Release;
  /** The commit the revision was released from (from the history), recorded again. */
  commit?: string;
  committed_at?: string;
}

/**
 * Moves the release back to an earlier revision. The stored envelope of that revision is checked
 * with the configured key and signed again for this release (a new seq, `action: rollback`), so
 * clients take it as newer than the release they have, while a replay of its old envelope is refused.
 */
export async function rollback(options: RollbackOptions): Promise<Release> {
  const { environment, store, revision, current } = options;
  const stored = await store.getBundle(revision);
  if (!stored) throw new PublishRefusedError(`the bundle ${revision.slice(0, 12)} is missing from ${store.url}`);
  let verified;
  try {
    verified = verifyEnvelope(stored.bytes, { publicKey: options.key.publicKeyPem, environment });
  } catch (error) {
    throw new PublishRefusedError(`the stored bundle ${revision.slice(0, 12)} does not verify with the configured public key (${(error as Error).message}): publish its commit again instead`);
  }
  const bytes = Buffer.from(signBundle({ canonical: verified.envelope.payload, revision }, verified.manifest, options.key.privateKey, { seq: current.seq + 1, action: 'rollback', rollback_of: current.revision }));
  await storeEnvelope(store, { revision, environment, bytes }, stored);
  return store.release({ environment, revision, expectedSeq: current.seq, actor: options.actor, action: 'rollback', ...(options.commit ? { commit: options.commit } : {}), ...(options.committed_at ? { committed_at: options.committed_at } : {}) });
}

/**
 * Stores the envelope signed for this release: new, or replacing the revision's stored one (the
 * payload, hence the revision, is the same; only the signatures differ). A replace that lost to
 * another writer is a ConflictError, retried from a fresh read like a lost pointer move.
 */
async function storeEnvelope(store: Store, bundle: StoredBundle, stored: StoredBundle | undefined): Promise<void> {
  if (!stored) return store.putBundle(bundle);
  if (!(await store.replaceBundle(bundle, stored.bytes))) throw new ConflictError(bundle.environment, await store.current(bundle.environment));
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
