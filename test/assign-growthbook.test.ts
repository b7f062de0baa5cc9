import { GrowthBookClient } from '@growthbook/growthbook';
import { describe, expect, it } from 'vitest';
import { assignVariant, normalizeWeights } from '../src/core/assign.js';
import { minimalRepo, repo, run } from './helpers/repo.js';
import { compileRepo, fileClient } from './helpers/runtime-bundle.js';

/**
 * Differential test against `@growthbook/growthbook` (DESIGN §2 Experiment, §6): for the same seed,
 * weights and coverage, every unit gets the variant GrowthBook's SDK gives it — in the library
 * (`assignVariant`) and in a runtime client holding a compiled, signed bundle whose experiments were
 * written with weights in percent.
 */
const growthbook = new GrowthBookClient({});

/** GrowthBook's variant index for a unit (-1: not in the experiment), hash version 2. */
function growthbookVariant(seed: string, weights: number[], coverage: number, unit: string): number {
  const result = growthbook.runInlineExperiment({ key: seed, seed, hashVersion: 2, hashAttribute: 'id', variations: weights.map((_, i) => i) as [number, number, ...number[]], weights, coverage }, { attributes: { id: unit } });
  return result.inExperiment ? result.variationId : -1;
}

interface Split {
  name: string;
  /** As written in the experiment file. */
  weights: number[];
  coverage: number;
}

const SPLITS: Split[] = [
  { name: 'even', weights: [0.5, 0.5], coverage: 1 },
  { name: 'ten-ninety', weights: [10, 90], coverage: 1 },
  { name: 'three-way', weights: [20, 30, 50], coverage: 0.5 },
  { name: 'four-equal', weights: [25, 25, 25, 25], coverage: 0.75 },
];
const UNITS = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? String(100_000 + i * 7919) : `${(i * 2654435761) >>> 0}@example.com`));
/** The shares the percentages stand for, computed here rather than by the code under test. */
const shares = (split: Split) => split.weights.map((w) => (split.weights.reduce((a, b) => a + b, 0) > 1.5 ? w / 100 : w));

/** Counts per variant index; the last slot counts units outside coverage. */
function tally(indexes: number[], variants: number): number[] {
  const counts = new Array<number>(variants + 1).fill(0);
  for (const i of indexes) counts[i < 0 ? variants : i]!++;
  return counts;
}

/** Each variant's count lies within 5 standard deviations of its binomial expectation. */
function expectSplit(counts: number[], expected: number[]) {
  const n = counts.reduce((a, b) => a + b, 0);
  for (const [i, p] of expected.entries()) {
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(counts[i]! - n * p), `variant ${i}: ${counts[i]} of ${n}, expected ${(n * p).toFixed(0)}`).toBeLessThanOrEqual(5 * sd + 1);
  }
}

const experimentYaml = (split: Split) => `name: ${split.name}
feature: greeter
type: a_b_test
status: running
seed: seed-${split.name}
coverage: ${split.coverage}
variants:
${split.weights.map((w, i) => `  - { name: v${i}, weight: ${w} }`).join('\n')}
`;

describe('assignment agrees with @growthbook/growthbook', () => {
  it.each(SPLITS)('assignVariant: $name ($weights, coverage $coverage)', (split) => {
    const weights = shares(split);
    const ours = UNITS.map((unit) => assignVariant({ seed: `seed-${split.name}`, coverage: split.coverage, weights: normalizeWeights(split.weights), unit }));
    expect(ours).toEqual(UNITS.map((unit) => growthbookVariant(`seed-${split.name}`, weights, split.coverage, unit)));
    expectSplit(tally(ours, weights.length), [...weights.map((w) => w * split.coverage), 1 - split.coverage]);
  });

  it('runtime client: a compiled, signed bundle with weights in percent splits as GrowthBook does', async () => {
    const root = repo(minimalRepo(Object.fromEntries(SPLITS.map((s) => [`experiments/${s.name}.yaml`, experimentYaml(s)]))));
    expect((await run(['validate'], { cwd: root })).code).toBe(0);
    const { compiled } = compileRepo(root, 'production');
    const client = await fileClient(compiled);
    for (const split of SPLITS) {
      const weights = shares(split);
      // The bundle's weights are shares summing to 1, whatever scale the file used.
      expect(compiled.bundle.experiments[split.name]!.variants.map((v) => v.weight)).toEqual(weights);
      const runtime = UNITS.map((unit) => client.assign(split.name, { user_id: unit })?.index ?? -1);
      expect(runtime, split.name).toEqual(UNITS.map((unit) => growthbookVariant(`seed-${split.name}`, weights, split.coverage, unit)));
      const counts = tally(runtime, weights.length);
      expectSplit(counts, [...weights.map((w) => w * split.coverage), 1 - split.coverage]);
    }
    // The issue's numbers: 10/90 over 1,000 units is about 100/900, not an even split.
    const first1000 = tally(UNITS.slice(0, 1000).map((unit) => client.assign('ten-ninety', unit)!.index), 2);
    expect(first1000[0]).toBeGreaterThan(60);
    expect(first1000[0]).toBeLessThan(140);
  });

  it('validate still rejects weights that sum to neither 1 nor 100, at the first variant', async () => {
    for (const weights of [[10, 40], [0.6, 0.6], [50, 49.5]]) {
      const root = repo(minimalRepo({ 'experiments/bad.yaml': experimentYaml({ name: 'bad', weights, coverage: 1 }) }));
      const result = await run(['validate'], { cwd: root });
      expect(result.code, JSON.stringify(weights)).toBe(1);
      expect(result.stdout + result.stderr).toContain(`experiments/bad.yaml:8:3 error [weights-sum] variant weights sum to ${weights.reduce((a, b) => a + b, 0)}, not 1 (or 100)`);
    }
  });
});
