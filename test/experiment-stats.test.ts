import { describe, expect, it } from 'vitest';
import { analyzeExperiment, type MetricDef, type VariantInput } from '../src/spend/experiment-stats.js';

// Reference figures come from closed forms evaluated here, or were computed with scipy 1.17
// (stats.norm, stats.t, stats.chi2, stats.ttest_ind_from_stats) and cross-checked with mpmath at
// 40 digits (normal tails via mp.ncdf, Student t tails by numerically integrating the density);
// both agreed to at least 14 significant digits on every pasted value.

/** scipy stats.norm.ppf(0.975). */
const Z975 = 1.959963984540054;

function close(actual: number | null | undefined, expected: number, rel = 1e-6): void {
  expect(actual, `expected ${expected}`).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-15);
}

/** Wilson score interval, written out from the textbook formula. */
function wilson(successes: number, n: number, z = Z975): [number, number] {
  const p = successes / n;
  const center = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [center - half, center + half];
}

const conversion: MetricDef = { name: 'conversion', kind: 'binomial', goal: 'higher' };

function rateVariant(name: string, n: number, successes: number, weight = 1, units = n): VariantInput {
  return { name, weight, units, metrics: { conversion: { kind: 'binomial', n, successes } } };
}

function meanVariant(name: string, n: number, sum: number, sumSquares: number, units = n): VariantInput {
  return { name, weight: 1, units, metrics: { latency: { kind: 'mean', n, sum, sum_squares: sumSquares } } };
}

/** Sum and sum of squares of n values with the given mean and sample sd: Σx² = (n − 1)s² + n·x̄². */
const moments = (n: number, mean: number, sd: number): [number, number] => [n * mean, (n - 1) * sd * sd + n * mean * mean];

function twoRates(a: [number, number], b: [number, number]) {
  const result = analyzeExperiment({ variants: [rateVariant('A', ...a), rateVariant('B', ...b)], metrics: [conversion] });
  return { result, metric: result.metrics[0]!, control: result.metrics[0]!.variants[0]!, treatment: result.metrics[0]!.variants[1]! };
}

/** Fails on any NaN or infinity anywhere in the output, which JSON would turn into null silently. */
function expectFinite(value: unknown): void {
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number') expect(Number.isFinite(v), `non-finite number ${v}`).toBe(true);
    return v;
  });
}

