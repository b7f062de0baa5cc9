import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * A/B experiment statistics from per-variant sufficient statistics (counts, sums, sums of squares),
 * so callers aggregate in SQL and never hand raw rows over. Undefined figures are `null` with a
 * reason, never NaN or Infinity, because reports serialise them to JSON.
 *
 * Normal distribution functions come from stdlib rather than simple-statistics: its `probit` is off
 * by about 1e-3 and `cumulativeStdNormalProbability` is a table rounded to 4 decimals.
 */

export interface VariantInput {
  name: string;
  /** Planned traffic weight; any positive scale, normalised to shares. */
  weight: number;
  /** Units (users, sessions) exposed to the variant. */
  units: number;
  metrics: Record<string, MetricInput>;
}

export type MetricInput =
  | { kind: 'binomial'; n: number; successes: number }
  | { kind: 'mean'; n: number; sum: number; sum_squares: number };

export interface MetricDef {
  name: string;
  kind: 'binomial' | 'mean';
  goal: 'higher' | 'lower';
}

export interface AnalyzeOptions {
  variants: VariantInput[];
  metrics: MetricDef[];
  /** Significance level of tests and 1 − confidence of intervals; default 0.05. */
  alpha?: number;
  /** Significance level of the sample ratio mismatch check; default 0.001. */
  srmAlpha?: number;
  /** Name of the control variant; default the first one. */
  control?: string;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface ExperimentAnalysis {
  control: string;
  alpha: number;
  variants: VariantAllocation[];
  srm: SrmCheck;
  metrics: MetricAnalysis[];
  /** Experiment-wide caveats (no units, sample ratio mismatch). */
  notes: string[];
}

export interface VariantAllocation {
  name: string;
  /** Exposed units. */
  units: number;
  /** Observed share of all units; null when no variant has units. */
  share: number | null;
  /** Planned share: the variant's weight over the sum of weights. */
  expected_share: number;
}

/** Chi-square goodness-of-fit of unit counts against planned shares. */
export interface SrmCheck {
  /** Pearson chi-square statistic; null when there are no units at all. */
  statistic: number | null;
  /** Degrees of freedom: variants − 1. */
  df: number;
  p_value: number | null;
  /** The level the p-value was compared with. */
  alpha: number;
  /** True when p_value < alpha: assignment or logging is likely broken and comparisons are suspect. */
  mismatch: boolean;
}

export interface MetricAnalysis {
  name: string;
  kind: 'binomial' | 'mean';
  goal: 'higher' | 'lower';
  /** One entry per variant, in input order. */
  variants: MetricVariantResult[];
  /**
   * The best variant significantly better than control (by estimate, in the goal's direction);
   * the control when every other variant is significantly worse; otherwise null. Each comparison is
   * tested at `alpha` without multiple-comparison correction, so with 3+ variants the chance of a
   * false winner grows with the number of variants.
   */
  winner: string | null;
}

export interface MetricVariantResult {
  variant: string;
  /** Observations of the metric (exposures for a rate, measured values for a mean). */
  n: number;
  /** Success rate or mean; null without observations. */
  estimate: number | null;
  /** Standard error of the estimate (binomial: √(p(1−p)/n); mean: s/√n). */
  standard_error: number | null;
  /** (1 − alpha) interval: Wilson score for rates, Student t with n − 1 df for means. */
  ci: Interval | null;
  /** Why estimate, standard_error or ci is null. */
  note: string | null;
  /** Comparison with the control; null for the control itself. */
  vs_control: Comparison | null;
}

export interface Comparison {
  /** Variant estimate − control estimate. */
  difference: number | null;
  /** Lift: difference / control estimate; null when the control estimate is 0. */
  relative_difference: number | null;
  /** (1 − alpha) interval of the difference: normal with unpooled SE for rates, Welch t for means. */
  ci: Interval | null;
  /** z (two-proportion test, pooled SE) or Welch t. */
  statistic: number | null;
  /** Welch–Satterthwaite degrees of freedom; null for the z-test. */
  df: number | null;
  /** Two-sided p-value. */
  p_value: number | null;
  /** p_value < alpha; false when there is no p-value. */
  significant: boolean;
  /** The difference points in the goal's direction (whether significant or not); null without a difference. */
  better: boolean | null;
  /** Why p_value (and possibly ci or difference) is null. */
  reason: string | null;
}

interface Estimate {
  n: number;
  /** Sum of observations: successes for a rate. */
  sum: number;
  estimate: number | null;
  /** Sample variance of one observation (p(1−p) for a rate); null when undefined. */
  variance: number | null;
}

export function analyzeExperiment(options: AnalyzeOptions): ExperimentAnalysis {
  const { variants, metrics, alpha = 0.05, srmAlpha = 0.001 } = options;
  validate(options, alpha, srmAlpha);
  const control = options.control ?? variants[0]!.name;
  const controlIndex = variants.findIndex((v) => v.name === control);
  if (controlIndex < 0) throw new Error(`control variant "${control}" is not among the variants`);

  const totalUnits = variants.reduce((sum, v) => sum + v.units, 0);
  const totalWeight = variants.reduce((sum, v) => sum + v.weight, 0);
  const allocation = variants.map((v) => ({
    name: v.name,
    units: v.units,
    share: totalUnits > 0 ? v.units / totalUnits : null,
    expected_share: v.weight / totalWeight,
  }));
  const srm = srmCheck(allocation, totalUnits, srmAlpha);

  const notes: string[] = [];
  if (totalUnits === 0) notes.push('no variant has units: allocation and sample ratio are not computed');
  for (const v of variants) if (v.units === 0 && totalUnits > 0) notes.push(`variant "${v.name}" has no units`);
  if (srm.mismatch) notes.push(`sample ratio mismatch (p = ${srm.p_value?.toExponential(2)}): the split differs from the planned weights, so comparisons may be biased`);

  return {
    control,
    alpha,
    variants: allocation,
    srm,
    metrics: metrics.map((def) => analyzeMetric(def, variants, controlIndex, alpha)),
    notes,
  };
}

function validate(options: AnalyzeOptions, alpha: number, srmAlpha: number): void {
  const { variants, metrics } = options;
  if (variants.length < 2) throw new Error('an experiment needs at least two variants');
  if (new Set(variants.map((v) => v.name)).size !== variants.length) throw new Error('variant names must be unique');
  for (const [label, level] of [['alpha', alpha], ['srmAlpha', srmAlpha]] as const) {
    if (!(level > 0 && level < 1)) throw new Error(`${label} must be between 0 and 1, got ${level}`);
  }
  for (const v of variants) {
    if (!(Number.isFinite(v.weight) && v.weight > 0)) throw new Error(`variant "${v.name}": weight must be a positive number`);
    if (!isCount(v.units)) throw new Error(`variant "${v.name}": units must be a non-negative integer`);
    for (const def of metrics) {
      const input = v.metrics[def.name];
      if (!input) continue;
      if (input.kind !== def.kind) throw new Error(`variant "${v.name}", metric "${def.name}": expected ${def.kind} input, got ${input.kind}`);
      if (!isCount(input.n)) throw new Error(`variant "${v.name}", metric "${def.name}": n must be a non-negative integer`);
      if (input.kind === 'binomial' && !(isCount(input.successes) && input.successes <= input.n)) {
        throw new Error(`variant "${v.name}", metric "${def.name}": successes must be an integer between 0 and n`);
      }
    }
  }
}

const isCount = (x: number): boolean => Number.isInteger(x) && x >= 0;

function srmCheck(allocation: VariantAllocation[], totalUnits: number, alpha: number): SrmCheck {
  const df = allocation.length - 1;
  if (totalUnits === 0) return { statistic: null, df, p_value: null, alpha, mismatch: false };
  const statistic = allocation.reduce((sum, v) => {
    const expected = v.expected_share * totalUnits;
    return sum + (v.units - expected) ** 2 / expected;
  }, 0);
  const pValue = 1 - chisquareCdf(statistic, df);
  return { statistic, df, p_value: pValue, alpha, mismatch: pValue < alpha };
}

function analyzeMetric(def: MetricDef, variants: VariantInput[], controlIndex: number, alpha: number): MetricAnalysis {
  const estimates = variants.map((v) => estimateOf(v.metrics[def.name]));
  const control = estimates[controlIndex]!;
  const results = variants.map((v, i): MetricVariantResult => {
    const e = estimates[i]!;
    const single = def.kind === 'binomial' ? wilson(e, alpha) : tInterval(e, alpha);
    const vsControl =
      i === controlIndex
        ? null
        : def.kind === 'binomial'
          ? compareRates(control, e, alpha, def.goal)
          : compareMeans(control, e, alpha, def.goal);
    return { variant: v.name, n: e.n, estimate: e.estimate, ...single, vs_control: vsControl };
  });
  return { name: def.name, kind: def.kind, goal: def.goal, variants: results, winner: winnerOf(results, controlIndex, def.goal) };
}

function estimateOf(input: MetricInput | undefined): Estimate {
  if (!input || input.n === 0) return { n: 0, sum: 0, estimate: null, variance: null };
  if (input.kind === 'binomial') {
    const p = input.successes / input.n;
    return { n: input.n, sum: input.successes, estimate: p, variance: p * (1 - p) };
  }
  const mean = input.sum / input.n;
  if (input.n < 2) return { n: input.n, sum: input.sum, estimate: mean, variance: null };
  // Σx² − n·x̄² cancels catastrophically for near-constant data; a remainder within rounding of Σx²
  // is noise, and taking it for real variance would turn identical values into a "significant" t.
  const deviations = input.sum_squares - input.sum * mean;
  const variance = deviations <= 64 * Number.EPSILON * Math.abs(input.sum_squares) ? 0 : deviations / (input.n - 1);
  return { n: input.n, sum: input.sum, estimate: mean, variance };
}

type SingleResult = Pick<MetricVariantResult, 'standard_error' | 'ci' | 'note'>;

const NO_OBSERVATIONS = 'no observations';

/** Wilson score interval: unlike the Wald interval it stays inside [0, 1] and is not degenerate at 0 or n successes. */
function wilson(e: Estimate, alpha: number): SingleResult {
  if (e.estimate === null || e.variance === null) return { standard_error: null, ci: null, note: NO_OBSERVATIONS };
  const z = normalQuantile(1 - alpha / 2, 0, 1);
  const { n, estimate: p } = e;
  const denominator = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt(e.variance / n + (z * z) / (4 * n * n));
  // Clamping only removes rounding below 0 or above 1 at p = 0 or p = 1.
  return { standard_error: Math.sqrt(e.variance / n), ci: { lower: Math.max(0, center - half), upper: Math.min(1, center + half) }, note: null };
}

function tInterval(e: Estimate, alpha: number): SingleResult {
  if (e.estimate === null) return { standard_error: null, ci: null, note: NO_OBSERVATIONS };
  if (e.variance === null) return { standard_error: null, ci: null, note: 'a single observation has no standard error' };
  const se = Math.sqrt(e.variance / e.n);
  const half = tQuantile(1 - alpha / 2, e.n - 1) * se;
  return { standard_error: se, ci: { lower: e.estimate - half, upper: e.estimate + half }, note: null };
}

interface Direction {
  difference: number;
  relative_difference: number | null;
  better: boolean;
}

function direction(control: number, variant: number, goal: MetricDef['goal']): Direction {
  const difference = variant - control;
  return { difference, relative_difference: control === 0 ? null : difference / control, better: goal === 'higher' ? difference > 0 : difference < 0 };
}

function untested(reason: string, dir: Direction | null = null, ci: Interval | null = null): Comparison {
  return { difference: null, relative_difference: null, better: null, ...dir, ci, statistic: null, df: null, p_value: null, significant: false, reason };
}

const interval = (center: number, half: number): Interval => ({ lower: center - half, upper: center + half });

/**
 * Two-proportion z-test with the pooled SE (the SE under the null of equal rates), while the
 * interval uses the unpooled SE, which does not assume the null it is meant to measure against.
 */
function compareRates(control: Estimate, variant: Estimate, alpha: number, goal: MetricDef['goal']): Comparison {
  if (control.estimate === null || variant.estimate === null) return untested(NO_OBSERVATIONS);
  const dir = direction(control.estimate, variant.estimate, goal);
  const unpooledSe = Math.sqrt(control.variance! / control.n + variant.variance! / variant.n);
  // A zero SE (both rates 0 or both 1) would give a zero-width interval that claims certainty.
  const ci = unpooledSe > 0 ? interval(dir.difference, normalQuantile(1 - alpha / 2, 0, 1) * unpooledSe) : null;
  const pooled = (control.sum + variant.sum) / (control.n + variant.n);
  if (pooled === 0 || pooled === 1) return untested(`every observation is a ${pooled === 0 ? 'failure' : 'success'}: no variance to test`, dir, ci);
  const statistic = dir.difference / Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / variant.n));
  // 2·Φ(−|z|) rather than 2·(1 − Φ(|z|)), which rounds small p-values to 0.
  const pValue = 2 * normalCdf(-Math.abs(statistic), 0, 1);
  return { ...dir, ci, statistic, df: null, p_value: pValue, significant: pValue < alpha, reason: null };
}

