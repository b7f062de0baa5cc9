import Handlebars from 'handlebars';
import { normalizeWeights } from './assign.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { Diagnostic, Result } from './diagnostics.js';
import { didYouMean, hasErrors } from './diagnostics.js';
import { analyzePrompt } from './prompt-analysis.js';
import type { PartialFile, Repository } from './repository.js';
import type { ModelParams } from './schemas/_common.js';
import type { PricePeriod } from './schemas/catalog.js';
import type { ChatMessage, VariableSpec } from './schemas/prompt.js';
import { COMPILE_OPTIONS } from './template/helpers.js';

export const BUNDLE_SCHEMA_VERSION = 1;

export interface BundlePrompt {
  version: number;
  status: string;
  kind: 'text' | 'chat';
  template?: string;
  messages?: ChatMessage[];
  /** Partials the prompt reaches (directly or through other partials), by name: the prompt is self-contained. */
  partials: Record<string, string>;
  variables: Record<string, VariableSpec>;
  params: ModelParams;
  compiled: PrecompiledTemplates;
}

/**
 * Handlebars precompiled specs (JavaScript source, `Handlebars.precompile` with COMPILE_OPTIONS), so the
 * runtime client needs only the small Handlebars runtime, not the compiler.
 */
export interface PrecompiledTemplates {
  /** One per template part: `template`, or each message's content, in order. */
  parts: string[];
  /** One per entry of `partials`. */
  partials: Record<string, string>;
}

export interface BundleFeature {
  status: string;
  team?: string;
  prompts: string[];
  model: string;
  params: ModelParams;
  fallbacks: string[];
}

export interface BundleModel {
  provider: string;
  name: string;
  context_window: number;
  max_output_tokens: number;
  status: string;
  pricing: PricePeriod[];
}

export interface BundleExperiment {
  feature: string;
  type: string;
  hash_attribute: string;
  hash_version: 2;
  seed: string;
  coverage: number;
  variants: { name: string; weight: number; prompt?: string; model?: string; params?: ModelParams }[];
  /** The prompt a variant's `prompt` stands in for: the control's prompt, else the feature's first. Only when a variant has a prompt. */
  replaced_prompt?: string;
  metrics: { name: string; kind: string; goal: string }[];
}

/** The content of a bundle: everything that determines its revision. */
export interface Bundle {
  schema_version: number;
  environment: string;
  prompts: Record<string, BundlePrompt>;
  features: Record<string, BundleFeature>;
  models: Record<string, BundleModel>;
  providers: Record<string, { type: string; base_url?: string; api_key_env?: string }>;
  experiments: Record<string, BundleExperiment>;
}

/** Metadata around a bundle; not part of the hash. */
export interface Manifest {
  schema_version: number;
  revision: string;
  environment: string;
  source_commit?: string;
  /** The content had uncommitted changes (or was not in git): `source_commit` is only its base. */
  source_dirty?: boolean;
  created_at?: string;
}

/** Where a bundle's content came from (what src/git/source.ts reports). */
export interface ManifestSource {
  commit?: string;
  /** Committer date of `commit` (ISO 8601). */
  committed_at?: string;
  dirty: boolean;
}

/**
 * The manifest of a compiled bundle, for `compile --out` and `publish` alike: the same revision from
 * the same checkout gets the same manifest. A clean checkout is dated by its commit, so rebuilding a
 * commit reproduces it; uncommitted content is dated `now`.
 */
export function buildManifest(compiled: Pick<CompiledBundle, 'bundle' | 'revision'>, source: ManifestSource, now: Date = new Date()): Manifest {
  return {
    schema_version: compiled.bundle.schema_version,
    revision: compiled.revision,
    environment: compiled.bundle.environment,
    ...(source.commit ? { source_commit: source.commit } : {}),
    ...(source.dirty ? { source_dirty: true } : {}),
    created_at: (!source.dirty && source.committed_at ? new Date(source.committed_at) : now).toISOString(),
  };
}

export interface CompiledBundle {
  bundle: Bundle;
  /** RFC 8785 canonical JSON of `bundle`; `revision` is its sha256. */
  canonical: string;
  revision: string;
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  repo: Repository;
  environment: string;
}

const partSpecs = new WeakMap<object, string[]>();
const partialSpecs = new WeakMap<PartialFile, string>();
const precompile = (source: string) => Handlebars.precompile(source, COMPILE_OPTIONS) as unknown as string;
/** Precompiling is most of a compile's time; each loaded prompt and partial is precompiled once for all environments. */
const precompiledParts = (prompt: object, parts: { source: string }[]): string[] => {
  let specs = partSpecs.get(prompt);
  if (!specs) partSpecs.set(prompt, (specs = parts.map((part) => precompile(part.source))));
  return specs;
};
const precompiledPartial = (partial: PartialFile): string => {
  let spec = partialSpecs.get(partial);
  if (spec === undefined) partialSpecs.set(partial, (spec = precompile(partial.text)));
  return spec;
};