describe('analyzeExperiment: binomial metrics', () => {
  it('finds a clear winner in a balanced 50/50 test', () => {
    const { result, metric, control, treatment } = twoRates([10_000, 1000], [10_000, 1150]);
    expect(result.control).toBe('A');
    expect(result.variants.map((v) => [v.share, v.expected_share])).toEqual([[0.5, 0.5], [0.5, 0.5]]);
    expect(result.srm).toMatchObject({ statistic: 0, df: 1, p_value: 1, mismatch: false });

    expect(control).toMatchObject({ variant: 'A', n: 10_000, estimate: 0.1, note: null, vs_control: null });
    close(control.standard_error, Math.sqrt((0.1 * 0.9) / 10_000));
    close(control.ci?.lower, wilson(1000, 10_000)[0]);
    close(control.ci?.upper, wilson(1000, 10_000)[1]);
    // scipy's Wilson values for the same counts, as a check on the helper above.
    close(control.ci?.lower, 0.09427283017063046);
    close(treatment.ci?.upper, 0.12140110177370839);

    const c = treatment.vs_control!;
    close(c.difference, 0.015);
    close(c.relative_difference, 0.15);
    const unpooled = Math.sqrt((0.1 * 0.9) / 10_000 + (0.115 * 0.885) / 10_000);
    close(c.ci?.lower, 0.015 - Z975 * unpooled);
    close(c.ci?.upper, 0.015 + Z975 * unpooled);
    const pooled = 2150 / 20_000;
    close(c.statistic, 0.015 / Math.sqrt(pooled * (1 - pooled) * (2 / 10_000)));
    close(c.statistic, 3.4242693353108837);
    close(c.p_value, 0.0006164549192148455); // 2·scipy norm.sf(z)
    expect(c).toMatchObject({ df: null, significant: true, better: true, reason: null });
    expect(metric.winner).toBe('B');
    expect(result.notes).toEqual([]);
  });

  it('declares no winner when the difference is not significant', () => {
    const { metric, treatment } = twoRates([10_000, 1000], [10_000, 1020]);
    const c = treatment.vs_control!;
    close(c.statistic, 0.4693258388644307);
    close(c.p_value, 0.6388367487060473);
    close(c.ci?.lower, -0.0063522066306023126);
    close(c.ci?.upper, 0.010352206630602288);
    expect(c).toMatchObject({ significant: false, better: true });
    expect(metric.winner).toBeNull();
  });

  it('names the control the winner when the treatment is significantly worse', () => {
    const { metric, treatment } = twoRates([10_000, 1000], [10_000, 880]);
    close(treatment.vs_control?.statistic, -2.9076238503011504);
    close(treatment.vs_control?.p_value, 0.0036418610205608878);
    expect(treatment.vs_control).toMatchObject({ significant: true, better: false });
    expect(metric.winner).toBe('A');
  });

  it('keeps the Wilson interval at 0 or all successes but gives no z-test when the pooled rate is 0 or 1', () => {
    // Wilson in closed form: 0 of n gives [0, z²/(n + z²)], n of n gives [n/(n + z²), 1].
    const none = twoRates([100, 0], [100, 0]);
    expect(none.control.ci?.lower).toBe(0);
    close(none.control.ci?.upper, (Z975 * Z975) / (100 + Z975 * Z975));
    expect(none.treatment.vs_control).toMatchObject({ difference: 0, relative_difference: null, ci: null, statistic: null, p_value: null, significant: false });
    expect(none.treatment.vs_control?.reason).toMatch(/failure/);
    expect(none.metric.winner).toBeNull();

    const all = twoRates([50, 50], [80, 80]);
    close(all.control.ci?.lower, 50 / (50 + Z975 * Z975));
    expect(all.control.ci?.upper).toBe(1);
    expect(all.treatment.vs_control).toMatchObject({ p_value: null, ci: null, significant: false });
    expect(all.treatment.vs_control?.reason).toMatch(/success/);
    expectFinite([none.result, all.result]);
  });

  it('tests 0 successes against some successes, with no lift over a zero control rate', () => {
    const { control, treatment } = twoRates([100, 0], [100, 5]);
    expect(control.standard_error).toBe(0);
    close(control.ci?.upper, 0.03699349820698568);
    const c = treatment.vs_control!;
    close(c.statistic, 2.2645540682891916);
    close(c.p_value, 0.023540058261177936);
    close(c.ci?.lower, 0.05 - Z975 * Math.sqrt((0.05 * 0.95) / 100));
    expect(c.relative_difference).toBeNull();
    expect(c.significant).toBe(true);
  });
});