function compareMeans(control: Estimate, variant: Estimate, alpha: number, goal: MetricDef['goal']): Comparison {
  if (control.estimate === null || variant.estimate === null) return untested(NO_OBSERVATIONS);
  const dir = direction(control.estimate, variant.estimate, goal);
  if (control.variance === null || variant.variance === null) return untested('a t-test needs at least 2 observations per variant', dir);
  const controlTerm = control.variance / control.n;
  const variantTerm = variant.variance / variant.n;
  const se = Math.sqrt(controlTerm + variantTerm);
  if (se === 0) return untested('both variants have zero variance: no t-test', dir);
  const df = (controlTerm + variantTerm) ** 2 / (controlTerm ** 2 / (control.n - 1) + variantTerm ** 2 / (variant.n - 1));
  const statistic = dir.difference / se;
  const pValue = 2 * tCdf(-Math.abs(statistic), df);
  const ci = interval(dir.difference, tQuantile(1 - alpha / 2, df) * se);
  return { ...dir, ci, statistic, df, p_value: pValue, significant: pValue < alpha, reason: null };
}

function winnerOf(results: MetricVariantResult[], controlIndex: number, goal: MetricDef['goal']): string | null {
  const challengers = results.filter((_, i) => i !== controlIndex);
  const winners = challengers.filter((r) => r.vs_control?.significant && r.vs_control.better);
  if (winners.length > 0) {
    const sign = goal === 'higher' ? 1 : -1;
    return winners.reduce((best, r) => (sign * r.estimate! > sign * best.estimate! ? r : best)).variant;
  }
  const controlWins = challengers.every((r) => r.vs_control?.significant && r.vs_control.better === false);
  return controlWins ? results[controlIndex]!.variant : null;
}