/** Compiles one environment's bundle. Deterministic: same content, same bytes, same revision. */
export function compileBundle({ repo, environment }: CompileOptions): Result<CompiledBundle | undefined> {
  const envConfig = repo.config.environments[environment];
  if (!envConfig) {
    return { value: undefined, diagnostics: [{ code: 'unknown-environment', severity: 'error', message: `unknown environment "${environment}"`, hint: didYouMean(environment, Object.keys(repo.config.environments)) ?? 'declare it in promptops.config.yaml' }] };
  }
  const diagnostics: Diagnostic[] = [];
  const publish = new Set<string>(envConfig.publish);
  const bundle: Bundle = { schema_version: BUNDLE_SCHEMA_VERSION, environment, prompts: {}, features: {}, models: {}, providers: {}, experiments: {} };

  for (const prompt of repo.prompts.values()) {
    if (!prompt.valid || !publish.has(prompt.data.status)) continue;
    const analysis = analyzePrompt(repo, prompt);
    if (hasErrors(analysis.diagnostics)) {
      diagnostics.push(...analysis.diagnostics);
      continue;
    }
    const { data } = prompt;
    const partials = [...analysis.partials].sort();
    bundle.prompts[prompt.id] = {
      version: data.version,
      status: data.status,
      kind: data.template !== undefined ? 'text' : 'chat',
      ...(data.template !== undefined ? { template: data.template } : { messages: data.messages }),
      partials: Object.fromEntries(partials.map((name) => [name, repo.partials.get(name)!.text])),
      variables: data.variables ?? {},
      params: data.model ?? {},
      compiled: {
        parts: precompiledParts(prompt, analysis.parts),
        partials: Object.fromEntries(partials.map((name) => [name, precompiledPartial(repo.partials.get(name)!)])),
      },
    };
  }

  const useModel = (ref: string) => {
    const model = repo.catalog.models[ref];
    if (!model) return;
    bundle.models[ref] = { provider: model.provider, name: model.name, context_window: model.context_window, max_output_tokens: model.max_output_tokens, status: model.status, pricing: model.pricing };
    const provider = repo.catalog.providers[model.provider];
    if (provider) bundle.providers[model.provider] = { type: provider.type, ...(provider.base_url ? { base_url: provider.base_url } : {}), ...(provider.api_key_env ? { api_key_env: provider.api_key_env } : {}) };
  };

  for (const feature of repo.features.values()) {
    const assignment = feature.valid ? feature.data.environments[environment] : undefined;
    if (!assignment) continue;
    for (const id of feature.data.prompts) {
      if (!bundle.prompts[id]) {
        const status = repo.prompts.get(id)?.data.status;
        diagnostics.push({ code: 'unpublished-prompt', severity: 'info', file: feature.file, message: `feature "${feature.id}" uses prompt "${id}"${status ? ` (status ${status})` : ''}, which ${environment} does not publish`, hint: `${environment} publishes: ${envConfig.publish.join(', ')}` });
      }
    }
    bundle.features[feature.id] = {
      status: feature.data.status,
      ...(feature.data.team ? { team: feature.data.team } : {}),
      prompts: feature.data.prompts.filter((id) => bundle.prompts[id]),
      model: assignment.model,
      params: assignment.params ?? {},
      fallbacks: assignment.fallbacks ?? [],
    };
    for (const ref of [assignment.model, ...(assignment.fallbacks ?? [])]) useModel(ref);
  }

  for (const experiment of repo.experiments.values()) {
    const { data } = experiment;
    if (!experiment.valid || data.status !== 'running' || !bundle.features[data.feature]) continue;
    // A unit in a variant whose prompt is not in the bundle could not be served: ship no experiment rather than a broken one.
    const missing = data.variants.filter((v) => v.prompt && !bundle.prompts[v.prompt]);
    if (missing.length) {
      const list = missing.map((v) => `variant "${v.name}" uses prompt "${v.prompt}"${repo.prompts.get(v.prompt!)?.data.status ? ` (status ${repo.prompts.get(v.prompt!)!.data.status})` : ''}`).join(', ');
      diagnostics.push({ code: 'unpublished-experiment', severity: 'warning', file: experiment.file, message: `running experiment "${experiment.id}" is left out of the ${environment} bundle: ${list}, which ${environment} does not publish; every unit gets the feature's prompt and model`, hint: `${environment} publishes: ${envConfig.publish.join(', ')}; approve the prompt, or pause the experiment` });
      continue;
    }
    const replaced = data.variants.some((v) => v.prompt) ? (data.variants[0]!.prompt ?? repo.features.get(data.feature)!.data.prompts[0]) : undefined;
    // Percentages become shares: GrowthBook's bucket ranges (and so `assign`) need weights summing to 1.
    const weights = normalizeWeights(data.variants.map((v) => v.weight));
    bundle.experiments[experiment.id] = {
      feature: data.feature,
      type: data.type,
      hash_attribute: data.hash_attribute ?? 'user_id',
      hash_version: 2,
      seed: data.seed ?? data.name,
      coverage: data.coverage ?? 1,
      variants: data.variants.map((v, i) => ({ name: v.name, weight: weights[i]!, ...(v.prompt ? { prompt: v.prompt } : {}), ...(v.model ? { model: v.model } : {}), ...(v.params ? { params: v.params } : {}) })),
      ...(replaced !== undefined ? { replaced_prompt: replaced } : {}),
      metrics: (data.metrics ?? []).map((m) => ({ name: m.name, kind: m.kind, goal: m.goal ?? 'higher' })),
    };
    for (const v of data.variants) if (v.model) useModel(v.model);
  }

  const canonical = canonicalJson(bundle);
  return { value: { bundle, canonical, revision: sha256Hex(canonical), diagnostics }, diagnostics };
}
