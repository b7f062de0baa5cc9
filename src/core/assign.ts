/**
 * Experiment assignment compatible with GrowthBook's SDKs (hash version 2, bucket ranges), so a unit
 * lands in the same variant whether promptops, the runtime client or a GrowthBook SDK assigns it.
 * Pure and dependency-free: the runtime client imports it.
 */

/**
 * FNV-1a, 32 bit, over UTF-16 code units as GrowthBook's JavaScript SDK does (the same as over
 * bytes for ASCII ids). The shifts add up to a multiplication by the FNV prime 16777619.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash += (hash << 1) + (hash << 4) + (hash << 7) + (hash << 8) + (hash << 24);
  }
  return hash >>> 0;
}

/**
 * GrowthBook hash version 2: a number in [0, 1) with 4 decimals. Hashing the decimal string of the
 * first hash again removes the bias version 1 had for similar ids.
 */
export const hashV2 = (seed: string, unit: string): number => (fnv1a32(String(fnv1a32(seed + unit))) % 10000) / 10000;

/**
 * GrowthBook's bucket ranges: variant i owns [start_i, start_i + coverage × weight_i) where start_i is
 * the sum of the weights before it. Raising coverage keeps every enrolled unit in its variant.
 * Weights that do not match the variant count or do not sum to 1 (±0.01) fall back to equal weights.
 */
export function bucketRanges(count: number, coverage = 1, weights?: readonly number[]): [number, number][] {
  const cover = Math.min(1, Math.max(0, coverage));
  const equal = Array.from({ length: count }, () => 1 / count);
  const total = weights?.reduce((sum, w) => sum + w, 0) ?? 0;
  const used = weights && weights.length === count && total >= 0.99 && total <= 1.01 ? weights : equal;
  let start = 0;
  return used.map((weight) => {
    const range: [number, number] = [start, start + cover * weight];
    start += weight;
    return range;
  });
}

/**
 * The scale experiment weights are written in: 1 (shares) or 100 (percentages), or undefined when they
 * sum to neither (within 1e-9). `validate` rejects the last case (`weights-sum`).
 */
export function weightScale(weights: readonly number[]): 1 | 100 | undefined {
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (Math.abs(total - 1) <= 1e-9) return 1;
  if (Math.abs(total - 100) <= 1e-9) return 100;
  return undefined;
}

/**
 * Weights as shares summing to 1, as `bucketRanges` (and GrowthBook) need them: percentages are
 * divided by 100, shares are kept byte for byte (so existing bundles keep their revision). Weights
 * that sum to neither are divided by their total.
 */
export function normalizeWeights(weights: readonly number[]): number[] {
  const scale = weightScale(weights) ?? weights.reduce((sum, w) => sum + w, 0);
  return scale === 1 || !(scale > 0) ? [...weights] : weights.map((w) => w / scale);
}

export interface Assignment {
  seed: string;
  /** Share of units enrolled, 0 to 1. */
  coverage?: number;
  /** One weight per variant (the first is the control), summing to 1. */
  weights: readonly number[];
  /** Value of the hash attribute (e.g. the user id). */
  unit: string;
}

/** Index of the variant the unit is assigned to, or -1 when it is not enrolled (or has no id). */
export function assignVariant({ unit, ...experiment }: Assignment): number {
  return variantAssigner(experiment)(unit);
}

/** `assignVariant` for one experiment, with its bucket ranges computed once (the runtime assigns on every render). */
export function variantAssigner({ seed, coverage = 1, weights }: Omit<Assignment, 'unit'>): (unit: string) => number {
  const ranges = bucketRanges(weights.length, coverage, weights);
  return (unit) => (unit === '' ? -1 : chooseVariation(hashV2(seed, unit), ranges));
}

/** GrowthBook's chooseVariation: the index of the range holding `n` (start inclusive, end exclusive), or -1. */
export function chooseVariation(n: number, ranges: readonly (readonly [number, number])[]): number {
  return ranges.findIndex(([start, end]) => n >= start && n < end);
}
