import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { CompiledBundle, Manifest } from '../core/compile.js';
import { keyId, PAYLOAD_TYPE, RELEASE_DOMAIN, type Envelope, type ReleaseStatement } from '../runtime/envelope.js';

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public). */
export function generateSigningKeys(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey),
  };
}

/** Reads an Ed25519 private key from PEM; the error never echoes the key. */
export function privateKeyFrom(pem: string): KeyObject {
  let key: KeyObject;
  try {
    // Secrets pasted into CI settings often lose their line breaks; restore them.
    key = createPrivateKey(pem.includes('\n') ? pem : pem.replace(/\\n/g, '\n'));
  } catch {
    throw new Error('the signing key is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", as written by "promptops keygen")');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is a ${key.asymmetricKeyType} key; promptops signs with Ed25519 ("promptops keygen")`);
  return key;
}

/** The release a pointer move makes: what `publish` and `rollback` sign into the envelope they store. */
export interface ReleaseMove {
  /** The store's seq of this move: the current release's seq + 1 (the compare-and-set makes it so). */
  seq: number;
  action: 'publish' | 'rollback';
  rollback_of?: string;
  signedAt?: Date;
}

/**
 * The signed envelope of a compiled bundle, serialised: these bytes are what stores keep and serve.
 * With `release`, it carries the signed release statement clients order releases by (every store
 * write by publish and rollback has one); without, it is an envelope as older versions wrote them.
 */
export function signBundle(compiled: Pick<CompiledBundle, 'canonical' | 'revision'>, manifest: Manifest, privateKey: KeyObject, release?: ReleaseMove): string {
  const signature = sign(null, Buffer.from(compiled.canonical, 'utf8'), privateKey).toString('base64');
  const signedManifest: Manifest = { ...manifest, revision: compiled.revision };
  const envelope: Envelope = {
    payload_type: PAYLOAD_TYPE,
    payload: compiled.canonical,
    manifest: signedManifest,
    signature: { alg: 'ed25519', key_id: keyId(createPublicKey(privateKey)), value: signature },
  };
  if (release) {
    const statement: ReleaseStatement = {
      environment: manifest.environment,
      revision: compiled.revision,
      seq: release.seq,
      signed_at: (release.signedAt ?? new Date()).toISOString(),
      action: release.action,
      ...(release.rollback_of ? { rollback_of: release.rollback_of } : {}),
      manifest: signedManifest,
    };
    const text = JSON.stringify(statement);
    envelope.release = { statement: text, signature: sign(null, Buffer.from(RELEASE_DOMAIN + text, 'utf8'), privateKey).toString('base64') };
  }
  return JSON.stringify(envelope);
}
