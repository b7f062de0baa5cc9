import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { CompiledBundle, Manifest } from '../core/compile.js';
import { keyId, PAYLOAD_TYPE, type Envelope } from '../runtime/envelope.js';

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

/** The signed envelope of a compiled bundle, serialised: these bytes are what stores keep and serve. */
export function signBundle(compiled: Pick<CompiledBundle, 'canonical' | 'revision'>, manifest: Manifest, privateKey: KeyObject): string {
  const signature = sign(null, Buffer.from(compiled.canonical, 'utf8'), privateKey).toString('base64');
  const envelope: Envelope = {
    payload_type: PAYLOAD_TYPE,
    payload: compiled.canonical,
    manifest: { ...manifest, revision: compiled.revision },
    signature: { alg: 'ed25519', key_id: keyId(createPublicKey(privateKey)), value: signature },
  };
  return JSON.stringify(envelope);
}
