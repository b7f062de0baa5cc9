import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignVariant, bucketRanges, chooseVariation, hashV2 } from '../src/core/assign.js';
import { EXAMPLE_ROOT, minimalRepo, repo } from './helpers/repo.js';
import { compileRepo, fileClient } from './helpers/runtime-bundle.js';

/**
 * GrowthBook's own SDK test vectors (`packages/sdk-js/test/cases.json`; see SOURCE.md next to the
 * file). They live outside this repository and are read from there, never copied in; without the
 * file these tests are skipped, saying why.
 */
// Next to the checkout, as the project's shared reference data sits (../shared/reference/growthbook).
const CASES = process.env.PROMPTOPS_GROWTHBOOK_CASES ?? join(EXAMPLE_ROOT, '../shared/reference/growthbook/cases.json');
const present = existsSync(CASES);

type HashCase = [seed: string, value: string, version: number, expected: number | null];
type RangeCase = [name: string, args: [count: number, coverage: number, weights: number[] | null], expected: [number, number][]];
type ChooseCase = [name: string, n: number, ranges: [number, number][], expected: number];
interface RunExperiment {
  key: string;
  variations: unknown[];
  weights?: number[];
  coverage?: number;
  hashAttribute?: string;
  seed?: string;
  hashVersion?: number;
}
type RunCase = [name: string, context: { attributes?: Record<string, unknown> }, experiment: RunExperiment, value: unknown, inExperiment: boolean, hashUsed: boolean];
interface Cases {
  hash: HashCase[];
  getBucketRange: RangeCase[];
  chooseVariation: ChooseCase[];
  run: RunCase[];
}
const cases: Cases = present ? JSON.parse(readFileSync(CASES, 'utf8')) : { hash: [], getBucketRange: [], chooseVariation: [], run: [] };

const RUN_KEYS = new Set(['key', 'variations', 'weights', 'coverage', 'hashAttribute', 'seed', 'hashVersion']);
/**
 * The `run` cases promptops can express: an inline experiment with only a seed (or key), hash
 * attribute, weights and coverage, at least two variations, and a context with attributes only.
 * promptops hashes with version 2 alone, so a version-1 case applies only when no hash is taken
 * (the unit has no id). Forcing, conditions, namespaces, filters, explicit ranges, QA mode and URL
 * overrides are GrowthBook features promptops does not have.
 */
function applicable([, context, experiment]: RunCase): boolean {
  if (Object.keys(context).some((k) => k !== 'attributes')) return false;
  if (Object.keys(experiment).some((k) => !RUN_KEYS.has(k)) || experiment.variations.length < 2) return false;
  const id = context.attributes?.[experiment.hashAttribute ?? 'id'];
  return experiment.hashVersion === 2 || id === undefined || id === null || id === '';
}

const reason = present ? '' : ` (skipped: ${CASES} not found; set PROMPTOPS_GROWTHBOOK_CASES to GrowthBook's sdk-js/test/cases.json)`;

describe.skipIf(!present)(`GrowthBook SDK cases${reason}`, () => {
  it('hash: every version-2 vector', () => {
    const v2 = cases.hash.filter((c) => c[2] === 2);
    expect(v2.length).toBeGreaterThanOrEqual(7);
    for (const [seed, value, , expected] of v2) expect(hashV2(seed, value), `${seed} ${value}`).toBe(expected);
  });

  it('getBucketRange: every case', () => {
    expect(cases.getBucketRange.length).toBeGreaterThanOrEqual(13);
    for (const [name, [count, coverage, weights], expected] of cases.getBucketRange) {
      const ranges = bucketRanges(count, coverage, weights ?? undefined);
      expect(ranges.length, name).toBe(expected.length);
      // GrowthBook's tests compare rounded values too: coverage × weight is not exact in binary.
      for (const [i, [start, end]] of expected.entries()) {
        expect(ranges[i]![0], `${name} [${i}] start`).toBeCloseTo(start, 9);
        expect(ranges[i]![1], `${name} [${i}] end`).toBeCloseTo(end, 9);
      }
    }
  });

  it('chooseVariation: every case', () => {
    expect(cases.chooseVariation.length).toBeGreaterThanOrEqual(13);
    for (const [name, n, ranges, expected] of cases.chooseVariation) expect(chooseVariation(n, ranges), name).toBe(expected);
  });

  const runCases = cases.run.filter(applicable);
  it(`run: the ${runCases.length} of ${cases.run.length} cases with only seed, hash attribute, weights and coverage — library and runtime client`, async () => {
    expect(runCases.map((c) => c[0])).toEqual(expect.arrayContaining(['Uses seed with default weights/coverage', 'Uses seed with weights/coverage', 'empty id', 'missing attributes']));
    const name = (i: number) => `case-${i}`;
    const tree = Object.fromEntries(
      runCases.map(([, , e], i) => {
        const weights = e.weights ?? e.variations.map(() => 1 / e.variations.length);
        const yaml = `name: ${name(i)}\nfeature: greeter\ntype: a_b_test\nstatus: running\nhash_attribute: ${e.hashAttribute ?? 'id'}\nseed: ${JSON.stringify(e.seed ?? e.key)}\ncoverage: ${e.coverage ?? 1}\nvariants:\n${weights.map((w, v) => `  - { name: v${v}, weight: ${w} }`).join('\n')}\n`;
        return [`experiments/${name(i)}.yaml`, yaml];
      }),
    );
    const client = await fileClient(compileRepo(repo(minimalRepo(tree)), 'production').compiled);
    for (const [i, [label, context, e, value, inExperiment]] of runCases.entries()) {
      const attributes = context.attributes ?? {};
      const assigned = client.assign(name(i), attributes);
      expect(assigned !== undefined, `${label}: in experiment`).toBe(inExperiment);
      // GrowthBook answers the first variation's value when the unit is not in the experiment.
      expect(e.variations[assigned?.index ?? 0], `${label}: value`).toEqual(value);
      const id = attributes[e.hashAttribute ?? 'id'];
      const library = id === undefined || id === null ? -1 : assignVariant({ seed: e.seed ?? e.key, coverage: e.coverage, weights: e.weights ?? e.variations.map(() => 1 / e.variations.length), unit: String(id) });
      expect(library, `${label}: assignVariant`).toBe(inExperiment ? assigned!.index : -1);
    }
  });
});