describe('analyzeExperiment: mean metrics', () => {
  const latency: MetricDef = { name: 'latency', kind: 'mean', goal: 'lower' };

  it('runs Welch’s t-test and picks the lower mean when lower is better', () => {
    const result = analyzeExperiment({
      variants: [meanVariant('A', 500, ...moments(500, 1200, 300)), meanVariant('B', 480, ...moments(480, 1150, 280))],
      metrics: [latency],
    });
    const [a, b] = result.metrics[0]!.variants;
    close(a?.estimate, 1200);
    close(a?.standard_error, 300 / Math.sqrt(500));
    // scipy stats.t.ppf(0.975, 499) = 1.9647293909876886
    close(a?.ci?.lower, 1200 - 1.9647293909876886 * (300 / Math.sqrt(500)));
    close(b?.ci?.upper, 1175.1121700658844);

    const c = b!.vs_control!;
    close(c.difference, -50);
    close(c.relative_difference, -50 / 1200);
    const se = Math.sqrt(300 ** 2 / 500 + 280 ** 2 / 480);
    close(c.statistic, -50 / se);
    close(c.statistic, -2.6984353611043295); // scipy ttest_ind_from_stats(equal_var=False)
    // Welch–Satterthwaite written out.
    close(c.df, (300 ** 2 / 500 + 280 ** 2 / 480) ** 2 / ((300 ** 2 / 500) ** 2 / 499 + (280 ** 2 / 480) ** 2 / 479));
    close(c.df, 977.2283889361405);
    close(c.p_value, 0.007086743558013523);
    close(c.ci?.lower, -86.36171022668191);
    close(c.ci?.upper, -13.6382897733181);
    expect(c).toMatchObject({ significant: true, better: true, reason: null });
    expect(result.metrics[0]!.winner).toBe('B');
  });

  it('gives no t-test with a single observation', () => {
    const result = analyzeExperiment({ variants: [meanVariant('A', 1, 10, 100), meanVariant('B', 30, ...moments(30, 12, 2))], metrics: [latency] });
    const [a, b] = result.metrics[0]!.variants;
    expect(a).toMatchObject({ n: 1, estimate: 10, standard_error: null, ci: null });
    expect(a?.note).toMatch(/single observation/);
    expect(b?.vs_control).toMatchObject({ difference: 2, better: false, statistic: null, p_value: null, ci: null, significant: false });
    expect(b?.vs_control?.reason).toMatch(/at least 2 observations/);
    expect(result.metrics[0]!.winner).toBeNull();
    expectFinite(result);
  });

  it('gives no t-test when both variants have zero variance, even with rounding in the sums', () => {
    // Ten values of 0.1: in floating point Σx² − (Σx)²/n is not exactly 0.
    const tenths = { sum: Array(10).fill(0.1).reduce((s: number, x: number) => s + x, 0), sumSquares: Array(10).fill(0.01).reduce((s: number, x: number) => s + x, 0) };
    const result = analyzeExperiment({ variants: [meanVariant('A', 10, tenths.sum, tenths.sumSquares), meanVariant('B', 10, 3, 0.9)], metrics: [latency] });
    const [a, b] = result.metrics[0]!.variants;
    expect(a?.standard_error).toBe(0);
    expect(a?.ci?.lower).toBe(a?.ci?.upper);
    close(b?.vs_control?.difference, 0.2);
    expect(b?.vs_control).toMatchObject({ p_value: null, statistic: null, significant: false });
    expect(b?.vs_control?.reason).toMatch(/zero variance/);
    expectFinite(result);
  });
});

describe('analyzeExperiment: sample ratio mismatch', () => {
  it('flags 5,300 vs 4,700 units at 50/50', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 5300, 530), rateVariant('B', 4700, 470)], metrics: [conversion] });
    // (300² + 300²) / 5000 = 36; with 1 df, P(χ² > x) = 2·(1 − Φ(√x)) = 2·norm.sf(6).
    close(result.srm.statistic, 36);
    close(result.srm.p_value, 1.973175290075389e-9); // 2·scipy norm.sf(6); scipy chi2.sf(36, 1) agrees
    expect(result.srm).toMatchObject({ df: 1, alpha: 0.001, mismatch: true });
    close(result.variants[0]?.share, 0.53);
    expect(result.notes.join('\n')).toMatch(/sample ratio mismatch/);
  });

  it('accepts 5,030 vs 4,970 units at 50/50', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 5030, 503), rateVariant('B', 4970, 497)], metrics: [conversion] });
    close(result.srm.statistic, 0.36);
    close(result.srm.p_value, 0.5485062355001471);
    expect(result.srm.mismatch).toBe(false);
    expect(result.notes).toEqual([]);
  });
});

