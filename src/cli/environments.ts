import { didYouMean } from '../core/diagnostics.js';
import type { Repository } from '../core/repository.js';
import { usageError } from './errors.js';

/**
 * `--env` names must be environments of the config: a typo would otherwise read as "no releases"
 * and exit 0. `alsoKnown` returns further accepted names (the store's released environments, so
 * the history of an environment since removed from the config stays reachable); it is only asked
 * when a name is not declared.
 */
export async function checkEnvironments(command: string, repo: Pick<Repository, 'config'>, names: string[], alsoKnown?: () => Promise<string[]>): Promise<void> {
  const declared = Object.keys(repo.config.environments);
  let unknown = names.filter((name) => !declared.includes(name));
  if (unknown.length && alsoKnown) {
    const known = await alsoKnown();
    unknown = unknown.filter((name) => !known.includes(name));
  }
  if (!unknown.length) return;
  const hint = didYouMean(unknown[0]!, declared);
  throw usageError(`promptops ${command}: unknown environment ${unknown.map((e) => `"${e}"`).join(', ')} (environments: ${declared.join(', ')})${hint ? `; ${hint}` : ''}`);
}
