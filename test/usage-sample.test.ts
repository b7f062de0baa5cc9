import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assignVariant, bucketRanges, fnv1a32, hashV2 } from '../src/core/assign.js';
import { costOf, priceAt } from '../src/core/catalog/catalog.js';
import { loadRepository } from '../src/core/repository.js';
import type { UsageRecord } from '../src/core/schemas/index.js';
import { compileValidator } from '../src/core/schemas/compile-validator.js';
import { generateUsage, usageRows, usageText } from '../src/spend/sample.js';
import { EXAMPLE_ROOT } from './helpers/repo.js';

const repo = loadRepository({ root: EXAMPLE_ROOT }).value;
// Two weeks of the example around the start of the chatbot-tone experiment (2026-11-10).
const WINDOW = { repo, from: '2026-11-03', days: 14, scale: 0.002, seed: 42 };
const records = [...generateUsage(WINDOW)];
const experiment = repo.experiments.get('chatbot-tone')!.data;
const day = (r: UsageRecord) => r.timestamp.slice(0, 10);
const turns = records.filter((r) => r.feature === experiment.feature && r.environment === 'production' && r.prompt_id?.startsWith('chatbot/system'));

describe('synthetic usage logs', () => {
  it('generates every record valid against the usage-log schema', () => {
    expect(records.length).toBeGreaterThan(20_000);
    const validate = compileValidator('usage-log');
    const invalid = records.filter((r) => !validate(r)).slice(0, 3);
    expect(invalid).toEqual([]);
  });

  it('gives every call its own request_id', () => {
    expect(new Set(records.map((r) => r.request_id)).size).toBe(records.length);
  });

  it('keeps token subsets inside their totals and failed calls short', () => {
    for (const r of records) {
      expect((r.cached_input_tokens ?? 0) + (r.cache_write_tokens ?? 0)).toBeLessThanOrEqual(r.input_tokens!);
      expect(r.reasoning_tokens ?? 0).toBeLessThanOrEqual(r.output_tokens!);
      expect(r.input_tokens).toBeGreaterThan(0);
      if (r.status === 'error') expect(r.output_tokens).toBeLessThanOrEqual(30);
      if (r.status === 'timeout') expect([r.output_tokens, r.latency_ms! >= 30_000]).toEqual([0, true]);
    }
    expect(records.filter((r) => (r.cached_input_tokens ?? 0) > 0).length).toBeGreaterThan(100);
    expect(records.filter((r) => (r.reasoning_tokens ?? 0) > 0).length).toBeGreaterThan(100);
    const failed = records.filter((r) => r.status !== 'success').length / records.length;
    expect(failed).toBeGreaterThan(0.005);
    expect(failed).toBeLessThan(0.03);
  });

  it('uses only models priced on the call date, and reported costs agree with the catalog', () => {
    let reported = 0;
    for (const r of records) {
      const model = repo.catalog.models[r.model.includes('/') ? r.model : `${r.provider}/${r.model}`];
      const price = model && priceAt(model, day(r));
      expect(price, `${r.provider}/${r.model} on ${day(r)}`).toBeDefined();
      if (r.cost_usd === undefined) continue;
      reported++;
      const cost = costOf(price!, { input: r.input_tokens!, output: r.output_tokens!, cachedInput: r.cached_input_tokens, cacheWrite: r.cache_write_tokens, reasoning: r.reasoning_tokens });
      expect(r.cost_usd).toBeCloseTo(cost, 9);
    }
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(records.length / 10);
  });

  it('is deterministic for a seed', () => {
    const digest = (seed: number) => {
      const hash = createHash('sha256');
      for (const chunk of usageText({ ...WINDOW, days: 2, seed })) hash.update(chunk.text);
      return hash.digest('hex');
    };
    expect(digest(7)).toBe(digest(7));
    expect(digest(7)).not.toBe(digest(8));
  });

  it('has less production traffic on weekends than on weekdays', () => {
    const perDay = new Map<string, number>();
    for (const r of records) if (r.environment === 'production') perDay.set(day(r), (perDay.get(day(r)) ?? 0) + 1);
    const mean = (weekend: boolean) => {
      const counts = [...perDay].filter(([d]) => [0, 6].includes(new Date(d).getUTCDay()) === weekend).map(([, n]) => n);
      return counts.reduce((a, b) => a + b, 0) / counts.length;
    };
    expect(mean(true)).toBeLessThan(0.9 * mean(false));
  });

  it('assigns chatbot-tone from its start as assignVariant does, with the friendly prompt for friendly', () => {
    const weights = experiment.variants.map((v) => v.weight);
    for (const r of turns) {
      const arm = day(r) >= experiment.starts! ? assignVariant({ seed: experiment.seed!, coverage: experiment.coverage, weights, unit: r.user_id! }) : -1;
      expect([r.experiment, r.variant]).toEqual(arm >= 0 ? [experiment.name, experiment.variants[arm]!.name] : [undefined, undefined]);
      expect(r.prompt_id).toBe(r.variant === 'friendly' ? 'chatbot/system-friendly' : 'chatbot/system');
    }
    expect(records.filter((r) => r.experiment !== undefined && !turns.includes(r))).toEqual([]);
  });

  it('enrols about half of the users and splits them evenly', () => {
    const users = new Map<string, string | undefined>();
    for (const r of turns) if (day(r) >= experiment.starts!) users.set(r.user_id!, r.variant);
    const enrolled = [...users.values()].filter((v) => v !== undefined);
    expect(users.size).toBeGreaterThan(500);
    expect(enrolled.length / users.size).toBeCloseTo(0.5, 1);
    expect(enrolled.filter((v) => v === 'friendly').length / enrolled.length).toBeCloseTo(0.5, 1);
  });

  it('logs the experiment metrics with the assistant answers', () => {
    const answered = turns.filter((r) => r.status === 'success');
    for (const r of answered) {
      const m = r.metadata as { resolved: unknown; escalated: unknown; csat?: unknown };
      expect([typeof m.resolved, typeof m.escalated]).toEqual(['boolean', 'boolean']);
      if (m.escalated) expect(m.resolved).toBe(false);
      if (m.csat !== undefined) expect([1, 2, 3, 4, 5]).toContain(m.csat);
    }
    const surveyed = answered.filter((r) => (r.metadata as { csat?: number }).csat !== undefined).length / answered.length;
    expect(surveyed).toBeGreaterThan(0.2);
    expect(surveyed).toBeLessThan(0.4);
  });

  it('stops after the requested number of rows', () => {
    expect([...usageRows({ ...WINDOW, rows: 123 })].length).toBe(123);
  });

  it('writes CSV rows with the same values as the JSONL ones', () => {
    const options = { ...WINDOW, days: 1, rows: 300 };
    const json = [...usageText(options)].map((c) => c.text).join('').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const csv = [...usageText({ ...options, format: 'csv' })].map((c) => c.text).join('').trimEnd().split('\n');
    const columns = 'timestamp,request_id,feature,environment,prompt_id,prompt_version,bundle_revision,experiment,variant,provider,model,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,reasoning_tokens,tokens_used,cost_usd,latency_ms,status,user_id,organization_id,team,metadata'.split(',');
    expect(csv).toHaveLength(json.length);
    csv.forEach((line, i) => {
      const cells = [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1]!).slice(0, columns.length);
      const expected = columns.map((c) => {
        const v = json[i]![c];
        return v === undefined ? '' : typeof v === 'object' ? `"${JSON.stringify(v).replaceAll('"', '""')}"` : String(v);
      });
      expect(cells).toEqual(expected);
    });
  });

  it('adds data-quality problems only when asked', () => {
    const lines = (dirty: boolean) => [...usageText({ ...WINDOW, days: 2, dirty })].map((c) => c.text).join('').trimEnd().split('\n');
    const problems = (all: string[]) => {
      const parsed = all.flatMap((l) => {
        try {
          return [JSON.parse(l) as UsageRecord];
        } catch {
          return [];
        }
      });
      return {
        malformed: all.length - parsed.length,
        duplicates: parsed.length - new Set(parsed.map((r) => r.request_id)).size,
        withoutFeature: parsed.filter((r) => r.feature === undefined).length,
      };
    };
    expect(problems(lines(false))).toEqual({ malformed: 0, duplicates: 0, withoutFeature: 0 });
    expect(problems(lines(true))).toEqual({ malformed: 1, duplicates: 5, withoutFeature: 1 });
  });
});

