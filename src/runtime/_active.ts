import type { Bundle, BundleExperiment, BundleFeature, BundlePrompt, Manifest } from '../core/compile.js';
import { variantAssigner } from '../core/assign.js';
import { didYouMean } from '../core/diagnostics.js';
import type { ModelParams } from '../core/schemas/_common.js';
import { BundleVerificationError } from './envelope.js';
import { instantiatePrompt, type TemplateFn } from './_templates.js';
import { variableChecker, type VariableChecker } from './_variables.js';

export interface RenderedMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** The chat message's participant name, when the prompt sets one. */
  name?: string;
}

export interface RenderResult {
  promptId: string;
  promptVersion: number;
  /** Revision of the bundle the prompt came from. */
  revision: string;
  /** Feature whose assignment gave `model` and `params`; undefined when no feature in the bundle uses the prompt. */
  feature?: string;
  /** `provider/model` assigned by the feature, or by the unit's experiment variant. */
  model?: string;
  /** Provider of `model` (its catalog entry's provider, the part before the slash). */
  provider?: string;
  /** The prompt's model parameters overridden by the feature's, then the variant's. Frozen: copy before changing. */
  params: Readonly<ModelParams>;
  messages: RenderedMessage[];
  /** The running experiment applied for the unit; absent when no unit was given or it is not enrolled. */
  experiment?: string;
  /** The unit's variant in `experiment`. */
  variant?: string;
}

/** A unit: the value of an experiment's hash attribute (e.g. the user id), or attributes holding it. */
export type Unit = string | Readonly<Record<string, unknown>>;

export interface RenderOptions {
  /** Feature whose model assignment applies (default: the first feature in the bundle using the prompt). */
  feature?: string;
  /** Applies the feature's running experiment for this unit: the variant's prompt, model and params. */
  unit?: Unit;
}

/** A model to call: `provider/model` as the bundle names it, and its provider. */
export interface ModelChoice {
  model: string;
  provider: string;
}

/** The variant a unit is assigned in an experiment. */
export interface Assignment {
  experiment: string;
  feature: string;
  /** Variant name. */
  variant: string;
  index: number;
  prompt?: string;
  model?: string;
  params?: Readonly<ModelParams>;
}

interface Target {
  feature?: string;
  model?: string;
  provider?: string;
  params: Readonly<ModelParams>;
}

/** What a unit's variant renders: the prompt (the variant's own, or the one asked for) and its model. */
interface Arm {
  prompt: CompiledPrompt;
  promptId: string;
  target: Target;
  experiment: string;
  variant: string;
}

interface CompiledPrompt {
  version: number;
  parts: { role: RenderedMessage['role']; name?: string; fn: TemplateFn }[];
  check: VariableChecker;
  defaultTarget: Target;
  /** By feature name, built on first use. */
  targets: Map<string, Target>;
  /** By experiment id and variant index, built on first use. */
  arms: Map<string, Arm>;
}

/** Thrown for a prompt or feature the active bundle does not hold. */
export class UnknownEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownEntryError';
  }
}

/**
 * One verified revision: the frozen bundle and the templates compiled from it. Templates are
 * compiled on a prompt's first render and kept until the revision is replaced.
 */
export class ActiveBundle {
  private readonly compiled = new Map<string, CompiledPrompt>();
  /** Running experiments by feature, in bundle (id) order. */
  private readonly experimentsOf = new Map<string, [string, BundleExperiment][]>();

  constructor(
    readonly bundle: Bundle,
    readonly revision: string,
    readonly manifest: Manifest,
  ) {
    for (const entry of Object.entries(bundle.experiments)) {
      const list = this.experimentsOf.get(entry[1].feature);
      if (list) list.push(entry);
      else this.experimentsOf.set(entry[1].feature, [entry]);
    }
    for (const [id, prompt] of Object.entries(bundle.prompts)) {
      const parts = prompt.kind === 'text' ? 1 : (prompt.messages?.length ?? 0);
      if (prompt.compiled?.parts?.length !== parts || typeof prompt.compiled.partials !== 'object') {
        throw new BundleVerificationError('unsupported-schema', `prompt "${id}" has no precompiled templates: compile the bundle with a promptops version that writes them`);
      }
    }
    deepFreeze(bundle);
  }

