import type { Bundle, BundleExperiment, BundleFeature, BundlePrompt, Manifest } from '../core/compile.js';
import { assignVariant } from '../core/assign.js';
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
  /** `provider/model` assigned by the feature. */
  model?: string;
  /** The prompt's model parameters overridden by the feature's. Frozen: copy before changing. */
  params: Readonly<ModelParams>;
  messages: RenderedMessage[];
}

export interface RenderOptions {
  /** Feature whose model assignment applies (default: the first feature in the bundle using the prompt). */
  feature?: string;
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
  params: Readonly<ModelParams>;
}

interface CompiledPrompt {
  version: number;
  parts: { role: RenderedMessage['role']; name?: string; fn: TemplateFn }[];
  check: VariableChecker;
  defaultTarget: Target;
  /** By feature name, built on first use. */
  targets: Map<string, Target>;
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

  constructor(
    readonly bundle: Bundle,
    readonly revision: string,
    readonly manifest: Manifest,
  ) {
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
    const context = prompt.check(vars);
    const messages: RenderedMessage[] = new Array(prompt.parts.length);
    for (let i = 0; i < prompt.parts.length; i++) {
      const part = prompt.parts[i]!;
      messages[i] = part.name === undefined ? { role: part.role, content: part.fn(context) } : { role: part.role, name: part.name, content: part.fn(context) };
    }
    return { promptId, promptVersion: prompt.version, revision: this.revision, feature: target.feature, model: target.model, params: target.params, messages };
  }

  feature(name: string): BundleFeature | undefined {
    return Object.hasOwn(this.bundle.features, name) ? this.bundle.features[name] : undefined;
  }

  /** GrowthBook hash v2 on the experiment's seed, with its coverage; undefined when not enrolled. */
  assign(experiment: string, unit: string | Record<string, unknown>): Assignment | undefined {
    const definition: BundleExperiment | undefined = Object.hasOwn(this.bundle.experiments, experiment) ? this.bundle.experiments[experiment] : undefined;
    if (!definition) return undefined;
    const id = typeof unit === 'string' ? unit : unit?.[definition.hash_attribute];
    if (id === undefined || id === null || id === '') return undefined;
    const index = assignVariant({ seed: definition.seed, coverage: definition.coverage, weights: definition.variants.map((v) => v.weight), unit: String(id) });
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
    };
    if (defaultFeature !== undefined) compiled.defaultTarget = this.target(compiled, promptId, defaultFeature, prompt);
    this.compiled.set(promptId, compiled);
    return compiled;
  }

  private target(compiled: CompiledPrompt, promptId: string, name: string, prompt = this.bundle.prompts[promptId]!): Target {
    const feature = this.feature(name);
    if (!feature) throw new UnknownEntryError(`unknown feature "${name}" in bundle ${this.revision.slice(0, 12)} (${this.bundle.environment})${hint(name, Object.keys(this.bundle.features))}`);
    const target: Target = { feature: name, model: feature.model, params: Object.freeze({ ...prompt.params, ...feature.params }) };
    compiled.targets.set(name, target);
    return target;
  }
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