describe('experiment assignment (GrowthBook hash v2)', () => {
  // FNV-1a 32 values computed independently: python3 -c "h=0x811c9dc5; [h := ((h ^ b) * 16777619) & 0xffffffff for b in b'foobar']; print(h)"
  it.each([
    ['', 2166136261],
    ['a', 3826002220],
    ['foobar', 3214735720],
    ['chatbot-tone-2026-11u_5b81e0', 901417920],
  ])('fnv1a32(%j) = %i', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  // The "hash" (version 2) and sticky-bucket cases of GrowthBook's SDK test suite
  // (growthbook/growthbook packages/sdk-js/test/cases.json, specVersion 0.5.4).
  it.each([
    ['seed', 'a', 0.0505],
    ['seed', 'b', 0.2696],
    ['foo', 'ab', 0.2575],
    ['foo', 'def', 0.2019],
    ['89123klj', '8952klfjas09ujkasdf', 0.124],
    ['90850943850283058242805', '123', 0.7516],
    ['()**(%$##$%#$#', '___)((*":&', 0.0128],
    ['feature-exp', 'd123', 0.6468],
    ['feature-exp', 'i123', 0.9943],
  ])('hashV2(%j, %j) = %d', (seed, unit, expected) => {
    expect(hashV2(seed, unit)).toBe(expected);
  });

  // GrowthBook's "getBucketRange" cases.
  it.each([
    [2, 1, undefined, [[0, 0.5], [0.5, 1]]],
    [2, 0.5, undefined, [[0, 0.25], [0.5, 0.75]]],
    [2, 0, undefined, [[0, 0], [0.5, 0.5]]],
    [3, 0.2, [0.2, 0.3, 0.5], [[0, 0.04], [0.2, 0.26], [0.5, 0.6]]],
    [2, -0.2, undefined, [[0, 0], [0.5, 0.5]]],
    [2, 1.5, undefined, [[0, 0.5], [0.5, 1]]],
    [2, 1, [0.4, 0.1], [[0, 0.5], [0.5, 1]]],
    [4, 1, [0.4, 0.4, 0.2], [[0, 0.25], [0.25, 0.5], [0.5, 0.75], [0.75, 1]]],
    [2, 1, [0.4, 0.5999], [[0, 0.4], [0.4, 0.9999]]],
  ])('bucketRanges(%i, %d, %j)', (count, coverage, weights, expected) => {
    const ranges = bucketRanges(count, coverage, weights);
    expect(ranges).toHaveLength(expected.length);
    ranges.forEach(([start, end], i) => {
      expect(start).toBeCloseTo(expected[i]![0]!, 10);
      expect(end).toBeCloseTo(expected[i]![1]!, 10);
    });
  });

  it('matches GrowthBook experiment runs with a seed and hash version 2', () => {
    // "Uses seed with weights/coverage": id "1", seed "foo", weights 0.5/0.5, coverage 0.99 → variation 1.
    expect(assignVariant({ seed: 'foo', coverage: 0.99, weights: [0.5, 0.5], unit: '1' })).toBe(1);
    // "performs evaluation without sticky bucket": bucket 0.6468 with weights 0.3334/0.3333/0.3333 → variation 1.
    expect(assignVariant({ seed: 'feature-exp', weights: [0.3334, 0.3333, 0.3333], unit: 'd123' })).toBe(1);
    expect(assignVariant({ seed: 'foo', weights: [0.5, 0.5], unit: '' })).toBe(-1);
  });

  it('enrols the coverage share of units and splits them by weight', () => {
    const arms = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i++) arms[assignVariant({ seed: 'chatbot-tone-2026-11', coverage: 0.5, weights: [0.5, 0.5], unit: `u_${i.toString(16)}` }) + 1]!++;
    expect(arms[0]! / n).toBeCloseTo(0.5, 1);
    expect(arms[1]! / (arms[1]! + arms[2]!)).toBeCloseTo(0.5, 1);
  });
});
