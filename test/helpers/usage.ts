import { catalogModel, minimalRepo, repo, type Tree } from './repo.js';

export { catalogModel };

/** Catalog of the spend tests: prices are written here once and re-typed in `PRICES` below on purpose. */
export const SPEND_MODELS_YAML = `providers:
  acme:
    type: custom
    base_url: http://127.0.0.1:9/v1
    api_key_env: ACME_API_KEY
models:
${catalogModel('acme/alpha', 'chat, prompt_caching, reasoning', [
  { effective_from: '2026-01-01', input_per_mtok: 2, cached_input_per_mtok: 0.5, cache_write_per_mtok: 2.5, output_per_mtok: 8, reasoning_per_mtok: 12 },
  { effective_from: '2026-03-01', input_per_mtok: 1, output_per_mtok: 4 },
])}${catalogModel('acme/beta', 'chat', [{ effective_from: '2026-01-15', input_per_mtok: 0.3, output_per_mtok: 0.9 }])}`;

/** The same prices, for the independent computation of expected costs. */
const PRICES: Record<string, Array<{ from: string; input: number; cached?: number; write?: number; output: number; reasoning?: number }>> = {
  'acme/alpha': [
    { from: '2026-01-01', input: 2, cached: 0.5, write: 2.5, output: 8, reasoning: 12 },
    { from: '2026-03-01', input: 1, output: 4 },
  ],
  'acme/beta': [{ from: '2026-01-15', input: 0.3, output: 0.9 }],
};

export interface Row {
  timestamp: string;
  request_id: string;
  feature: string;
  provider: string;
  model: string;
  status: string;
  environment?: string;
  team?: string;
  user_id?: string;
  prompt_id?: string;
  prompt_version?: number;
  input_tokens?: number;
  output_tokens?: number;
  cached_input_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
  tokens_used?: number;
  cost_usd?: number;
  latency_ms?: number;
  [k: string]: unknown;
}

/**
 * Expected cost of one row, computed without the product's code: provider cost wins; otherwise the
 * catalog period of the call's UTC date; cached/cache-write ⊂ input, reasoning ⊂ output; a row with
 * only `tokens_used` at the input rate; undefined when no price applies.
 */
export function expectedCost(row: Row): number | undefined {
  if (row.cost_usd !== undefined) return row.cost_usd;
  const key = row.model.includes('/') ? row.model : `${row.provider}/${row.model}`;
  const base = key.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
  const periods = PRICES[key] ?? PRICES[base];
  const day = new Date(row.timestamp).toISOString().slice(0, 10);
  const p = periods?.filter((x) => x.from <= day).at(-1);
  if (!p) return undefined;
  if (row.input_tokens === undefined && row.output_tokens === undefined) return ((row.tokens_used ?? 0) * p.input) / 1e6;
  const input = row.input_tokens ?? 0;
  const cached = row.cached_input_tokens ?? 0;
  const write = row.cache_write_tokens ?? 0;
  const output = row.output_tokens ?? 0;
  const reasoning = row.reasoning_tokens ?? 0;
  return ((input - cached - write) * p.input + cached * (p.cached ?? p.input) + write * (p.write ?? p.input) + (output - reasoning) * p.output + reasoning * (p.reasoning ?? p.output)) / 1e6;
}

/** A small deterministic PRNG (LCG) so fixtures are the same on every run. */
export function lcg(seed = 1) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** `n` rows from 2026-02-20 to 2026-03-11 (across alpha's price change), every kind of token count. */
export function usageRows(n = 300, seed = 7): Row[] {
  const rnd = lcg(seed);
  const rows: Row[] = [];
  const start = Date.UTC(2026, 1, 20);
  for (let i = 0; i < n; i++) {
    const model = ['alpha', 'beta', 'acme/alpha', 'alpha-2026-02-01'][i % 4]!;
    const input = 100 + Math.floor(rnd() * 4000);
    const cached = i % 3 === 0 ? Math.floor(input * rnd() * 0.8) : undefined;
    const write = i % 7 === 0 && cached !== undefined ? Math.floor((input - cached) * 0.5) : undefined;
    const output = 10 + Math.floor(rnd() * 900);
    const reasoning = i % 5 === 0 ? Math.floor(output * rnd()) : undefined;
    const row: Row = {
      timestamp: new Date(start + Math.floor(rnd() * 20 * 86_400_000)).toISOString(),
      request_id: `req-${seed}-${i}`,
      feature: i % 2 ? 'greeter' : 'search',
      provider: 'acme',
      model,
      status: i % 17 === 0 ? 'error' : i % 29 === 0 ? 'timeout' : 'success',
      environment: i % 3 ? 'production' : 'staging',
      team: i % 2 ? undefined : 'search-team',
      user_id: `u${i % 11}`,
      prompt_id: i % 2 ? 'greet' : 'search/answer',
      prompt_version: 1 + (i % 3),
      latency_ms: 100 + (i % 50) * 10,
    };
    if (i % 13 === 0) row.tokens_used = input + output;
    else {
      row.input_tokens = input;
      row.output_tokens = output;
      if (cached !== undefined) row.cached_input_tokens = cached;
      if (write !== undefined) row.cache_write_tokens = write;
      if (reasoning !== undefined) row.reasoning_tokens = reasoning;
    }
    if (i % 10 === 0) row.cost_usd = Math.round(rnd() * 1e6) / 1e8;
    rows.push(row);
  }
  return rows;
}

/** A running 50/50 A/B test on the spend repository's feature, for experiment reports over usage rows. */
export const TONE_EXPERIMENT = `name: tone
feature: greeter
type: a_b_test
status: running
variants:
  - { name: control, weight: 50 }
  - { name: friendly, weight: 50 }
metrics:
  - { name: latency_ms, kind: mean, goal: lower }
`;

export const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export const CSV_FIELDS = ['timestamp', 'request_id', 'feature', 'provider', 'model', 'status', 'environment', 'team', 'user_id', 'prompt_id', 'prompt_version', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'tokens_used', 'cost_usd', 'latency_ms'];

export const csv = (rows: readonly Row[]) => [CSV_FIELDS.join(','), ...rows.map((r) => CSV_FIELDS.map((f) => (r[f] === undefined ? '' : String(r[f]))).join(','))].join('\n') + '\n';

/** A repository with the spend catalog, a `search` feature (team from its file) and the given files. */
export function spendRepo(files: Tree = {}, config = 'usage:\n  paths: [usage/*.jsonl]\n'): string {
  return repo({
    ...minimalRepo({ 'promptops.config.yaml': `${minimalRepo()['promptops.config.yaml']}${config}` }),
    'features/_models.yaml': SPEND_MODELS_YAML,
    'features/greeter.yaml': `name: greeter
status: active
team: growth
prompts: [greet]
environments:
  development: { model: acme/beta }
  staging: { model: acme/beta }
  production: { model: acme/beta }
`,
    ...files,
  });
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
