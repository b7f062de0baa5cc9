import type { Catalog } from '../core/catalog/catalog.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { changedPrompts } from '../core/fingerprint.js';
import { loadRepository, type Repository } from '../core/repository.js';
import { snapshotRef } from '../git/snapshot.js';
import { createResponseCache } from './cache.js';
import { createModelClient, type CacheMode } from './client.js';
import { planEval } from './plan.js';
import { createOfflineProvider } from './providers/offline.js';
import { apiKeysOf, createLiveProvider } from './providers/openai.js';
import { createSummary, type EvalSummary } from './report.js';
import { runTests, type TestResult } from './run.js';
import type { Provider } from './types.js';
import { pathInside } from '../core/path-inside.js';

export type ProviderChoice = 'auto' | 'live' | 'offline';

export const EVAL_DEFAULTS = {
  provider: 'auto' as ProviderChoice,
  concurrency: 8,
  timeoutMs: 60_000,
  retries: 3,
  cacheDir: '.promptops/cache',
  grader: 'openai/gpt-5.6-luna',
  embeddingModel: 'openai/text-embedding-3-small',
};

export interface EvaluateOptions {
  repo: Repository;
  environment: string;
  prompts?: string[];
  /** Only prompts whose eval inputs changed since this git ref. */
  changedSince?: string;
  experiment?: string;
  mode?: CacheMode;
  provider?: ProviderChoice;
  concurrency?: number;
  timeoutMs?: number;
  /** Time limit of one `javascript` assertion call, in ms. */
  assertionTimeoutMs?: number;
  retries?: number;
  /** Response cache directory, absolute (default: `eval.cache_dir` of the repository). A diff evaluates the base snapshot with the head's cache. */
  cacheDir?: string;
  /** Environment variables for API keys and base URL overrides (default: process.env). */
  env?: Record<string, string | undefined>;
  date?: string;
  onResult?: (result: TestResult) => void | Promise<void>;
  onProgress?: (done: number, total: number) => void;
  /** Called once the tests to run are known, before any runs. */
  onPlan?: (count: number, prompts: string[]) => void | Promise<void>;
}

export interface EvaluateResult {
  /** Planning problems (unknown prompt or experiment); nothing ran when any is an error. */
  diagnostics: Diagnostic[];
  summary: EvalSummary;
  provider: ProviderChoice;
  mode: CacheMode;
  /** Prompts selected by `changedSince` (undefined otherwise). */
  changed?: string[];
}

/** Runs the tests of a repository's prompts (or an experiment's variants) and returns the summary; results stream through `onResult`. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const { repo } = options;
  const settings = repo.config.eval ?? {};
  const providerChoice = options.provider ?? settings.provider ?? EVAL_DEFAULTS.provider;
  const mode = options.mode ?? 'cache';
  const summary = createSummary();
  let prompts = options.prompts;
  let changed: string[] | undefined;
  if (options.changedSince !== undefined) {
    const snapshot = await snapshotRef({ root: repo.root, ref: options.changedSince });
    try {
      const base = loadRepository({ root: snapshot.root }).value;
      changed = changedPrompts(base, repo, options.environment).filter((id) => !prompts || prompts.includes(id));
      prompts = changed;
    } finally {
      snapshot.dispose();
    }
  }
  const plan = planEval({ repo, prompts, experiment: options.experiment });
  if (plan.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: plan.diagnostics, summary: summary.result(), provider: providerChoice, mode, changed };
  await options.onPlan?.(plan.value.length, [...new Set(plan.value.map((j) => j.prompt))]);

  const env = options.env ?? process.env;
  const concurrency = options.concurrency ?? settings.concurrency ?? EVAL_DEFAULTS.concurrency;
  const provider = createProvider(providerChoice, repo.catalog, {
    env,
    timeoutMs: options.timeoutMs ?? settings.timeout_ms ?? EVAL_DEFAULTS.timeoutMs,
    retries: options.retries ?? settings.retries ?? EVAL_DEFAULTS.retries,
  });
  const cacheDir = options.cacheDir ?? resolveCacheDir(repo);
  const client = createModelClient({ provider, mode, concurrency, cache: createResponseCache(cacheDir, { secrets: apiKeysOf(repo.catalog, env) }) });
  await runTests({
    repo,
    environment: options.environment,
    jobs: plan.value,
    client,
    grader: settings.grader ?? EVAL_DEFAULTS.grader,
    embeddingModel: settings.embedding_model ?? EVAL_DEFAULTS.embeddingModel,
    assertionTimeoutMs: options.assertionTimeoutMs ?? settings.assertion_timeout_ms,
    // Tests wait on calls and grading in turn; twice as many tests as call slots keeps the slots busy.
    concurrency: concurrency * 2,
    date: options.date,
    onProgress: options.onProgress,
    onResult: async (result) => {
      summary.add(result);
      await options.onResult?.(result);
    },
  });
  return { diagnostics: plan.diagnostics, summary: summary.result(), provider: providerChoice, mode, changed };
}

/** The response cache folder; throws PathEscapeError when the config puts it outside the repository (validate: path-outside-repository). */
export function resolveCacheDir(repo: Repository): string {
  return pathInside(repo.root, repo.config.eval?.cache_dir ?? EVAL_DEFAULTS.cacheDir);
}

/**
 * `live`: every call goes to the provider. `offline`: none does. `auto`: providers whose API key
 * variable is set (or that need none) are live, the others offline.
 */
export function createProvider(choice: ProviderChoice, catalog: Catalog, options: { env: Record<string, string | undefined>; timeoutMs: number; retries: number }): Provider {
  const offline = createOfflineProvider();
  if (choice === 'offline') return offline;
  const live = createLiveProvider({ catalog, ...options });
  if (choice === 'live') return live;
  const isLive = (ref: string) => {
    const provider = catalog.providers[ref.slice(0, ref.indexOf('/'))];
    return Boolean(provider && (!provider.api_key_env || options.env[provider.api_key_env]));
  };
  return {
    name: 'live',
    chat: (request) => (isLive(request.model) ? live : offline).chat(request),
    embed: (model, input) => (isLive(model) ? live : offline).embed(model, input),
  };
}
