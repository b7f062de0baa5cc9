import type { Diagnostic, Result } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import { analyzePrompt, mapTemplatePos } from './prompt-analysis.js';
import type { Entity, Repository } from './repository.js';
import type { ModelParams } from './schemas/_common.js';
import type { FeatureFile } from './schemas/feature.js';
import { compileTemplate, createTemplateEnv, TemplateRenderError, type CompiledTemplate } from './template/render.js';
import type { PromptFile } from './schemas/prompt.js';
import { checkVariables } from './variables.js';

export interface RenderOptions {
  repo: Repository;
  prompt: string;
  vars?: Record<string, unknown>;
  /** Environment whose model assignment applies (default: the first one in promptops.config.yaml). */
  environment?: string;
  /** Feature whose assignment applies (default: the first feature using the prompt). */
  feature?: string;
}

export interface RenderedMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Rendered {
  prompt: string;
  version: number;
  environment: string;
  feature?: string;
  /** `provider/model` assigned by the feature in the environment; undefined when no feature uses the prompt. */
  model?: string;
  /** Prompt defaults overridden by the feature's environment params. */
  params: ModelParams;
  kind: 'text' | 'chat';
  messages: RenderedMessage[];
}

/** The feature and model that serve a prompt in an environment. */
export function resolveAssignment(repo: Repository, promptId: string, environment: string, featureName?: string): Result<{ feature?: Entity<FeatureFile>; model?: string; params: ModelParams }> {
  const diagnostics: Diagnostic[] = [];
  let feature: Entity<FeatureFile> | undefined;
  if (featureName !== undefined) {
    feature = repo.features.get(featureName);
    if (!feature) diagnostics.push({ code: 'unknown-feature', severity: 'error', message: `unknown feature "${featureName}"`, hint: didYouMean(featureName, repo.features.keys()) });
  } else {
    feature = [...repo.features.values()].find((f) => f.valid && f.data.prompts.includes(promptId));
  }
  const assignment = feature?.valid ? feature.data.environments[environment] : undefined;
  return { value: { feature, model: assignment?.model, params: assignment?.params ?? {} }, diagnostics };
}

const compiledCache = new WeakMap<Entity<PromptFile>, CompiledTemplate[]>();

/** Compiled templates of a prompt's parts, built once per loaded prompt (evals render the same prompt thousands of times). */
function compiledParts(repo: Repository, entity: Entity<PromptFile>): CompiledTemplate[] {
  let compiled = compiledCache.get(entity);
  if (!compiled) {
    const analysis = analyzePrompt(repo, entity);
    const env = createTemplateEnv(Object.fromEntries([...analysis.partials].map((name) => [name, repo.partials.get(name)!.text])));
    compiled = analysis.parts.map((part) => compileTemplate(env, part.source));
    compiledCache.set(entity, compiled);
  }
  return compiled;
}

/** Renders a prompt for an environment; every problem comes back as a diagnostic, nothing is silently emptied. */
export function renderPrompt(options: RenderOptions): Result<Rendered | undefined> {
  const { repo } = options;
  const entity = repo.prompts.get(options.prompt);
  if (!entity) {
    return { value: undefined, diagnostics: [{ code: 'unknown-prompt', severity: 'error', message: `unknown prompt "${options.prompt}"`, hint: didYouMean(options.prompt, repo.prompts.keys()) ?? 'list prompts with "promptops validate --json"' }] };
  }
  const environment = options.environment ?? Object.keys(repo.config.environments)[0]!;
  if (!repo.config.environments[environment]) {
    return { value: undefined, diagnostics: [{ code: 'unknown-environment', severity: 'error', message: `unknown environment "${environment}"`, hint: didYouMean(environment, Object.keys(repo.config.environments)) }] };
  }
  const analysis = analyzePrompt(repo, entity);
  const invalid = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (!entity.valid || invalid.length > 0) {
    return { value: undefined, diagnostics: invalid.length ? invalid : [{ code: 'invalid-prompt', severity: 'error', file: entity.file, message: `prompt "${entity.id}" is invalid`, hint: 'run "promptops validate"' }] };
  }
  const assignment = resolveAssignment(repo, entity.id, environment, options.feature);
  if (assignment.diagnostics.length) return { value: undefined, diagnostics: assignment.diagnostics };

  const checked = checkVariables(entity.data.variables, options.vars);
  if (checked.diagnostics.length) return { value: undefined, diagnostics: checked.diagnostics };

  const compiled = compiledParts(repo, entity);
  const messages: RenderedMessage[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, part] of analysis.parts.entries()) {
    try {
      messages.push({ role: part.role, content: compiled[i]!(checked.value) });
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      const at = error.line ? mapTemplatePos(entity.source, part.path, { line: error.line, col: error.col ?? 1 }) : {};
      diagnostics.push({ code: 'render-error', severity: 'error', file: entity.file, ...at, message: error.message });
    }
  }
  if (diagnostics.length) return { value: undefined, diagnostics };
  const { feature, model, params } = assignment.value;
  return {
    value: {
      prompt: entity.id,
      version: entity.data.version,
      environment,
      feature: feature?.id,
      model,
      params: { ...entity.data.model, ...params },
      kind: entity.data.template !== undefined ? 'text' : 'chat',
      messages,
    },
    diagnostics: [],
  };
}

