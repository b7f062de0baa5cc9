import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Bundle, Manifest } from '../core/compile.js';

export const PAYLOAD_TYPE = 'application/vnd.promptops.bundle+json';

/**
 * A signed bundle as stored, served and cached. The bundle travels as its canonical JSON string
 * (`payload`), so verifying needs no re-serialisation: revision = sha256(payload), and the Ed25519
 * signature is over the payload's UTF-8 bytes. Only the payload is signed; the manifest repeats
 * the revision and adds where the bundle came from.
 */
export interface Envelope {
  payload_type: typeof PAYLOAD_TYPE;
  payload: string;
  manifest: Manifest;
  signature: { alg: 'ed25519'; key_id: string; value: string };
}

export type VerificationCode = 'malformed' | 'hash-mismatch' | 'bad-signature' | 'wrong-key' | 'wrong-environment' | 'unsupported-schema';

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
  return { envelope, bundle, revision };
}