  render(promptId: string, vars: Record<string, unknown> | undefined, options?: RenderOptions): RenderResult {
    const prompt = this.compiled.get(promptId) ?? this.compile(promptId);
    const target = options?.feature === undefined ? prompt.defaultTarget : (prompt.targets.get(options.feature) ?? this.target(prompt, promptId, options.feature));
    if (options?.unit !== undefined && target.feature !== undefined) {
      const arm = this.arm(prompt, promptId, target.feature, options.unit);
      if (arm) {
        const { target: t } = arm;
        return { promptId: arm.promptId, promptVersion: arm.prompt.version, revision: this.revision, feature: t.feature, model: t.model, provider: t.provider, params: t.params, messages: renderParts(arm.prompt, vars), experiment: arm.experiment, variant: arm.variant };
      }
    }
    return { promptId, promptVersion: prompt.version, revision: this.revision, feature: target.feature, model: target.model, provider: target.provider, params: target.params, messages: renderParts(prompt, vars) };
  }

  /** The models to try after the feature's (or the variant's) own, in order; throws UnknownEntryError for an unknown feature. */
  fallbacks(name: string): ModelChoice[] {
    const feature = this.feature(name);
    if (!feature) throw this.unknownFeature(name);
    return feature.fallbacks.map((model) => ({ model, provider: this.providerOf(model) }));
  }

  feature(name: string): BundleFeature | undefined {
    return Object.hasOwn(this.bundle.features, name) ? this.bundle.features[name] : undefined;
  }

  /** GrowthBook hash v2 on the experiment's seed, with its coverage; undefined when not enrolled. */
  assign(experiment: string, unit: Unit): Assignment | undefined {
    const definition: BundleExperiment | undefined = Object.hasOwn(this.bundle.experiments, experiment) ? this.bundle.experiments[experiment] : undefined;
    if (!definition) return undefined;
    const index = variantIndex(definition, unit);
    const variant = definition.variants[index];
    if (!variant) return undefined;
    return {
      experiment,
      feature: definition.feature,
      variant: variant.name,
      index,
      ...(variant.prompt !== undefined ? { prompt: variant.prompt } : {}),
      ...(variant.model !== undefined ? { model: variant.model } : {}),
      ...(variant.params !== undefined ? { params: variant.params } : {}),
    };
  }

  private compile(promptId: string): CompiledPrompt {
    const prompt: BundlePrompt | undefined = Object.hasOwn(this.bundle.prompts, promptId) ? this.bundle.prompts[promptId] : undefined;
    if (!prompt) {
      throw new UnknownEntryError(`unknown prompt "${promptId}" in bundle ${this.revision.slice(0, 12)} (${this.bundle.environment})${hint(promptId, Object.keys(this.bundle.prompts))}`);
    }
    const fns = instantiatePrompt(promptId, prompt.compiled);
    const sources = prompt.kind === 'text' ? [{ role: 'user' as const, name: undefined }] : prompt.messages!;
    const defaultFeature = Object.keys(this.bundle.features).find((name) => this.bundle.features[name]!.prompts.includes(promptId));
    const compiled: CompiledPrompt = {
      version: prompt.version,
      parts: sources.map((m, i) => ({ role: m.role, ...(m.name !== undefined ? { name: m.name } : {}), fn: fns[i]! })),
      check: variableChecker(promptId, prompt.variables),
      defaultTarget: { params: prompt.params },
      targets: new Map(),
      arms: new Map(),
    };
    if (defaultFeature !== undefined) compiled.defaultTarget = this.target(compiled, promptId, defaultFeature, prompt);
    this.compiled.set(promptId, compiled);
    return compiled;
  }

