import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { loadRepository } from '../../core/repository.js';
import { DEFAULT_KEY_ENV, DEFAULT_PUBLIC_KEY, writeKeyFile } from '../../publish/keys.js';
import { generateSigningKeys } from '../../publish/sign.js';
import { commonArgs, resolveRoot } from '../_shared.js';
import { usageError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    public: { type: 'string', description: `Where to write the public key, committed so runtimes can verify (default: signing.public_key or ${DEFAULT_PUBLIC_KEY})`, valueHint: 'file' },
    private: { type: 'string', description: 'Where to write the private key (default: .promptops/keys/signing.key, git-ignored); never commit it', valueHint: 'file' },
    force: { type: 'boolean', description: 'Overwrite existing key files' },
    root: commonArgs.root,
  },
  run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const root = resolveRoot(io, args.root);
    const config = loadRepository({ root }).value.config;
    const publicPath = resolve(root, args.public ?? config.signing?.public_key ?? DEFAULT_PUBLIC_KEY);
    const privatePath = resolve(root, args.private ?? '.promptops/keys/signing.key');
    for (const path of [publicPath, privatePath]) {
      if (existsSync(path) && !args.force) throw usageError(`promptops keygen: ${relative(io.cwd, path)} exists; pass --force to replace the key pair (runtimes holding the old public key will reject new bundles)`);
    }
    const keys = generateSigningKeys();
    writeKeyFile(privatePath, keys.privateKey);
    mkdirSync(dirname(publicPath), { recursive: true });
    writeFileSync(publicPath, keys.publicKey);
    const env = config.signing?.private_key_env ?? DEFAULT_KEY_ENV;
    io.out(`${c.green('write')} ${relative(io.cwd, publicPath)}  public key ${keys.keyId} — commit it; runtimes verify bundles with it`);
    io.out(`${c.green('write')} ${relative(io.cwd, privatePath)}  private key (mode 600) — never commit it`);
    io.out(`\nNext:\n  1. Store the private key as a CI secret named ${env} (GitHub: Settings → Secrets and variables → Actions),\n     e.g. gh secret set ${env} < ${relative(io.cwd, privatePath)}\n  2. Set signing.public_key: ${relative(root, publicPath)} in promptops.config.yaml\n  3. Delete the local private key once it is stored: rm ${relative(io.cwd, privatePath)}`);
  },
});
