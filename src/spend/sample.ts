import { assignVariant } from '../core/assign.js';
import { costOf } from '../core/catalog/catalog.js';
import { loadRepository, type Repository } from '../core/repository.js';
import type { UsageRecord } from '../core/schemas/index.js';
import { planSample, streamsOn, type ModelSpec, type PromptSpec, type SamplePlan, type Stream, type TrafficShape, type VariantSpec } from './sample-plan.js';

/**
 * Deterministic synthetic usage logs for the features of a repository (one record per LLM call),
 * for the committed example sample and for benchmarks. Rows come out in time order per day; lines
 * are built from precomputed JSON fragments because JSON.stringify per row is several times slower.
 */

export interface UsageSampleOptions {
  /** Repository root, loaded when `repo` is not given (default: the current directory). */
  root?: string;
  repo?: Repository;
  /** First day, YYYY-MM-DD (UTC). */
  from: string;
  days: number;
  /** Fraction of the features' `traffic` (calls per day) to generate. */
  scale: number;
  seed?: number;
  /** Stop after this many rows. */
  rows?: number;
}

/** One generated call. The generator reuses a single object: read it before asking for the next row. */
export interface SampleRow {
  /** Day being generated (a fallback call may start just after midnight). */
  day: string;
  timestamp: string;
  requestId: string;
  stream: Stream;
  prompt: PromptSpec;
  model: ModelSpec;
  variant: VariantSpec | undefined;
  input: number;
  output: number;
  cached: number;
  cacheWrite: number;
  reasoning: number;
  cost: number | undefined;
  latency: number;
  status: 'success' | 'error' | 'timeout';
  userId: string;
  organizationId: string;
  /** JSON object text, or '' for none. */
  metadata: string;
}

/** mulberry32: small, fast and good enough for simulation; the same seed gives the same logs. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** lowbias32 (Wellons): a bijection on 32-bit integers, so scrambled counters never collide. */
const mix32 = (x: number): number => {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
};
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

// Traffic shape. Hours are UTC: Lumen's users are in Europe and the Americas, evenings peak.
const PUBLIC_HOURS = normalize([0.9, 0.8, 0.65, 0.5, 0.4, 0.35, 0.4, 0.55, 0.75, 0.95, 1.1, 1.2, 1.25, 1.3, 1.35, 1.4, 1.45, 1.5, 1.55, 1.6, 1.5, 1.35, 1.2, 1.05]);
// Staging and development traffic comes from employees' working hours.
const INTERNAL_HOURS = normalize([0, 0, 0, 0, 0, 0, 0.1, 0.5, 1, 1, 1, 0.8, 0.9, 1, 1, 1, 0.9, 0.6, 0.3, 0.1, 0.05, 0, 0, 0]);
/** Sunday … Saturday, averaging 1 so `traffic` stays the daily mean. */
const PUBLIC_WEEK = normalize([0.84, 1.06, 1.08, 1.07, 1.05, 0.98, 0.8]).map((w) => w * 7);
const INTERNAL_WEEK = [0.05, 1, 1, 1, 1, 0.9, 0.05];
/** Calls per day grow ~11% a month; the last generated day matches the features' `traffic`. */
const GROWTH_PER_DAY = 0.0035;
/** Share of the production traffic seen by the environments 1, 2, … steps before production in the promotion order. */
const INTERNAL_SHARE = [0.02, 0.008];

const ERROR_RATE = { public: 0.01, internal: 0.025 };
const TIMEOUT_RATE = { public: 0.004, internal: 0.005 };
const TIMEOUT_MS = 30_000;
/** Error types, repeated by frequency: mostly rate limits and server errors. */
const ERROR_KINDS = ['rate_limit', 'rate_limit', 'rate_limit', 'rate_limit', 'server_error', 'server_error', 'server_error', 'overloaded', 'overloaded', 'content_filter'];
/** Share of failed calls the service retries on the feature's first fallback model. */
const FALLBACK_RETRY = 0.7;
/** Providers cache prompt prefixes of at least 1024 tokens, in steps of 128. */
const CACHE_MIN = 1024;
const CACHE_STEP = 128;
const CACHE_HIT = 0.75;

