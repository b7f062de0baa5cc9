import { createHash } from 'node:crypto';
import { priceAt, type Model } from '../core/catalog/catalog.js';
import { estimateCall } from '../core/estimate.js';
import { renderPrompt } from '../core/render.js';
import type { Entity, Repository } from '../core/repository.js';
import type { ModelParams } from '../core/schemas/_common.js';
import type { PricePeriod } from '../core/schemas/catalog.js';
import type { ExperimentFile, FeatureFile, PromptFile } from '../core/schemas/index.js';

/**
 * What the synthetic usage generator (sample.ts) derives from a repository: which prompt, version
 * and model each feature serves in each environment on a given day, the traffic it expects, and
 * the running A/B test. Everything the repository cannot say (how much user content a call
 * carries, provider speed, environment shares) is a labelled assumption below.
 */

/** How a prompt's calls vary beyond its rendered fixtures: conversation history, passages, documents, images. */
export interface ContentProfile {
  /** Median extra input tokens per call. */
  extra: number;
  /** Spread (sigma of the lognormal) of the extra tokens. */
  extraSigma: number;
  /** Share of the extra tokens repeated from earlier calls (chat history), which prompt caching can reuse. */
  reuse: number;
  /** Median visible output tokens. */
  out: number;
  outSigma: number;
}

// Assumptions for the example's prompts; the test fixtures only show a short question each.
const CONTENT: Record<string, ContentProfile> = {
  'chatbot/system': { extra: 900, extraSigma: 0.9, reuse: 1, out: 180, outSigma: 0.5 },
  'chatbot/system-friendly': { extra: 900, extraSigma: 0.9, reuse: 1, out: 195, outSigma: 0.5 },
  'chatbot/escalation': { extra: 1400, extraSigma: 0.6, reuse: 0, out: 220, outSigma: 0.3 },
  'shared/safety-check': { extra: 120, extraSigma: 1, reuse: 0, out: 18, outSigma: 0.3 },
  'search/query-rewrite': { extra: 60, extraSigma: 0.6, reuse: 0, out: 70, outSigma: 0.4 },
  'search/answer': { extra: 1600, extraSigma: 0.5, reuse: 0, out: 230, outSigma: 0.6 },
  // Image parts: 258 tokens per 768px tile on Gemini.
  'photo-tagging/tags': { extra: 900, extraSigma: 0.25, reuse: 0, out: 150, outSigma: 0.35 },
  'photo-tagging/alt-text': { extra: 900, extraSigma: 0.25, reuse: 0, out: 45, outSigma: 0.35 },
  'summarizer/document': { extra: 2400, extraSigma: 0.9, reuse: 0, out: 320, outSigma: 0.45 },
  'summarizer/thread': { extra: 700, extraSigma: 0.8, reuse: 0, out: 160, outSigma: 0.4 },
};

const defaultContent = (base: number, maxTokens: number): ContentProfile => ({ extra: base / 2, extraSigma: 0.6, reuse: 0, out: maxTokens * 0.3, outSigma: 0.5 });

/** Time to first token (ms) and output speed (tokens/s); self-hosted models are slower. */
const SPEED: Record<string, { ttft: number; tps: number }> = {
  openai: { ttft: 500, tps: 120 },
  anthropic: { ttft: 700, tps: 150 },
  google: { ttft: 400, tps: 220 },
};
const SELF_HOSTED_SPEED = { ttft: 250, tps: 45 };

/** Providers whose rows carry the provider-reported cost, so reports exercise both pricing paths. */
const REPORTS_COST = new Set(['anthropic']);

/** Reasoning tokens relative to the visible answer, by reasoning effort (OpenAI's default is medium). */
const EFFORT = { minimal: 0, low: 0.25, medium: 0.6, high: 1.5 } as const;

export interface ModelSpec {
  ref: string;
  provider: string;
  /** Model id as logged. */
  name: string;
  /** `"provider":…,"model":…` JSON fragment. */
  json: string;
  price: PricePeriod;
  /** Prompt caching applies (cached_input_tokens are logged). */
  caches: boolean;
  /** Cache misses are billed as cache writes. */
  writes: boolean;
  /** Reasoning tokens per visible output token (0: the model does not think). */
  reasoning: number;
  reportsCost: boolean;
  ttft: number;
  tps: number;
}

