import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Bundle, Manifest } from '../core/compile.js';

export const PAYLOAD_TYPE = 'application/vnd.promptops.bundle+json';

/**
 * A signed bundle as stored, served and cached. The bundle travels as its canonical JSON string
 * (`payload`), so verifying needs no re-serialisation: revision = sha256(payload), and the Ed25519
 * signature is over the payload's UTF-8 bytes. The manifest repeats the revision and adds where the
 * bundle came from; `release` (the signed release statement, see ReleaseStatement) covers it.
 */
export interface Envelope {
  payload_type: typeof PAYLOAD_TYPE;
  payload: string;
  manifest: Manifest;
  signature: { alg: 'ed25519'; key_id: string; value: string };
  /**
   * The release this envelope was signed for: `statement` is the JSON text of a ReleaseStatement,
   * `signature` the Ed25519 signature (base64, same key as `signature`) over RELEASE_DOMAIN +
   * statement. Absent in envelopes written before release statements existed.
   */
  release?: { statement: string; signature: string };
}

/**
 * What a publisher signs each time a release pointer moves to a revision. The bundle's revision is
 * the hash of its content, so a replayed old envelope is indistinguishable by content: the release
 * sequence number is what orders releases, and a client never takes a lower one than it has.
 */
export interface ReleaseStatement {
  environment: string;
  revision: string;
  /** The store's sequence number of this move (1-based, increasing with every publish and rollback). */
  seq: number;
  /** When it was signed (ISO 8601, the publisher's clock): information, not ordering. */
  signed_at: string;
  action: 'publish' | 'rollback';
  /** For a rollback: the revision the release moved away from. */
  rollback_of?: string;
  /** The manifest, so what the client reports of it is signed too. */
  manifest: Manifest;
}

/** Prefix of the signed bytes of a release statement, so a statement signature can never pass for a bundle signature. */
export const RELEASE_DOMAIN = 'promptops-release-v1\n';

export type VerificationCode = 'malformed' | 'hash-mismatch' | 'bad-signature' | 'wrong-key' | 'wrong-environment' | 'unsupported-schema' | 'bad-release' | 'older-release';

/** A bundle that must not be used; the reason is in `code`. */
export class BundleVerificationError extends Error {
  constructor(readonly code: VerificationCode, message: string) {
    super(message);
    this.name = 'BundleVerificationError';
  }
}

export interface VerifiedBundle {
  envelope: Envelope;
  bundle: Bundle;
  revision: string;
  /** The verified release statement; undefined for an envelope without one (written before they existed). */
  release?: ReleaseStatement;
  /** The manifest: the signed one of the release statement, else the envelope's (unsigned, older envelopes). */
  manifest: Manifest;
}

/** Key id: the first 16 hex digits of the sha256 of the public key (SPKI DER). */
export function keyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Parses and verifies an envelope: shape, revision hash, signature, environment and schema version. Throws BundleVerificationError. */
export function verifyEnvelope(data: string | Uint8Array, options: { publicKey: KeyObject | string; environment?: string }): VerifiedBundle {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch (error) {
    throw new BundleVerificationError('malformed', `the bundle is not JSON: ${(error as Error).message}`);
  }
  if (envelope?.payload_type !== PAYLOAD_TYPE || typeof envelope.payload !== 'string' || typeof envelope.manifest?.revision !== 'string' || envelope.signature?.alg !== 'ed25519' || typeof envelope.signature.value !== 'string') {
    throw new BundleVerificationError('malformed', 'not a promptops signed bundle (payload, manifest.revision and an ed25519 signature are required)');
  }
  const key = typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
  const revision = createHash('sha256').update(envelope.payload, 'utf8').digest('hex');
  if (revision !== envelope.manifest.revision) throw new BundleVerificationError('hash-mismatch', `the bundle's content hashes to ${revision.slice(0, 12)}, not to its revision ${envelope.manifest.revision.slice(0, 12)}: it was altered`);
  const id = keyId(key);
  if (envelope.signature.key_id !== id) throw new BundleVerificationError('wrong-key', `the bundle is signed with key ${envelope.signature.key_id}, not with the configured public key ${id}`);
  if (!verify(null, Buffer.from(envelope.payload, 'utf8'), key, Buffer.from(envelope.signature.value, 'base64'))) {
    throw new BundleVerificationError('bad-signature', 'the bundle signature does not verify with the configured public key');
  }
  const bundle = JSON.parse(envelope.payload) as Bundle;
  if (bundle.schema_version !== 1) throw new BundleVerificationError('unsupported-schema', `bundle schema version ${bundle.schema_version} is not supported by this client (1)`);
  if (options.environment !== undefined && bundle.environment !== options.environment) {
    throw new BundleVerificationError('wrong-environment', `the bundle is for environment "${bundle.environment}", not "${options.environment}"`);
  }
  const release = envelope.release === undefined ? undefined : verifyRelease(envelope.release, key, revision, bundle.environment);
  return { envelope, bundle, revision, release, manifest: release?.manifest ?? envelope.manifest };
}

