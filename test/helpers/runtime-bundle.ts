import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { compileBundle, type CompiledBundle } from '../../src/core/compile.js';
import { loadRepository, type Repository } from '../../src/core/repository.js';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../../src/publish/sign.js';
import { createClient, type ClientOptions, type PromptOpsClient } from '../../src/runtime/index.js';
import { tempDir } from './repo.js';

/** One key pair per test file: bundles signed with it verify in clients given `KEYS.publicKey`. */
export const KEYS = generateSigningKeys();

/** Loads a config repository from disk and compiles one environment's bundle, as `promptops compile` does. */
export function compileRepo(root: string, environment: string): { repo: Repository; compiled: CompiledBundle } {
  const loaded = loadRepository({ root }).value;
  const compiled = compileBundle({ repo: loaded, environment }).value;
  if (!compiled) throw new Error(`cannot compile ${root} for ${environment}`);
  return { repo: loaded, compiled };
}

/** The signed envelope of a compiled bundle, as `promptops publish` stores it. */
export const signEnvelope = (compiled: CompiledBundle) =>
  signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment: compiled.bundle.environment, created_at: '2026-11-21T00:00:00.000Z' }, privateKeyFrom(KEYS.privateKey));

/** A ready runtime client reading the signed bundle from an envelope file; closed when the test ends. */
export async function fileClient(compiled: CompiledBundle, options: Partial<ClientOptions> = {}): Promise<PromptOpsClient> {
  const file = join(tempDir(), `${compiled.bundle.environment}.json`);
  writeFileSync(file, signEnvelope(compiled));
  const client = createClient({ source: file, environment: compiled.bundle.environment, publicKey: KEYS.publicKey, pollIntervalMs: 3_600_000, ...options });
  onTestFinished(() => client.close());
  await client.ready();
  return client;
}