export interface PromptSpec {
  id: string;
  version: number;
  /** Rendered tokens of the prompt's fixtures (median). */
  base: number;
  maxTokens: number;
  content: ContentProfile;
  /** `"feature":…,"environment":…,"prompt_id":…,"prompt_version":…,"bundle_revision":…` JSON fragment. */
  json: string;
  bundleRevision: string;
}

export interface VariantSpec {
  name: string;
  /** Not the control: metric outcomes shift. */
  treated: boolean;
  /** The variant's prompt, when it replaces the feature's. */
  prompt?: PromptSpec;
  model?: ModelSpec;
  /** `,"experiment":…,"variant":…` JSON fragment. */
  json: string;
}

export interface ExperimentSpec {
  name: string;
  seed: string;
  coverage: number;
  weights: number[];
  variants: VariantSpec[];
  /** Metric names the experiment declares; outcomes are logged only for these. */
  metrics: Set<string>;
  /** Assignment happens on this day (otherwise only outcomes are logged). */
  active: boolean;
  hashAttribute: 'user_id' | 'organization_id';
}

export interface Stream {
  feature: string;
  environment: string;
  team?: string;
  /** Last environment in promotion order: real users, most traffic. */
  production: boolean;
  prompt: PromptSpec;
  model: ModelSpec;
  /** First fallback with a price on the day, tried after an error or timeout. */
  fallback?: ModelSpec;
  /** Expected calls on the day. */
  expected: number;
  experiment?: ExperimentSpec;
}

interface StaticStream {
  feature: Entity<FeatureFile>;
  environment: string;
  envIndex: number;
  prompt: Entity<PromptFile>;
  traffic: number;
  experiment?: Entity<ExperimentFile>;
}

export interface SamplePlan {
  repo: Repository;
  environments: string[];
  streams: StaticStream[];
  /** Median rendered fixture tokens per prompt id. */
  baseTokens: Map<string, number>;
}

/** Features × environments × prompts with traffic; a variant prompt of a live A/B test shares its base prompt's traffic in production. */
export function planSample(repo: Repository): SamplePlan {
  const environments = Object.keys(repo.config.environments);
  const production = environments.at(-1)!;
  const streams: StaticStream[] = [];
  const experiments = [...repo.experiments.values()].filter((e) => e.valid && e.data.type === 'a_b_test' && (e.data.status === 'running' || e.data.status === 'completed') && e.data.starts);
  for (const feature of repo.features.values()) {
    if (!feature.valid || feature.data.status === 'inactive') continue;
    const experiment = experiments.find((e) => e.data.feature === feature.id);
    const variantPrompts = new Set(experiment?.data.variants.flatMap((v) => (v.prompt ? [v.prompt] : [])) ?? []);
    const basePrompt = feature.data.prompts.find((p) => !variantPrompts.has(p));
    for (const environment of Object.keys(feature.data.environments)) {
      const envIndex = environments.indexOf(environment);
      if (envIndex < 0) continue;
      const live = environment === production && experiment !== undefined;
      for (const [promptId, perDay] of Object.entries(feature.data.traffic ?? {})) {
        const prompt = repo.prompts.get(promptId);
        if (!prompt?.valid || !feature.data.prompts.includes(promptId)) continue;
        if (live && variantPrompts.has(promptId)) continue;
        const pooled = live && promptId === basePrompt ? [...variantPrompts].reduce((sum, p) => sum + (feature.data.traffic?.[p] ?? 0), 0) : 0;
        streams.push({ feature, environment, envIndex, prompt, traffic: perDay + pooled, experiment: live && promptId === basePrompt ? experiment : undefined });
      }
    }
  }
  const baseTokens = new Map<string, number>();
  for (const s of streams) baseTokens.set(s.prompt.id, baseTokens.get(s.prompt.id) ?? fixtureTokens(repo, s.prompt));
  for (const e of experiments) for (const v of e.data.variants) if (v.prompt && repo.prompts.get(v.prompt)?.valid && !baseTokens.has(v.prompt)) baseTokens.set(v.prompt, fixtureTokens(repo, repo.prompts.get(v.prompt)!));
  return { repo, environments, streams, baseTokens };
}