  private target(compiled: CompiledPrompt, promptId: string, name: string, prompt = this.bundle.prompts[promptId]!): Target {
    const feature = this.feature(name);
    if (!feature) throw this.unknownFeature(name);
    const target: Target = { feature: name, model: feature.model, provider: this.providerOf(feature.model), params: Object.freeze({ ...prompt.params, ...feature.params }) };
    compiled.targets.set(name, target);
    return target;
  }

  /**
   * The variant of the feature's first running experiment (by id) that enrols the unit, applied to
   * `promptId`; undefined when none does. As in eval --experiment, a variant's `prompt` stands in for
   * the experiment's `replaced_prompt` only; other prompts of the feature keep their text but take
   * the variant's model and params.
   */
  private arm(compiled: CompiledPrompt, promptId: string, featureName: string, unit: Unit): Arm | undefined {
    const experiments = this.experimentsOf.get(featureName);
    if (!experiments) return undefined;
    for (const [id, definition] of experiments) {
      const index = variantIndex(definition, unit);
      if (index < 0) continue;
      const key = `${id}\n${index}`;
      let arm = compiled.arms.get(key);
      if (!arm) {
        const variant = definition.variants[index]!;
        const rendersId = variant.prompt !== undefined && promptId === definition.replaced_prompt ? variant.prompt : promptId;
        const prompt = rendersId === promptId ? compiled : (this.compiled.get(rendersId) ?? this.compile(rendersId));
        const feature = this.bundle.features[featureName]!;
        const model = variant.model ?? feature.model;
        const params = Object.freeze({ ...this.bundle.prompts[rendersId]!.params, ...feature.params, ...variant.params });
        arm = { prompt, promptId: rendersId, target: { feature: featureName, model, provider: this.providerOf(model), params }, experiment: id, variant: variant.name };
        compiled.arms.set(key, arm);
      }
      return arm;
    }
    return undefined;
  }

  /** The catalog provider of a `provider/model` reference (its entry in the bundle, else the part before the slash). */
  private providerOf(model: string): string {
    const entry = Object.hasOwn(this.bundle.models, model) ? this.bundle.models[model] : undefined;
    return entry?.provider ?? model.slice(0, Math.max(0, model.indexOf('/')));
  }

  private unknownFeature(name: string): UnknownEntryError {
    return new UnknownEntryError(`unknown feature "${name}" in bundle ${this.revision.slice(0, 12)} (${this.bundle.environment})${hint(name, Object.keys(this.bundle.features))}`);
  }
}

/** Per experiment of an active (frozen) bundle: its assigner, bucket ranges computed once. */
const assigners = new WeakMap<BundleExperiment, (unit: string) => number>();

/** The unit's variant index (GrowthBook hash v2 with the experiment's seed and coverage), or -1: not enrolled or no id. */
function variantIndex(definition: BundleExperiment, unit: Unit): number {
  const id = typeof unit === 'string' ? unit : unit?.[definition.hash_attribute];
  if (id === undefined || id === null || id === '') return -1;
  let assign = assigners.get(definition);
  if (!assign) assigners.set(definition, (assign = variantAssigner({ seed: definition.seed, coverage: definition.coverage, weights: definition.variants.map((v) => v.weight) })));
  return assign(String(id));
}

function renderParts(prompt: CompiledPrompt, vars: Record<string, unknown> | undefined): RenderedMessage[] {
  const context = prompt.check(vars);
  const messages: RenderedMessage[] = new Array(prompt.parts.length);
  for (let i = 0; i < prompt.parts.length; i++) {
    const part = prompt.parts[i]!;
    messages[i] = part.name === undefined ? { role: part.role, content: part.fn(context) } : { role: part.role, name: part.name, content: part.fn(context) };
  }
  return messages;
}

const hint = (word: string, candidates: string[]) => {
  const suggestion = didYouMean(word, candidates);
  return suggestion ? `: ${suggestion}` : '';
};

/** Callers get bundle objects directly (feature(), params); freezing keeps them from changing the active revision. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
