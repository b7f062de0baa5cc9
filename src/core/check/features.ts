import { didYouMean } from '../diagnostics.js';
import type { Entity } from '../repository.js';
import type { FeatureFile } from '../schemas/feature.js';
import { report, type CheckContext } from './_context.js';
import { checkFeaturePromptsShipped } from './shipped-prompts.js';
import { checkParamsSchema } from './user-schemas.js';

export function checkFeature(ctx: CheckContext, feature: Entity<FeatureFile>): void {
  const { repo } = ctx;
  const { data } = feature;
  nameMatchesFile(ctx, feature, data.name);
  for (const [i, id] of data.prompts.entries()) {
    if (!repo.prompts.has(id)) {
      report(ctx, feature, ['prompts', i], { code: 'unknown-prompt', message: `unknown prompt "${id}"`, hint: didYouMean(id, repo.prompts.keys()) ?? `create prompts/${id}.yaml` });
    }
  }
  for (const id of Object.keys(data.traffic ?? {})) {
    if (!data.prompts.includes(id)) report(ctx, feature, ['traffic', id], { code: 'traffic-prompt', severity: 'warning', key: true, message: `traffic is given for "${id}", which the feature does not use`, hint: 'list the prompt under "prompts:" or remove the traffic entry' });
  }
  for (const [env, assignment] of Object.entries(data.environments)) {
    if (!repo.config.environments[env]) {
      report(ctx, feature, ['environments', env], { code: 'unknown-environment', key: true, message: `unknown environment "${env}"`, hint: didYouMean(env, Object.keys(repo.config.environments)) ?? 'declare it under "environments:" in promptops.config.yaml' });
    }
    checkModel(ctx, feature, ['environments', env, 'model'], assignment.model);
    for (const [i, fallback] of (assignment.fallbacks ?? []).entries()) {
      checkModel(ctx, feature, ['environments', env, 'fallbacks', i], fallback);
      if (fallback === assignment.model) report(ctx, feature, ['environments', env, 'fallbacks', i], { code: 'fallback-self', severity: 'warning', message: `fallback "${fallback}" is the primary model itself` });
    }
    checkParamsSchema(ctx, feature, assignment.params, ['environments', env, 'params']);
    ctx.diagnostics.push(...checkFeaturePromptsShipped(repo, feature, env, 'warning'));
    const model = repo.catalog.models[assignment.model];
    const maxTokens = assignment.params?.max_tokens;
    if (model && maxTokens !== undefined && maxTokens > model.max_output_tokens) {
      report(ctx, feature, ['environments', env, 'params', 'max_tokens'], { code: 'max-tokens', message: `max_tokens ${maxTokens} exceeds ${assignment.model}'s limit of ${model.max_output_tokens}` });
    }
  }
  for (const env of Object.keys(repo.config.environments)) {
    if (data.status === 'active' && !data.environments[env]) {
      report(ctx, feature, ['environments'], { code: 'missing-environment', severity: 'warning', message: `no model assigned for environment "${env}"; the feature is left out of its bundle`, hint: `add "${env}:" under "environments:"` });
    }
  }
}

/** A model reference must exist; a deprecated or offline one on an active feature is a problem. */
export function checkModel(ctx: CheckContext, entity: Entity<FeatureFile> | Entity<unknown>, path: (string | number)[], ref: string, active = (entity.data as FeatureFile).status === 'active'): void {
  const model = ctx.repo.catalog.models[ref];
  if (!model) {
    const provider = ref.split('/')[0]!;
    const hint = ctx.repo.catalog.providers[provider]
      ? didYouMean(ref, Object.keys(ctx.repo.catalog.models)) ?? `add "${ref}" under "models:" in features/_models.yaml`
      : `unknown provider "${provider}"; known providers: ${Object.keys(ctx.repo.catalog.providers).join(', ')}`;
    report(ctx, entity, path, { code: 'unknown-model', message: `unknown model "${ref}"`, hint });
    return;
  }
  if (!active) return;
  const replacement = model.replacement ? `switch to ${model.replacement}` : 'switch to an available model';
  if (model.status === 'offline') {
    report(ctx, entity, path, { code: 'model-offline', message: `model "${ref}" is offline`, hint: replacement });
  } else if (model.status === 'deprecated') {
    const sunsetPassed = model.sunset !== undefined && model.sunset <= ctx.today;
    report(ctx, entity, path, {
      code: 'model-deprecated',
      severity: sunsetPassed ? 'error' : 'warning',
      message: `model "${ref}" is deprecated${model.sunset ? (sunsetPassed ? ` and was retired on ${model.sunset}` : ` and will be retired on ${model.sunset}`) : ''}`,
      hint: replacement,
    });
  }
}

export function nameMatchesFile(ctx: CheckContext, entity: Entity<unknown>, name: string): void {
  if (name !== entity.id) {
    report(ctx, entity, ['name'], { code: 'name-mismatch', message: `name "${name}" does not match the file name "${entity.id}"`, hint: `set "name: ${entity.id}" or rename the file` });
  }
}
