import { GrowthBook } from '@growthbook/growthbook';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { assignVariant, bucketRanges, hashV2 } from '../src/core/assign.js';
import { mulberry32 } from './helpers/random.js';

/**
 * Frozen assignment vectors (DESIGN.md §6). Inputs are generated from a fixed PRNG seed; expected
 * variants were computed by GrowthBook's own SDK when the file was written, so the vectors do not
 * come from the code they check. Regenerate (only when adding cases) with
 * `PROMPTOPS_WRITE_VECTORS=1 npx vitest run test/assign-vectors.test.ts`.
 */
interface Vector {
  seed: string;
  unit: string;
  weights: number[];
  coverage: number;
  /** Variant index, or -1 when the unit is not enrolled. */
  expected: number;
}

const FIXTURE = new URL('./fixtures/assign-vectors.json', import.meta.url);


const SEEDS = ['chatbot-tone-2026-11', 'summarizer-model-comparison', 'exp', 'checkout-button', 'a', 'ümlaut-séed', '日本語', '0'];
const WEIGHTS: number[][] = [
  [0.5, 0.5],
  [0.1, 0.9],
  [0.9, 0.1],
  [0.34, 0.33, 0.33],
  [0.25, 0.25, 0.25, 0.25],
  [0.2, 0.3, 0.5],
  [0.5, 0.25, 0.25],
  // Do not sum to 1 (±0.01): equal weights instead.
  [0.3, 0.3, 0.3],
  [0.6, 0.6],
];
const COVERAGES = [1, 0.5, 0.05, 0.999, 0, 0.25];

function unitId(random: () => number, i: number): string {
  const n = Math.floor(random() * 1e9);
  switch (i % 6) {
    case 0: return `user-${n}`;
    case 1: return String(n);
    case 2: return `${n.toString(16)}-${Math.floor(random() * 1e9).toString(16)}-4abc-8def-${Math.floor(random() * 1e12).toString(16)}`;
    case 3: return `u${n}@example.com`;
    case 4: return `org_${n % 1000}/user_${n}`;
    default: return `ユーザー${n}é`;
  }
}

function inputs(): Omit<Vector, 'expected'>[] {
  const random = mulberry32(20261121);
  const cases: Omit<Vector, 'expected'>[] = [];
  for (let i = 0; i < 320; i++) {
    const weights = WEIGHTS[Math.floor(random() * WEIGHTS.length)]!;
    cases.push({ seed: SEEDS[Math.floor(random() * SEEDS.length)]!, unit: unitId(random, i), weights, coverage: COVERAGES[Math.floor(random() * COVERAGES.length)]! });
  }
  // Edge cases: empty unit id, coverage above 1 and below 0 (clamped), a weight list that does not match the variant count.
  cases.push({ seed: 'exp', unit: '', weights: [0.5, 0.5], coverage: 1 });
  cases.push({ seed: 'exp', unit: 'user-1', weights: [0.5, 0.5], coverage: 1.5 });
  cases.push({ seed: 'exp', unit: 'user-1', weights: [0.5, 0.5], coverage: -0.5 });
  return cases;
}

/** GrowthBook's answer: its SDK evaluating an inline experiment with hash version 2. */
function growthbook({ seed, unit, weights, coverage }: Omit<Vector, 'expected'>): number {
  const gb = new GrowthBook({ attributes: { id: unit } });
  const result = gb.run({ key: `vector-${seed}`, seed, variations: weights.map((_, i) => i) as [number, number, ...number[]], weights, coverage, hashAttribute: 'id', hashVersion: 2 });
  gb.destroy();
  return result.inExperiment ? result.variationId : -1;
}

// GrowthBook reports the weights that do not add up to 1 on console.error (outside production).
const quiet = <T>(fn: () => T): T => {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
};

if (process.env.PROMPTOPS_WRITE_VECTORS === '1') {
  const vectors: Vector[] = quiet(() => inputs().map((input) => ({ ...input, expected: growthbook(input) })));
  writeFileSync(FIXTURE, `[\n${vectors.map((v) => `  ${JSON.stringify(v)}`).join(',\n')}\n]\n`);
}

const vectors = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vector[];

describe('assignment vectors', () => {
  it('are the generated inputs, a few hundred of them, covering every outcome', () => {
    expect(vectors.map(({ expected: _, ...input }) => input)).toEqual(inputs());
    expect(vectors.length).toBeGreaterThan(300);
    const outcomes = new Set(vectors.map((v) => v.expected));
    for (const outcome of [-1, 0, 1, 2, 3]) expect(outcomes.has(outcome), `outcome ${outcome}`).toBe(true);
  });

  it('assignVariant returns the checked-in variant for every vector', () => {
    const wrong = vectors.filter((v) => assignVariant({ seed: v.seed, unit: v.unit, weights: v.weights, coverage: v.coverage }) !== v.expected);
    expect(wrong).toEqual([]);
  });

  it('agrees with the GrowthBook SDK today', () => {
    const wrong = quiet(() => vectors.filter((v) => growthbook(v) !== v.expected));
    expect(wrong).toEqual([]);
  });

  it('agrees with GrowthBook on many more random units (hash and bucket boundaries)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const input = { seed: SEEDS[i % SEEDS.length]!, unit: unitId(random, i), weights: WEIGHTS[i % WEIGHTS.length]!, coverage: COVERAGES[i % COVERAGES.length]! };
      expect(assignVariant(input), JSON.stringify(input)).toBe(quiet(() => growthbook(input)));
    }
  });

  it('hashes to 4-decimal buckets in [0, 1) and keeps enrolled units in their variant when coverage grows', () => {
    for (const v of vectors.slice(0, 50)) {
      const n = hashV2(v.seed, v.unit);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(1);
      expect(Math.round(n * 10000)).toBeCloseTo(n * 10000, 6);
    }
    const ranges = (coverage: number) => bucketRanges(3, coverage, [0.2, 0.3, 0.5]);
    for (const [i, [start, end]] of ranges(0.5).entries()) {
      expect(ranges(1)[i]![0]).toBe(start);
      expect(ranges(1)[i]![1]).toBeGreaterThanOrEqual(end);
    }
  });
});
