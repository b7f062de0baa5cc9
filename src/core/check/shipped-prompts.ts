import type { Diagnostic, Severity } from '../diagnostics.js';
import type { Entity, Repository } from '../repository.js';
import type { ExperimentFile } from '../schemas/experiment.js';
import type { FeatureFile } from '../schemas/feature.js';
import type { PromptFile } from '../schemas/prompt.js';
import { locate } from '../source.js';

/**
 * A feature with an assignment for an environment is in that environment's bundle, but only with the
 * prompts the environment publishes (by status). A service calling `render` for a listed prompt the
 * bundle lacks gets an error at run time, so every such prompt is reported, at the feature's
 * `environments.<env>` entry. Inactive features are exempt: they are compiled, but nothing calls them.
 * Unknown and schema-invalid prompts are left to their own errors.
 *
 * `validate` reports these as warnings (a prompt in review is a normal state of work); `publish`
 * refuses the environment with the same diagnostics as errors.
 */
export function checkFeaturePromptsShipped(repo: Repository, feature: Entity<FeatureFile>, environment: string, severity: Severity): Diagnostic[] {
  const config = repo.config.environments[environment];
  if (!feature.valid || feature.data.status === 'inactive' || !config || !feature.data.environments[environment]) return [];
  const publish: readonly string[] = config.publish;
  const listed = feature.data.prompts.flatMap((id) => {
    const prompt = repo.prompts.get(id);
    return prompt?.valid ? [prompt] : [];
  });
  const missing = listed.filter((p) => !publish.includes(p.data.status));
  if (missing.length === 0) return [];
  const where = { file: feature.file, ...locate(feature.source, ['environments', environment], { key: true }), path: ['environments', environment] };
  const publishes = publish.length ? `${environment} publishes only ${publish.join(', ')}` : `${environment} publishes no status`;
  const files = (ids: string[]) => ids.map((id) => `prompts/${id}.yaml`).join(', ');
  const fixes = (ids: string[]) => [
    ...(publish.length ? [`${publish.length === 1 ? `set "status: ${publish[0]}" on` : `set the status of`} ${files(ids)}${publish.length === 1 ? '' : ` to one of ${publish.join(', ')}`} once ${ids.length === 1 ? 'it is' : 'they are'} ready for ${environment}`] : []),
    'set "status: inactive" on the feature',
    `remove "${environment}:" from its environments`,
  ].join(', or ');
  const runtime = `the runtime client's render fails for ${missing.length === 1 ? 'it' : 'each of them'} there`;
  if (missing.length === listed.length) {
    return [{
      code: 'unshipped-prompt', severity, ...where,
      message: `feature "${feature.id}" ships to ${environment}, but none of its prompts is published there: ${missing.map(describe).join(', ')}, and ${publishes}; ${runtime}`,
      hint: fixes(missing.map((p) => p.id)),
    }];
  }
  return missing.map((prompt) => ({
    code: 'unshipped-prompt', severity, ...where,
    message: `feature "${feature.id}" ships to ${environment}, but its prompt ${describe(prompt)} is not published there (${publishes}); ${runtime}`,
    hint: `${fixes([prompt.id])}, or move "${prompt.id}" to a separate feature that is not in ${environment}`,
  }));
}

/**
 * A running experiment whose variant uses a prompt the environment does not publish cannot run there:
 * the compiler leaves it out of the bundle (`unpublished-experiment`), so every unit silently gets the
 * control while the file says "running". Reported at the variant's `prompt`.
 */
export function checkExperimentPromptsShipped(repo: Repository, experiment: Entity<ExperimentFile>, environment: string, severity: Severity): Diagnostic[] {
  const config = repo.config.environments[environment];
  const feature = repo.features.get(experiment.data.feature);
  if (!experiment.valid || experiment.data.status !== 'running' || !config || !feature?.valid || !feature.data.environments[environment]) return [];
  const publish: readonly string[] = config.publish;
  return experiment.data.variants.flatMap((variant, i) => {
    const prompt = variant.prompt === undefined ? undefined : repo.prompts.get(variant.prompt);
    if (!prompt?.valid || publish.includes(prompt.data.status)) return [];
    return [{
      code: 'unpublished-experiment', severity, file: experiment.file, ...locate(experiment.source, ['variants', i, 'prompt']), path: ['variants', i, 'prompt'],
      message: `running experiment "${experiment.id}" cannot run in ${environment}: variant "${variant.name}" uses ${describe(prompt)}, and ${environment} publishes only ${publish.join(', ') || 'no status'}; the bundle leaves the experiment out, so every unit would get the control`,
      hint: `approve "${prompt.id}" for ${environment}, or set "status: paused" (or draft) on the experiment until it is`,
    }];
  });
}

/** Every feature and running experiment of one environment's bundle whose prompts it lacks (what `publish` refuses). */
export function checkShippedPrompts(options: { repo: Repository; environment: string; severity?: Severity }): Diagnostic[] {
  const { repo, environment } = options;
  const severity = options.severity ?? 'error';
  return [
    ...[...repo.features.values()].flatMap((feature) => checkFeaturePromptsShipped(repo, feature, environment, severity)),
    ...[...repo.experiments.values()].flatMap((experiment) => checkExperimentPromptsShipped(repo, experiment, environment, severity)),
  ];
}

const describe = (prompt: Entity<PromptFile>) => `"${prompt.id}" (status ${prompt.data.status})`;
