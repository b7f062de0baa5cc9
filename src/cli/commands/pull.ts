import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { loadRepository } from '../../core/repository.js';
import { DEFAULT_PUBLIC_KEY, DEV_PUBLIC_KEY_FILE, resolvePublicKeyPath } from '../../publish/keys.js';
import { BundleVerificationError, verifyEnvelope } from '../../runtime/envelope.js';
import { DEFAULT_MAX_BUNDLE_BYTES, readLimited, TooLargeError } from '../../runtime/_source.js';
import { positiveInt, resolveRoot } from '../_shared.js';
import { checkEnvironments } from '../environments.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { openStoreFor, short, storeArgs, storeUrl, withStore } from '../publish-shared.js';

export default defineCommand({
  args: {
    env: { type: 'string', required: true, description: 'Environment whose current release to pull', valueHint: 'name' },
    source: { type: 'string', description: 'http(s):// URL of "promptops serve", or a store URL (default: the configured store)', valueHint: 'url' },
    'public-key': { type: 'string', description: `Public key (PEM) that must have signed the bundle (default: signing.public_key, else ${DEFAULT_PUBLIC_KEY}, else the local development key's)`, valueHint: 'file' },
    'token-env': { type: 'string', description: 'Environment variable holding the bearer token of the server', valueHint: 'NAME' },
    out: { type: 'string', description: 'Where to write the verified bundle (default: .promptops/pulled/<env>.json)', valueHint: 'file' },
    'max-bundle-mb': { type: 'string', description: `Largest bundle accepted, in MiB (default ${DEFAULT_MAX_BUNDLE_BYTES / 1024 / 1024}); a larger or endless body is cut off and refused`, valueHint: 'n' },
    timeout: { type: 'string', description: 'Time limit of the download, body included, in seconds (default 30)', valueHint: 's' },
    root: storeArgs.root,
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const root = resolveRoot(io, args.root);
    const repo = loadRepository({ root }).value;
    await checkEnvironments('pull', repo, [args.env]);
    const { path: keyPath, dev } = resolvePublicKeyPath(repo, args['public-key']);
    if (dev && !args.json) io.err(c.yellow(`verifying with the local development key ${DEV_PUBLIC_KEY_FILE} (no signing.public_key or ${DEFAULT_PUBLIC_KEY})`));
    let publicKey: string;
    try {
      publicKey = readFileSync(keyPath, 'utf8');
    } catch {
      throw usageError(`promptops pull: cannot read the public key ${keyPath} (pass --public-key, or run "promptops keygen")`);
    }
    if (args['token-env'] && !io.env[args['token-env']]) throw usageError(`promptops pull: ${args['token-env']} is not set (it should hold the server's bearer token)`);
    const maxBytes = (positiveInt('pull', '--max-bundle-mb', args['max-bundle-mb']) ?? DEFAULT_MAX_BUNDLE_BYTES / 1024 / 1024) * 1024 * 1024;
    const timeoutMs = (positiveInt('pull', '--timeout', args.timeout) ?? 30) * 1000;
    if (timeoutMs > 86_400_000) throw usageError(`promptops pull: --timeout must be at most 86400 seconds, got "${args.timeout}"`);
    const source = args.source ?? storeUrl(repo, undefined);
    const bytes = /^https?:\/\//.test(source) ? await fetchBundle(source, args.env, args['token-env'] ? io.env[args['token-env']] : undefined, maxBytes, timeoutMs) : await fromStore(source, args.env, root);
    if (bytes.byteLength > maxBytes) throw new ExitError(EXIT.infra, `promptops pull: refusing the bundle from ${source}: ${bytes.byteLength.toLocaleString('en-US')} bytes, more than --max-bundle-mb allows (${maxBytes.toLocaleString('en-US')})`);
    let verified;
    try {
      verified = verifyEnvelope(bytes, { publicKey, environment: args.env });
    } catch (error) {
      if (error instanceof BundleVerificationError) throw new ExitError(EXIT.failed, `promptops pull: refusing the bundle from ${source}: ${error.message}`);
      throw error;
    }
    const out = resolve(io.cwd, args.out ?? resolve(root, '.promptops/pulled', `${args.env}.json`));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, bytes);
    renameSync(`${out}.tmp`, out);
    if (args.json) io.out(JSON.stringify({ version: 1, environment: args.env, revision: verified.revision, manifest: verified.manifest, ...(verified.release ? { release: { seq: verified.release.seq, action: verified.release.action, signed_at: verified.release.signed_at, ...(verified.release.rollback_of ? { rollback_of: verified.release.rollback_of } : {}) } } : {}), out }, null, 2));
    else io.out(`${c.green('✔')} ${args.env}: ${short(verified.revision)} verified (signature ${verified.envelope.signature.key_id}, sha256) → ${out}`);
  },
});

async function fetchBundle(base: string, environment: string, token: string | undefined, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  // One deadline for headers and body: a server dripping the body must not hold pull forever.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    res = await fetch(`${base.replace(/\/+$/, '')}/v1/environments/${encodeURIComponent(environment)}/bundle`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
  } catch (error) {
    throw new ExitError(EXIT.infra, `promptops pull: cannot reach ${base}: ${signal.aborted ? `no answer within ${timeoutMs / 1000} s` : (error as Error).message}`);
  }
  if (res.status === 404) throw new ExitError(EXIT.failed, `promptops pull: ${base} has no release for "${environment}"`);
  if (!res.ok) throw new ExitError(EXIT.infra, `promptops pull: ${base} answered HTTP ${res.status}`);
  try {
    return res.body ? await readLimited(res.body, maxBytes) : new Uint8Array();
  } catch (error) {
    if (error instanceof TooLargeError) throw new ExitError(EXIT.infra, `promptops pull: ${base} sent a bundle larger than ${maxBytes.toLocaleString('en-US')} bytes (--max-bundle-mb): refusing it`);
    throw new ExitError(EXIT.infra, `promptops pull: ${base} failed while sending the bundle: ${signal.aborted ? `not complete within ${timeoutMs / 1000} s (--timeout)` : (error as Error).message}`);
  }
}

async function fromStore(url: string, environment: string, root: string): Promise<Uint8Array> {
  const store = await openStoreFor('pull', url, root);
  return withStore('pull', store, async () => {
    const release = await store.current(environment);
    if (!release) throw new ExitError(EXIT.failed, `promptops pull: ${store.url} has no release for "${environment}"`);
    const bundle = await store.getBundle(release.revision);
    if (!bundle) throw new ExitError(EXIT.infra, `promptops pull: the released bundle ${release.revision} is missing from ${store.url}`);
    return bundle.bytes;
  });
}