function normalize(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const dateAt = (from: string, day: number): string => new Date(Date.parse(from) + day * DAY_MS).toISOString().slice(0, 10);

function trafficShape(from: string, days: number, environments: number): TrafficShape {
  return {
    factor(envIndex, production, date) {
      const day = Math.round((Date.parse(date) - Date.parse(from)) / DAY_MS);
      const weekday = new Date(Date.parse(date)).getUTCDay();
      const growth = (1 + GROWTH_PER_DAY) ** (day - (days - 1));
      if (production) return PUBLIC_WEEK[weekday]! * growth;
      const steps = Math.min(environments - 1 - envIndex, INTERNAL_SHARE.length);
      const share = INTERNAL_SHARE[steps - 1]!;
      return share * INTERNAL_WEEK[weekday]! * growth;
    },
  };
}

const plans = new WeakMap<Repository, SamplePlan>();

const repoOf = (options: UsageSampleOptions): Repository => options.repo ?? loadRepository({ root: options.root ?? process.cwd() }).value;

function planFor(options: UsageSampleOptions): SamplePlan {
  const repo = repoOf(options);
  let plan = plans.get(repo);
  if (!plan) {
    plan = planSample(repo);
    plans.set(repo, plan);
  }
  if (plan.streams.length === 0) throw new Error('no feature of the repository has prompts with `traffic`: nothing to generate');
  return plan;
}

/** Expected number of rows, fallback retries included, before the row limit: to pick a scale or place data-quality issues. */
export function expectedRows(options: UsageSampleOptions): number {
  const plan = planFor(options);
  const shape = trafficShape(options.from, options.days, plan.environments.length);
  let total = 0;
  for (let d = 0; d < options.days; d++) {
    for (const s of streamsOn(plan, dateAt(options.from, d), options.scale, shape, () => 1)) {
      const failed = s.production ? ERROR_RATE.public + TIMEOUT_RATE.public : ERROR_RATE.internal + TIMEOUT_RATE.internal;
      total += s.expected * (1 + (s.fallback ? failed * FALLBACK_RETRY : 0));
    }
  }
  return Math.round(total);
}

/** The generated calls, in time order within each day. Yields one reused row object. */
export function* usageRows(options: UsageSampleOptions): Generator<SampleRow> {
  const plan = planFor(options);
  const seed = options.seed ?? 1;
  const rand = mulberry32(seed);
  const limit = options.rows ?? Infinity;
  const shape = trafficShape(options.from, options.days, plan.environments.length);

  let spare = NaN;
  const gauss = (): number => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  const poisson = (lambda: number): number => {
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
    let k = 0;
    for (let p = rand(), limitP = Math.exp(-lambda); p > limitP; p *= rand()) k++;
    return k;
  };

  // Users: production calls per user follow a shifted power law (density ∝ (i + c)^-1.5: the top
  // 10% of users make about half of the calls, no single user more than ~0.2%); staging and
  // development calls come from a small pool of employees.
  const productionDaily = plan.streams.filter((s) => s.environment === plan.environments.at(-1)).reduce((sum, s) => sum + s.traffic, 0);
  // About one user per two daily calls, and enough users that small samples do not concentrate on a few.
  const userCount = Math.min(4_000_000, Math.max(5000, Math.round(productionDaily * options.scale * 0.6)));
  const shift = userCount / 20;
  const head = 1 / Math.sqrt(shift);
  const span = head - 1 / Math.sqrt(userCount + shift);
  /** Inverse of the power law's CDF: a uniform number to a user index. */
  const userIndex = (u: number): number => Math.min(userCount - 1, Math.floor(1 / (head - u * span) ** 2 - shift));
  const employees = 300;
  const orgCount = Math.min(50_000, Math.max(20, Math.round(userCount / 60)));
  const salt = mix32(seed ^ 0x5eed);
  const orgIds = Array.from({ length: orgCount }, (_, i) => `org_${hex(mix32(i ^ salt) & 0xffffff, 6)}`);
  // An odd multiplier is a bijection modulo 2^24: distinct user indexes get distinct ids.
  const userId = (index: number): string => `u_${hex((Math.imul(index, 0x2c9277b5) ^ salt) & 0xffffff, 6)}`;
  // 72% of users have personal plans; the others belong to business organizations, a few of them large.
  const orgOf = (index: number): string => {
    const h = mix32(index ^ salt);
    if (h % 100 < 72) return 'org_lumen_consumer';
    return orgIds[Math.floor(orgCount * ((h >>> 8) / 16_777_216) ** 2.5)]!;
  };

  // Every field is set before the first yield.
  const row = {} as SampleRow;

  let counter = 0;
  const requestSalt = mix32(seed);
  const nextRequestId = (): string => `req_${hex(mix32((counter++ + requestSalt) >>> 0), 8)}${hex(Math.floor(rand() * 65536), 4)}`;

  // ISO timestamps from a cached hour prefix: toISOString per row costs more than the rest of the line.
  let hourStart = -1;
  let hourPrefix = '';
  const isoAt = (ms: number): string => {
    if (ms < hourStart || ms >= hourStart + HOUR_MS) {
      hourStart = ms - (ms % HOUR_MS);
      hourPrefix = new Date(hourStart).toISOString().slice(0, 14);
    }
    const within = ms - hourStart;
    const m = Math.floor(within / 60000);
    const s = Math.floor(within / 1000) % 60;
    const milli = Math.floor(within % 1000);
    return `${hourPrefix}${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  };

  /** Tokens, status, latency and cost of one call of `prompt` on `model`; returns the status. */
  const simulate = (prompt: PromptSpec, model: ModelSpec, internal: boolean): SampleRow['status'] => {
    const c = prompt.content;
    const extra = c.extra * Math.exp(c.extraSigma * gauss());
    const input = Math.max(1, Math.round(prompt.base * Math.exp(0.08 * gauss()) + extra));
    const visible = Math.max(1, Math.round(c.out * Math.exp(c.outSigma * gauss())));
    // Easy requests are answered without thinking even on reasoning models.
    let reasoning = model.reasoning > 0 && rand() > 0.3 ? Math.round(visible * model.reasoning * Math.exp(0.5 * gauss())) : 0;
    let output = Math.min(prompt.maxTokens, visible + reasoning);
    reasoning = Math.min(reasoning, output);
    let cached = 0;
    let cacheWrite = 0;
    const prefix = Math.min(input, prompt.base + c.reuse * extra);
    if (model.caches && prefix >= CACHE_MIN) {
      const tokens = Math.floor(prefix / CACHE_STEP) * CACHE_STEP;
      if (rand() < CACHE_HIT) cached = tokens;
      else if (model.writes) cacheWrite = tokens;
    }
    const u = rand();
    const errorRate = internal ? ERROR_RATE.internal : ERROR_RATE.public;
    const timeoutRate = internal ? TIMEOUT_RATE.internal : TIMEOUT_RATE.public;
    let latency: number;
    if (u < errorRate) {
      row.status = 'error';
      // Most failures come back before any output; a few break off mid-stream.
      output = rand() < 0.2 ? 1 + Math.floor(rand() * 30) : 0;
      reasoning = 0;
      cached = 0;
      cacheWrite = 0;
      latency = 100 + 300 * Math.exp(0.7 * gauss()) + (output * 1000) / model.tps;
      row.metadata = `"error":"${ERROR_KINDS[Math.floor(rand() * ERROR_KINDS.length)]}"`;
    } else if (u < errorRate + timeoutRate) {
      row.status = 'timeout';
      output = 0;
      reasoning = 0;
      latency = TIMEOUT_MS + rand() * 400;
      row.metadata = '';
    } else {
      row.status = 'success';
      latency = model.ttft * Math.exp(0.35 * gauss()) + input * 0.01 + ((output * 1000) / model.tps) * Math.exp(0.15 * gauss());
      row.metadata = '';
    }
    row.input = input;
    row.output = output;
    row.reasoning = reasoning;
    row.cached = cached;
    row.cacheWrite = cacheWrite;
    row.latency = Math.round(latency);
    row.prompt = prompt;
    row.model = model;
    row.cost = model.reportsCost
      ? Math.round(costOf(model.price, { input, output, cachedInput: cached, cacheWrite, reasoning }) * 1e10) / 1e10
      : undefined;
    return row.status;
  };

  /** Support outcomes logged with the assistant's answers; the treatment resolves a little more. */
  const outcomes = (metrics: Set<string>, treated: boolean): string => {
    const escalated = rand() < (treated ? 0.07 : 0.08);
    const resolved = !escalated && rand() < (treated ? 0.65 / 0.93 : 0.62 / 0.92);
    const parts: string[] = [];
    if (metrics.has('resolved')) parts.push(`"resolved":${resolved}`);
    if (metrics.has('escalated')) parts.push(`"escalated":${escalated}`);
    // About 30% of users answer the satisfaction survey.
    if (metrics.has('csat') && rand() < 0.3) parts.push(`"csat":${csat(rand(), treated)}`);
    return parts.join(',');
  };

  let produced = 0;
  let cumulative = new Float64Array(64);
  let times = new Float64Array(1024);
  for (let d = 0; d < options.days && produced < limit; d++) {
    const date = dateAt(options.from, d);
    const dayStart = Date.parse(date);
    const streams = streamsOn(plan, date, options.scale, shape, () => Math.exp(0.05 * gauss()));
    if (streams.length > cumulative.length) cumulative = new Float64Array(streams.length);
    row.day = date;
    for (let h = 0; h < 24 && produced < limit; h++) {
      let total = 0;
      for (let i = 0; i < streams.length; i++) {
        const s = streams[i]!;
        total += s.expected * (s.production ? PUBLIC_HOURS[h]! : INTERNAL_HOURS[h]!);
        cumulative[i] = total;
      }
      const n = poisson(total);
      if (n === 0) continue;
      // Sorted uniform times from normalised exponential gaps: time order without a sort.
      if (n + 1 > times.length) times = new Float64Array(n + 1);
      let acc = 0;
      for (let i = 0; i <= n; i++) {
        acc -= Math.log(1 - rand());
        times[i] = acc;
      }
      const hourMs = dayStart + h * HOUR_MS;
      for (let i = 0; i < n && produced < limit; i++) {
        const target = rand() * total;
        let lo = 0;
        let hi = streams.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cumulative[mid]! > target) hi = mid;
          else lo = mid + 1;
        }
        const s = streams[lo]!;
        const start = hourMs + Math.floor((times[i]! / acc) * HOUR_MS);
        const internal = !s.production;
        let user: string;
        let org: string;
        if (internal) {
          user = userId(userCount + Math.floor(rand() * employees));
          org = 'org_lumen_internal';
        } else {
          const index = userIndex(rand());
          user = userId(index);
          org = orgOf(index);
        }
        const exp = s.experiment;
        let variant: VariantSpec | undefined;
        if (exp?.active) {
          const arm = assignVariant({ seed: exp.seed, coverage: exp.coverage, weights: exp.weights, unit: exp.hashAttribute === 'user_id' ? user : org });
          variant = arm >= 0 ? exp.variants[arm] : undefined;
        }
        row.stream = s;
        row.variant = variant;
        row.userId = user;
        row.organizationId = org;
        row.timestamp = isoAt(start);
        row.requestId = nextRequestId();
        const status = simulate(variant?.prompt ?? s.prompt, variant?.model ?? s.model, internal);
        if (status === 'success' && exp && exp.metrics.size) row.metadata = outcomes(exp.metrics, variant?.treated ?? false);
        yield row;
        produced++;
        if (status !== 'success' && s.fallback && produced < limit && rand() < FALLBACK_RETRY) {
          row.timestamp = isoAt(start + row.latency + 50 + Math.floor(rand() * 250));
          row.requestId = nextRequestId();
          const retried = simulate(variant?.prompt ?? s.prompt, s.fallback, internal);
          const outcome = retried === 'success' && exp && exp.metrics.size ? outcomes(exp.metrics, variant?.treated ?? false) : '';
          row.metadata = [row.metadata, '"attempt":2', outcome].filter(Boolean).join(',');
          yield row;
          produced++;
        }
      }
    }
  }
}

/** CSAT 1–5, skewed to 4 and 5; the treatment shifts the mean by about +0.15. */
function csat(u: number, treated: boolean): number {
  const weights = treated ? [0.06, 0.065, 0.125, 0.29, 0.46] : [0.07, 0.08, 0.15, 0.3, 0.4];
  let acc = 0;
  for (let i = 0; i < 4; i++) {
    acc += weights[i]!;
    if (u < acc) return i + 1;
  }
  return 5;
}

/** The row as a JSONL line (with the newline), fields in schema order. */
function jsonLine(row: SampleRow, withFeature = true): string {
  const s = row.stream;
  const m = row.model;
  const head = withFeature ? row.prompt.json : row.prompt.json.slice(row.prompt.json.indexOf(',') + 1);
  const cache = m.caches ? `,"cached_input_tokens":${row.cached},"cache_write_tokens":${row.cacheWrite}` : '';
  const reasoning = m.reasoning > 0 ? `,"reasoning_tokens":${row.reasoning}` : '';
  const cost = row.cost === undefined ? '' : `,"cost_usd":${row.cost}`;
  const team = s.team === undefined ? '' : `,"team":${JSON.stringify(s.team)}`;
  const metadata = row.metadata ? `,"metadata":{${row.metadata}}` : '';
  return `{"timestamp":"${row.timestamp}","request_id":"${row.requestId}",${head}${row.variant?.json ?? ''},${m.json},"input_tokens":${row.input},"output_tokens":${row.output}${cache}${reasoning}${cost},"latency_ms":${row.latency},"status":"${row.status}","user_id":"${row.userId}","organization_id":"${row.organizationId}"${team}${metadata}}\n`;
}

/** The row as a fresh record object (what a JSONL line parses to). */
function toRecord(row: SampleRow): UsageRecord {
  return JSON.parse(jsonLine(row)) as UsageRecord;
}

/** Columns of the CSV format: every usage-log field in schema order. */
const CSV_COLUMNS = [
  'timestamp', 'request_id', 'feature', 'environment', 'prompt_id', 'prompt_version', 'bundle_revision', 'experiment', 'variant',
  'provider', 'model', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'tokens_used',
  'cost_usd', 'latency_ms', 'status', 'user_id', 'organization_id', 'team', 'metadata',
] as const;

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`;

/** The row as a CSV line; empty fields are absent values. Only metadata (JSON) needs quoting. */
function csvLine(row: SampleRow, withFeature = true): string {
  const s = row.stream;
  const m = row.model;
  const p = row.prompt;
  const metadata = row.metadata ? `"{${row.metadata.replaceAll('"', '""')}}"` : '';
  return [
    row.timestamp, row.requestId, withFeature ? s.feature : '', s.environment, p.id, p.version, p.bundleRevision, row.variant ? s.experiment!.name : '',
    row.variant?.name ?? '', m.provider, m.name, row.input, row.output, m.caches ? row.cached : '', m.caches ? row.cacheWrite : '',
    m.reasoning > 0 ? row.reasoning : '', '', row.cost ?? '', row.latency, row.status, row.userId, row.organizationId, s.team ?? '', metadata,
  ].join(',') + '\n';
}

/** Generated records as objects: convenient for tests and small samples. */
export function* generateUsage(options: UsageSampleOptions): Generator<UsageRecord> {
  for (const row of usageRows(options)) yield toRecord(row);
}

export interface TextOptions extends UsageSampleOptions {
  format?: 'jsonl' | 'csv';
  /**
   * Add a few data-quality problems real exports have: 5 duplicated lines (an at-least-once
   * shipper), one line cut off mid-record (a crash while writing) and one row without `feature`.
   */
  dirty?: boolean;
  /** Rows per chunk (default 512: small strings die young, large ones slow the garbage collector). */
  batch?: number;
}

export interface TextChunk {
  /** Day the rows were generated for (chunks never span days). */
  day: string;
  text: string;
  rows: number;
}

/** Lines of the generated calls in chunks of `batch` rows, ready to write to a file or stream. */
export function* usageText(textOptions: TextOptions): Generator<TextChunk> {
  const options = { ...textOptions, repo: repoOf(textOptions) };
  const line = options.format === 'csv' ? csvLine : jsonLine;
  const batch = options.batch ?? 512;
  const issues = options.dirty ? dirtyPositions(Math.min(expectedRows(options), options.rows ?? Infinity)) : undefined;
  let day = '';
  let text = '';
  let rows = 0;
  let index = 0;
  for (const row of usageRows(options)) {
    if (row.day !== day || rows >= batch) {
      if (rows) yield { day, text, rows };
      day = row.day;
      text = '';
      rows = 0;
    }
    const kind = issues?.get(index++);
    const out = line(row, kind !== 'missing-feature');
    if (kind === 'duplicate') text += out;
    text += kind === 'malformed' ? `${out.slice(0, Math.floor(out.length / 2))}\n` : out;
    rows++;
  }
  if (rows) yield { day, text, rows };
}

type Issue = 'duplicate' | 'malformed' | 'missing-feature';

function dirtyPositions(expected: number): Map<number, Issue> {
  const at = (share: number) => Math.floor(expected * share);
  const issues = new Map<number, Issue>([0.15, 0.35, 0.55, 0.75, 0.95].map((share) => [at(share), 'duplicate']));
  issues.set(at(0.45), 'malformed');
  issues.set(at(0.65), 'missing-feature');
  return issues;
}