/** Median input tokens of the prompt rendered with its test fixtures (300 when none renders). */
function fixtureTokens(repo: Repository, prompt: Entity<PromptFile>): number {
  const counts: number[] = [];
  for (const test of prompt.data.tests ?? []) {
    const rendered = renderPrompt({ repo, prompt: prompt.id, vars: test.vars }).value;
    if (rendered) counts.push(estimateCall(repo, rendered).inputTokens);
  }
  counts.sort((a, b) => a - b);
  return counts.length ? counts[Math.floor(counts.length / 2)]! : 300;
}

const DAY_MS = 86_400_000;
const addDays = (date: string, days: number): string => new Date(Date.parse(date) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * Version of a prompt live in an environment on a date, from the changelog dates: environments later
 * in the promotion order get a version a day later each. An environment that does not publish the
 * prompt's current status still runs the previous version (none for a first draft).
 */
function versionOn(repo: Repository, prompt: PromptFile, environment: string, date: string): number | undefined {
  if (prompt.status === 'archived') return undefined;
  const environments = Object.keys(repo.config.environments);
  const lag = Math.max(0, environments.indexOf(environment));
  const publishes = repo.config.environments[environment]?.publish.includes(prompt.status) ?? false;
  const newest = publishes ? prompt.version : prompt.version - 1;
  let live: number | undefined;
  for (let v = 1; v <= newest; v++) {
    const entry = prompt.changelog?.find((c) => c.version === v);
    if (!entry?.date || addDays(entry.date, lag) <= date) live = v;
  }
  return live;
}

const hasCapability = (model: Model, capability: string): boolean => (model.capabilities as string[]).includes(capability);

function modelSpec(repo: Repository, ref: string, date: string, params: ModelParams): ModelSpec | undefined {
  const model = repo.catalog.models[ref];
  const price = model && priceAt(model, date);
  if (!model || !price) return undefined;
  // Claude through the OpenAI-compatible endpoint neither caches prompts nor thinks unless asked.
  const anthropic = model.provider === 'anthropic';
  const thinks = hasCapability(model, 'reasoning') && (!anthropic || params.reasoning_effort !== undefined);
  const speed = SPEED[model.provider] ?? SELF_HOSTED_SPEED;
  // Models of the repository's own catalog (self-hosted) are logged as `provider/model`, the others by
  // the provider's model id: usage logs accept both forms.
  const name = model.origin === 'repository' ? ref : model.name;
  return {
    ref,
    provider: model.provider,
    name,
    json: `"provider":${JSON.stringify(model.provider)},"model":${JSON.stringify(name)}`,
    price,
    caches: !anthropic && (hasCapability(model, 'prompt_caching') || price.cached_input_per_mtok !== undefined),
    writes: !anthropic && price.cache_write_per_mtok !== undefined,
    reasoning: thinks ? EFFORT[params.reasoning_effort ?? 'medium'] : 0,
    reportsCost: REPORTS_COST.has(model.provider),
    ...speed,
  };
}

/** The primary model if it has a price on the date, else the first fallback that has one. */
function servingModels(repo: Repository, assignment: FeatureFile['environments'][string], date: string, params: ModelParams): [ModelSpec | undefined, ModelSpec | undefined] {
  const priced = [assignment.model, ...(assignment.fallbacks ?? [])].map((ref) => modelSpec(repo, ref, date, params)).filter((m): m is ModelSpec => m !== undefined);
  return [priced[0], priced[1]];
}

export interface TrafficShape {
  /** Traffic multiplier of the day (seasonality × growth), before per-stream noise. */
  factor: (environmentIndex: number, production: boolean, date: string) => number;
}

/** Streams serving on `date`, with bundle revisions per environment. `scale` × traffic × shape = expected calls. */
export function streamsOn(plan: SamplePlan, date: string, scale: number, shape: TrafficShape, noise: () => number): Stream[] {
  const { repo } = plan;
  const production = plan.environments.at(-1)!;
  const out: Stream[] = [];
  for (const s of plan.streams) {
    const version = versionOn(repo, s.prompt.data, s.environment, date);
    const assignment = s.feature.data.environments[s.environment]!;
    const params = { ...s.prompt.data.model, ...assignment.params };
    const [model, fallback] = servingModels(repo, assignment, date, params);
    if (version === undefined || !model) continue;
    const isProduction = s.environment === production;
    out.push({
      feature: s.feature.id,
      environment: s.environment,
      team: s.feature.data.team,
      production: isProduction,
      prompt: promptSpec(plan, s.prompt, version, params, s.feature.id, s.environment),
      model,
      fallback,
      expected: s.traffic * scale * shape.factor(s.envIndex, isProduction, date) * noise(),
      experiment: s.experiment && experimentSpec(plan, s.experiment.data, s.feature, s.environment, date),
    });
  }
  const revisions = new Map<string, string>();
  for (const env of new Set(out.map((s) => s.environment))) {
    const parts = out.filter((s) => s.environment === env).map((s) => `${s.feature}:${s.prompt.id}@${s.prompt.version}:${s.model.ref}`);
    revisions.set(env, createHash('sha256').update(`${env}\n${parts.sort().join('\n')}`).digest('hex'));
  }
  for (const s of out) {
    const revision = revisions.get(s.environment)!;
    s.prompt = withRevision(s.prompt, revision);
    for (const v of s.experiment?.variants ?? []) if (v.prompt) v.prompt = withRevision(v.prompt, revision);
  }
  return out;
}

function promptSpec(plan: SamplePlan, prompt: Entity<PromptFile>, version: number, params: ModelParams, feature: string, environment: string): PromptSpec {
  const base = plan.baseTokens.get(prompt.id) ?? 300;
  const maxTokens = params.max_tokens ?? 1000;
  return {
    id: prompt.id,
    version,
    base,
    maxTokens,
    content: CONTENT[prompt.id] ?? defaultContent(base, maxTokens),
    json: `"feature":${JSON.stringify(feature)},"environment":${JSON.stringify(environment)},"prompt_id":${JSON.stringify(prompt.id)},"prompt_version":${version}`,
    bundleRevision: '',
  };
}

const withRevision = (p: PromptSpec, revision: string): PromptSpec => ({ ...p, bundleRevision: revision, json: `${p.json},"bundle_revision":"${revision}"` });

function experimentSpec(plan: SamplePlan, e: ExperimentFile, feature: Entity<FeatureFile>, environment: string, date: string): ExperimentSpec | undefined {
  const { repo } = plan;
  const assignment = feature.data.environments[environment]!;
  const total = e.variants.reduce((sum, v) => sum + v.weight, 0);
  const variants = e.variants.map((v, i): VariantSpec => {
    const prompt = v.prompt ? repo.prompts.get(v.prompt) : undefined;
    const version = prompt?.valid ? versionOn(repo, prompt.data, environment, date) : undefined;
    const params = { ...prompt?.data.model, ...assignment.params, ...v.params };
    return {
      name: v.name,
      treated: i > 0,
      prompt: prompt && version !== undefined ? promptSpec(plan, prompt, version, params, feature.id, environment) : undefined,
      model: v.model ? modelSpec(repo, v.model, date, params) : undefined,
      json: `,"experiment":${JSON.stringify(e.name)},"variant":${JSON.stringify(v.name)}`,
    };
  });
  return {
    name: e.name,
    seed: e.seed ?? e.name,
    coverage: e.coverage ?? 1,
    // Weights may be written as percentages; GrowthBook wants fractions.
    weights: e.variants.map((v) => v.weight / (total || 1)),
    variants,
    metrics: new Set((e.metrics ?? []).map((m) => m.name)),
    active: e.starts! <= date && (e.ends === undefined || date <= e.ends),
    hashAttribute: e.hash_attribute === 'organization_id' ? 'organization_id' : 'user_id',
  };
}
