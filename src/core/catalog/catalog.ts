import type { CatalogFile, CatalogModel, CatalogProvider, PricePeriod } from '../schemas/catalog.js';
import { BUILTIN_CATALOG } from './builtin.js';

export interface Model extends CatalogModel {
  ref: string;
  provider: string;
  /** Model id as the provider's API knows it. */
  name: string;
  origin: 'builtin' | 'repository';
}

export interface Catalog {
  providers: Record<string, CatalogProvider & { origin: 'builtin' | 'repository' }>;
  models: Record<string, Model>;
}

/** The built-in catalog extended by the repository's: a repository entry replaces the built-in one with the same id. */
export function mergeCatalog(repository?: CatalogFile): Catalog {
  const catalog: Catalog = { providers: {}, models: {} };
  for (const [origin, source] of [['builtin', BUILTIN_CATALOG], ['repository', repository ?? {}]] as const) {
    for (const [id, provider] of Object.entries(source.providers ?? {})) catalog.providers[id] = { ...provider, origin };
    for (const [ref, model] of Object.entries(source.models ?? {})) {
      const slash = ref.indexOf('/');
      catalog.models[ref] = { ...model, ref, provider: ref.slice(0, slash), name: ref.slice(slash + 1), origin };
    }
  }
  return catalog;
}

/** The price period in force on `date` (YYYY-MM-DD, UTC): the latest one starting on or before it. */
export function priceAt(model: Pick<CatalogModel, 'pricing'>, date: string): PricePeriod | undefined {
  let best: PricePeriod | undefined;
  for (const period of model.pricing) {
    if (period.effective_from <= date && (!best || period.effective_from > best.effective_from)) best = period;
  }
  return best;
}

export interface TokenUsage {
  input: number;
  output: number;
  /** Subset of `input`. */
  cachedInput?: number;
  /** Subset of `input`. */
  cacheWrite?: number;
  /** Subset of `output`. */
  reasoning?: number;
}

/**
 * Cost in USD of one call. Cached and cache-write tokens are part of the input tokens and
 * reasoning tokens part of the output tokens, so each token is priced exactly once.
 */
export function costOf(price: PricePeriod, usage: TokenUsage): number {
  const cached = usage.cachedInput ?? 0;
  const written = usage.cacheWrite ?? 0;
  const reasoning = usage.reasoning ?? 0;
  const plainInput = Math.max(0, usage.input - cached - written);
  const plainOutput = Math.max(0, usage.output - reasoning);
  const micro =
    plainInput * price.input_per_mtok +
    cached * (price.cached_input_per_mtok ?? price.input_per_mtok) +
    written * (price.cache_write_per_mtok ?? price.input_per_mtok) +
    plainOutput * price.output_per_mtok +
    reasoning * (price.reasoning_per_mtok ?? price.output_per_mtok);
  return micro / 1_000_000;
}

export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);