describe('analyzeExperiment: three variants', () => {
  it('normalises weights, tests the split with 2 df and picks the best significantly better variant', () => {
    const result = analyzeExperiment({
      variants: [rateVariant('A', 20_000, 2000, 2, 20_100), rateVariant('B', 10_000, 1120, 1, 9950), rateVariant('C', 10_000, 1200, 1, 9950)],
      metrics: [conversion],
    });
    expect(result.variants.map((v) => v.expected_share)).toEqual([0.5, 0.25, 0.25]);
    // 100²/20000 + 2·50²/10000 = 1; with 2 df the χ² tail is exp(−x/2).
    close(result.srm.statistic, 1);
    expect(result.srm.df).toBe(2);
    close(result.srm.p_value, Math.exp(-0.5));

    const [, b, c] = result.metrics[0]!.variants;
    close(b?.vs_control?.statistic, 3.2097036938318455);
    close(b?.vs_control?.p_value, 0.0013287186502798619);
    close(c?.vs_control?.statistic, 5.290092118939484);
    close(c?.vs_control?.p_value, 1.2225476953798966e-7);
    expect([b?.vs_control?.significant, c?.vs_control?.significant]).toEqual([true, true]);
    expect(result.metrics[0]!.winner).toBe('C');
  });

  it('honours an explicit control', () => {
    const result = analyzeExperiment({ variants: [rateVariant('B', 10_000, 1150), rateVariant('A', 10_000, 1000)], metrics: [conversion], control: 'A' });
    expect(result.control).toBe('A');
    const [b, a] = result.metrics[0]!.variants;
    expect(a?.vs_control).toBeNull();
    close(b?.vs_control?.p_value, 0.0006164549192148455);
    expect(result.metrics[0]!.winner).toBe('B');
  });
});

describe('analyzeExperiment: units', () => {
  it('reports a variant without units with nulls and a note, never NaN', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 10_000, 1000), rateVariant('B', 0, 0)], metrics: [conversion] });
    const [, b] = result.metrics[0]!.variants;
    expect(b).toMatchObject({ n: 0, estimate: null, standard_error: null, ci: null, note: 'no observations' });
    expect(b?.vs_control).toMatchObject({ difference: null, p_value: null, significant: false, better: null });
    expect(result.variants[1]?.share).toBe(0);
    close(result.srm.statistic, 10_000);
    expect(result.srm.mismatch).toBe(true);
    expect(result.notes.join('\n')).toMatch(/"B" has no units/);
    expect(result.metrics[0]!.winner).toBeNull();
    expectFinite(result);
  });

  it('handles an experiment with no units at all', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 0, 0), rateVariant('B', 0, 0)], metrics: [conversion] });
    expect(result.variants.map((v) => v.share)).toEqual([null, null]);
    expect(result.srm).toMatchObject({ statistic: null, p_value: null, mismatch: false, df: 1 });
    expect(result.notes.join('\n')).toMatch(/no variant has units/);
    expectFinite(result);
  });

  it('treats a metric missing from a variant as no observations', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 100, 10), { name: 'B', weight: 1, units: 100, metrics: {} }], metrics: [conversion] });
    expect(result.metrics[0]!.variants[1]).toMatchObject({ n: 0, estimate: null, note: 'no observations' });
  });
});

describe('analyzeExperiment: options', () => {
  it('widens intervals with a smaller alpha', () => {
    const result = analyzeExperiment({ variants: [rateVariant('A', 10_000, 1000), rateVariant('B', 10_000, 1150)], metrics: [conversion], alpha: 0.01 });
    const [low, high] = wilson(1000, 10_000, 2.5758293035489004); // scipy stats.norm.ppf(0.995)
    close(result.metrics[0]!.variants[0]?.ci?.lower, low);
    close(result.metrics[0]!.variants[0]?.ci?.upper, high);
    expect(result.alpha).toBe(0.01);
    expect(result.metrics[0]!.variants[1]?.vs_control?.significant).toBe(true);
  });

  it('rejects inputs that cannot be analysed', () => {
    const ok = [rateVariant('A', 10, 1), rateVariant('B', 10, 2)];
    expect(() => analyzeExperiment({ variants: [ok[0]!], metrics: [conversion] })).toThrow(/two variants/);
    expect(() => analyzeExperiment({ variants: ok, metrics: [conversion], control: 'Z' })).toThrow(/control/);
    expect(() => analyzeExperiment({ variants: [ok[0]!, rateVariant('B', 10, 11)], metrics: [conversion] })).toThrow(/successes/);
    expect(() => analyzeExperiment({ variants: [ok[0]!, rateVariant('B', 10, 1, 0)], metrics: [conversion] })).toThrow(/weight/);
    expect(() => analyzeExperiment({ variants: ok, metrics: [{ ...conversion, kind: 'mean' }] })).toThrow(/expected mean/);
    expect(() => analyzeExperiment({ variants: ok, metrics: [conversion], alpha: 1 })).toThrow(/alpha/);
  });
});