function verifyRelease(signed: unknown, key: KeyObject, revision: string, environment: string): ReleaseStatement {
  const { statement, signature } = (signed ?? {}) as { statement?: unknown; signature?: unknown };
  if (typeof statement !== 'string' || typeof signature !== 'string') throw new BundleVerificationError('bad-release', 'the release statement is malformed (statement and signature must be strings)');
  if (!verify(null, Buffer.from(RELEASE_DOMAIN + statement, 'utf8'), key, Buffer.from(signature, 'base64'))) {
    throw new BundleVerificationError('bad-release', 'the release statement signature does not verify with the configured public key');
  }
  let release: ReleaseStatement;
  try {
    release = JSON.parse(statement) as ReleaseStatement;
  } catch {
    throw new BundleVerificationError('bad-release', 'the release statement is not JSON');
  }
  // Signed, so these fail only for a publisher bug; checked anyway, since ordering relies on them.
  if (!Number.isInteger(release?.seq) || release.seq < 1 || (release.action !== 'publish' && release.action !== 'rollback') || typeof release.manifest?.revision !== 'string') {
    throw new BundleVerificationError('bad-release', 'the release statement lacks a positive seq, an action or a manifest');
  }
  if (release.revision !== revision || release.manifest.revision !== revision) throw new BundleVerificationError('bad-release', `the release statement is for revision ${String(release.revision).slice(0, 12)}, not for this bundle's ${revision.slice(0, 12)}`);
  if (release.environment !== environment) throw new BundleVerificationError('bad-release', `the release statement is for environment "${release.environment}", not "${environment}"`);
  return release;
}

/**
 * Why `candidate` must not replace `known` (the newest release a client has verified), or undefined
 * when it may. Releases are ordered by their signed seq; an envelope without a statement is taken
 * only while the known one has none either (older publishers), never to replace one that has.
 */
export function olderRelease(candidate: Pick<VerifiedBundle, 'revision' | 'release'>, known: Pick<VerifiedBundle, 'revision' | 'release'> | undefined): string | undefined {
  const k = known?.release;
  if (!k) return undefined;
  const c = candidate.release;
  const at = `release #${k.seq} (${k.revision.slice(0, 12)})`;
  if (!c) return `the bundle ${candidate.revision.slice(0, 12)} carries no signed release statement and cannot replace ${at}, which does (an old envelope replayed, or a publisher older than this client)`;
  if (c.seq < k.seq) return `the bundle is release #${c.seq} (${c.revision.slice(0, 12)}), older than the active ${at}: refusing to go back (an old envelope replayed; a rollback is a new release made by "promptops rollback")`;
  if (c.seq === k.seq && c.revision !== k.revision) return `the bundle claims release #${c.seq} for ${c.revision.slice(0, 12)}, but ${at} is that release: refusing it`;
  return undefined;
}
