import { canonicalJson, sha256Hex } from './canonical.js';
import { analyzePrompt } from './prompt-analysis.js';
import type { Repository } from './repository.js';

/** Prompt fields that document a prompt but cannot change what evals render, call or check. */
const METADATA = new Set(['description', 'tags', 'category', 'owners', 'changelog', 'status', 'version']);

/**
 * Hash of everything an eval of the prompt in `environment` depends on: templates, variables, model
 * parameters, tests, the partials it includes, and the model (with its catalog entry) each feature
 * using it — or a test — assigns. Equal fingerprints mean the eval would run the same calls.
 */
export function evalFingerprint(repo: Repository, id: string, environment: string): string | undefined {
  const entity = repo.prompts.get(id);
  if (!entity) return undefined;
  const content = Object.fromEntries(Object.entries(entity.data).filter(([k]) => !METADATA.has(k)));
  const analysis = analyzePrompt(repo, entity);
  const partials = [...analysis.partials].sort().map((name) => [name, repo.partials.get(name)?.text]);
  const features = [...repo.features.values()]
    .filter((f) => f.valid && f.data.prompts.includes(id))
    .map((f) => [f.id, f.data.environments[environment] ?? null]);
  const models = new Set<string>();
  for (const [, assignment] of features) if (assignment && typeof assignment === 'object' && 'model' in assignment) models.add(assignment.model);
  for (const test of entity.data.tests ?? []) if (test.model) models.add(test.model);
  const catalog = [...models].sort().map((ref) => [ref, repo.catalog.models[ref] ?? null]);
  return sha256Hex(canonicalJson({ content, partials, features, catalog }));
}

/** Prompts whose eval fingerprint differs between two loaded repositories (added ones included). */
export function changedPrompts(base: Repository, head: Repository, environment: string): string[] {
  return [...head.prompts.keys()].filter((id) => evalFingerprint(base, id, environment) !== evalFingerprint(head, id, environment)).sort();
}
