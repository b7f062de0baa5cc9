import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cumulativeProbability } from './helpers/normal.js';
import { EXAMPLE_ROOT, run } from './helpers/repo.js';
import { catalogModel, jsonl, lcg, SPEND_MODELS_YAML, spendRepo, sum, type Row } from './helpers/usage.js';

const EXPERIMENT = `name: tone
feature: greeter
type: a_b_test
status: running
hash_attribute: user_id
seed: tone-1
coverage: 1
variants:
  - { name: control, weight: 0.5 }
  - { name: friendly, weight: 0.5 }
metrics:
  - { name: resolved, kind: binomial, goal: higher }
  - { name: csat, kind: mean, goal: higher }
  - { name: latency_ms, kind: mean, goal: lower }
starts: 2026-03-01
ends: 2026-03-31
`;

/**
 * Every key path of a parsed JSON value (`a.b[].c`), walking all objects and arrays. The keys of
 * user-data maps (given by path, such as metric names under `data.variants[].metrics`) show as `*`,
 * but what they hold is walked like the rest.
 */
function keyPaths(value: unknown, userMaps: readonly string[] = [], path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, userMaps, `${path}[]`));
  if (value === null || typeof value !== 'object') return [];
  const userData = userMaps.includes(path);
  return Object.entries(value).flatMap(([key, item]) => {
    const at = `${path ? `${path}.` : ''}${userData ? '*' : key}`;
    return [at, ...keyPaths(item, userMaps, at)];
  });
}

/** Key paths with an uppercase letter in one of their (non-user-data) keys: JSON output keys are snake_case. */
const uppercaseKeys = (value: unknown, userMaps: readonly string[] = []) => [...new Set(keyPaths(value, userMaps))].filter((p) => /[A-Z]/.test(p));

/** User-data maps of `experiment report --json`: metric name → sufficient statistics. */
const EXPERIMENT_USER_MAPS = ['data.variants[].metrics'];

describe('JSON key check', () => {
  it('finds an uppercase key at any depth, and in what user-data maps hold, but not in their own keys', () => {
    const value = { a: [{ b: { ok: 1, fooBar: [null, { deepKey: { x: 1 } }] } }], metrics: { MyMetric: { sumSquares: 1, n: 2 } } };
    expect(uppercaseKeys(value, ['metrics'])).toEqual(['a[].b.fooBar', 'a[].b.fooBar[].deepKey', 'a[].b.fooBar[].deepKey.x', 'metrics.*.sumSquares']);
    expect(uppercaseKeys({ a: [{ b: { snake_case: [{ deep_key: 1 }] } }], metrics: { MyMetric: { n: 1 } } }, ['metrics'])).toEqual([]);
  });
});

describe('experiment report', () => {
  /** 600 users, 1–3 calls each; friendly resolves more often. Metric values ride in metadata. */
  function experimentRows(): Row[] {
    const rnd = lcg(42);
    const rows: Row[] = [];
    for (let u = 0; u < 600; u++) {
      const variant = u % 2 ? 'friendly' : 'control';
      const calls = 1 + (u % 3);
      for (let k = 0; k < calls; k++) {
        const metadata: Record<string, unknown> = { resolved: rnd() < (variant === 'friendly' ? 0.62 : 0.5) };
        if (k === 0) metadata.csat = 1 + Math.floor(rnd() * 5);
        rows.push({ timestamp: `2026-03-${String(1 + ((u + k) % 20)).padStart(2, '0')}T10:00:00Z`, request_id: `e-${u}-${k}`, feature: 'greeter', provider: 'acme', model: 'beta', status: 'success', input_tokens: 10, output_tokens: 5, latency_ms: 100 + ((u * 7 + k * 13) % 50), user_id: `user-${u}`, experiment: 'tone', variant, metadata });
      }
    }
    return rows;
  }

  it('reports exposures, unit-level metrics, SRM and the winner from the logs, matching an independent computation', async () => {
    const rows = experimentRows();
    const noise: Row[] = [
      { ...rows[0]!, request_id: rows[0]!.request_id }, // duplicate row: counted once
      { ...rows[1]!, request_id: 'other-exp', experiment: 'another' },
      { ...rows[2]!, request_id: 'before-start', timestamp: '2026-02-20T10:00:00Z' },
    ];
    const dir = spendRepo({ 'experiments/tone.yaml': EXPERIMENT, 'usage/a.jsonl': jsonl([...rows, ...noise]) });
    const r = await run(['experiment', 'report', 'tone', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(uppercaseKeys(out, EXPERIMENT_USER_MAPS)).toEqual([]);

    // Independent unit-level statistics.
    const units = new Map<string, { variant: string; resolved: boolean; csat: number[] }>();
    for (const row of rows) {
      const u = units.get(row.user_id!) ?? { variant: row.variant as string, resolved: false, csat: [] };
      const m = row.metadata as { resolved: boolean; csat?: number };
      u.resolved ||= m.resolved;
      if (m.csat !== undefined) u.csat.push(m.csat);
      units.set(row.user_id!, u);
    }
    const of = (v: string) => [...units.values()].filter((u) => u.variant === v);
    for (const v of ['control', 'friendly']) {
      const input = out.data.variants.find((x: { name: string }) => x.name === v);
      expect(input.units).toBe(of(v).length);
      expect(input.metrics.resolved).toEqual({ kind: 'binomial', n: of(v).length, successes: of(v).filter((u) => u.resolved).length });
      const means = of(v).map((u) => sum(u.csat) / u.csat.length);
      expect(input.metrics.csat.n).toBe(means.length);
      expect(input.metrics.csat.sum).toBeCloseTo(sum(means), 9);
      expect(input.metrics.csat.sum_squares).toBeCloseTo(sum(means.map((x) => x * x)), 9);
    }
    expect(out.data.duplicates).toBe(1);
    // A metric named after a numeric field of the record reads that field: per-unit mean latency.
    for (const v of ['control', 'friendly']) {
      const perUnit = new Map<string, number[]>();
      for (const row of rows.filter((x) => x.variant === v)) perUnit.set(row.user_id!, [...(perUnit.get(row.user_id!) ?? []), row.latency_ms!]);
      const means = [...perUnit.values()].map((l) => sum(l) / l.length);
      const input = out.data.variants.find((x: { name: string }) => x.name === v);
      expect(input.metrics.latency_ms.n).toBe(means.length);
      expect(input.metrics.latency_ms.sum).toBeCloseTo(sum(means), 9);
    }

    // Two-proportion z-test with pooled SE, by hand.
    const [c, f] = [of('control'), of('friendly')];
    const pc = c.filter((u) => u.resolved).length / c.length;
    const pf = f.filter((u) => u.resolved).length / f.length;
    const pooled = (c.filter((u) => u.resolved).length + f.filter((u) => u.resolved).length) / (c.length + f.length);
    const z = (pf - pc) / Math.sqrt(pooled * (1 - pooled) * (1 / c.length + 1 / f.length));
    const resolved = out.analysis.metrics.find((m: { name: string }) => m.name === 'resolved');
    const friendly = resolved.variants.find((v: { variant: string }) => v.variant === 'friendly');
    expect(friendly.estimate).toBeCloseTo(pf, 12);
    expect(friendly.vs_control.p_value).toBeCloseTo(2 * (1 - cumulativeProbability(Math.abs(z))), 6);
    expect(resolved.winner).toBe(friendly.vs_control.p_value < 0.05 ? 'friendly' : null);
    expect(out.analysis.srm.mismatch).toBe(false);

    const human = await run(['experiment', 'report', 'tone'], { cwd: dir });
    expect(human.stdout).toMatch(/sample ratio: ok/);
    expect(human.stdout).toMatch(/^friendly\s+300\s/m);
  });

  it('prints only snake_case keys in --json for every experiment of the example repository', async () => {
    const names = readdirSync(join(EXAMPLE_ROOT, 'experiments')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
    expect(names).toContain('chatbot-tone');
    for (const name of names) {
      const r = await run(['experiment', 'report', name, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(uppercaseKeys(out, EXPERIMENT_USER_MAPS), name).toEqual([]);
      // The walk reached the nested figures (a check over an empty or truncated output proves nothing).
      expect(keyPaths(out, EXPERIMENT_USER_MAPS), name).toEqual(
        expect.arrayContaining([
          'data.unknown_variants',
          'data.variants[].metrics.*.kind',
          'analysis.variants[].expected_share',
          'analysis.srm.p_value',
          'analysis.metrics[].variants[].standard_error',
          'analysis.metrics[].variants[].vs_control.relative_difference',
          'analysis.metrics[].variants[].vs_control.p_value',
        ]),
      );
    }
    const tone = JSON.parse((await run(['experiment', 'report', 'chatbot-tone', '--json'])).stdout);
    expect(keyPaths(tone, EXPERIMENT_USER_MAPS)).toEqual(expect.arrayContaining(['data.first_day', 'data.last_day', 'data.variants[].metrics.*.sum_squares']));
  });

  it('flags a sample ratio mismatch, and exits 2 for an unknown experiment', async () => {
    const rows = experimentRows().filter((r) => r.variant === 'friendly' || Number(r.user_id!.slice(5)) % 4 === 0);
    const dir = spendRepo({ 'experiments/tone.yaml': EXPERIMENT, 'usage/a.jsonl': jsonl(rows) });
    const r = await run(['experiment', 'report', 'tone'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sample ratio mismatch');
    expect((await run(['experiment', 'report', 'nope'], { cwd: dir })).code).toBe(2);
  });
});

const CHEAP_MODEL = catalogModel('acme/delta', 'chat, prompt_caching, reasoning', [{ effective_from: '2026-01-01', input_per_mtok: 0.2, cached_input_per_mtok: 0.02, output_per_mtok: 0.8 }]);

const GREET_WITH_TESTS = (system: string) => `version: 1
status: approved
variables:
  name: { type: string }
messages:
  - role: system
    content: ${JSON.stringify(system)}
  - role: user
    content: "Say hello to {{name}}."
tests:
  - name: t1
    vars: { name: Ada }
    assert: [{ type: contains, value: Ada }]
  - name: t2
    vars: { name: Grace }
    assert: [{ type: contains, value: Grace }]
`;

describe('spend optimize', () => {
  const rows: Row[] = Array.from({ length: 40 }, (_, i) => ({
    timestamp: `2026-03-${String(1 + (i % 10)).padStart(2, '0')}T09:00:00Z`,
    request_id: `o-${i}`,
    feature: 'greeter',
    environment: 'production',
    prompt_id: 'greet',
    provider: 'acme',
    model: 'alpha',
    status: i % 8 === 0 ? 'error' : 'success',
    input_tokens: 1000 + i,
    output_tokens: 200,
  }));
  // Prices of 2026-03 (alpha: 1/4 per Mtok, no cached rate; delta: 0.2/0.8).
  const alphaCost = (r: Row) => (r.input_tokens! * 1 + r.output_tokens! * 4) / 1e6;
  const deltaCost = (r: Row) => (r.input_tokens! * 0.2 + r.output_tokens! * 0.8) / 1e6;

  function optimizeRepo(results: Array<{ test: string; model: string; status: string }>, system = 'You greet people.') {
    const dir = spendRepo({
      'features/_models.yaml': SPEND_MODELS_YAML + CHEAP_MODEL,
      'features/greeter.yaml': 'name: greeter\nstatus: active\nprompts: [greet]\nenvironments:\n  development: { model: acme/alpha }\n  staging: { model: acme/alpha }\n  production: { model: acme/alpha }\n',
      'prompts/greet.yaml': GREET_WITH_TESTS(system),
      'usage/a.jsonl': jsonl(rows),
    });
    mkdirSync(join(dir, '.promptops/eval'), { recursive: true });
    writeFileSync(join(dir, '.promptops/eval/results.json'), JSON.stringify({ kind: 'promptops/eval-results', results: results.map((r) => ({ prompt: 'greet', ...r })) }));
    return dir;
  }
  const optimize = async (dir: string) => {
    const r = await run(['spend', 'optimize', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(uppercaseKeys(JSON.parse(r.stdout))).toEqual([]);
    return JSON.parse(r.stdout) as { window: { from: string; to: string }; recommendations: Array<{ kind: string; target: string; summary: string; saving_usd: number; monthly_saving_usd: number; evidence: string }> };
  };

  it('recommends a cheaper model whose evals pass as well, with the measured saving', async () => {
    const passing = ['t1', 't2'].flatMap((test) => ['acme/alpha', 'acme/delta'].map((model) => ({ test, model, status: 'pass' })));
    const out = await optimize(optimizeRepo(passing));
    expect(out.window).toEqual({ from: '2026-03-01', to: '2026-03-10' });
    const rec = out.recommendations.find((r) => r.kind === 'cheaper-model')!;
    expect(rec).toMatchObject({ target: 'greeter@production', summary: 'acme/alpha → acme/delta', evidence: 'evals' });
    const saving = sum(rows.map(alphaCost)) - sum(rows.map(deltaCost));
    expect(rec.saving_usd).toBeCloseTo(saving, 9);
    expect(rec.monthly_saving_usd).toBeCloseTo((saving * 30) / 10, 9);

    const errors = out.recommendations.find((r) => r.kind === 'errors')!;
    expect(errors.saving_usd).toBeCloseTo(sum(rows.filter((r) => r.status !== 'success').map(alphaCost)), 9);
  });

  it('does not recommend a model that fails a test the current one passes', async () => {
    const results = [
      { test: 't1', model: 'acme/alpha', status: 'pass' },
      { test: 't2', model: 'acme/alpha', status: 'pass' },
      { test: 't1', model: 'acme/delta', status: 'pass' },
      { test: 't2', model: 'acme/delta', status: 'fail' },
    ];
    const out = await optimize(optimizeRepo(results));
    const models = out.recommendations.filter((r) => r.kind === 'cheaper-model');
    expect(models.some((r) => r.summary.includes('acme/delta'))).toBe(false);
    // Other catalog models have no eval results here: offered only as unverified, with how to verify.
    expect(models.every((r) => r.evidence === 'unverified')).toBe(true);
  });

  it('takes a skipped eval (offline answer, nothing checked) as no evidence, never as a failure of the current model', async () => {
    const results = [
      { test: 't1', model: 'acme/alpha', status: 'pass' },
      { test: 't2', model: 'acme/alpha', status: 'skipped' },
      { test: 't1', model: 'acme/delta', status: 'pass' },
      { test: 't2', model: 'acme/delta', status: 'pass' },
    ];
    const out = await optimize(optimizeRepo(results));
    const rec = out.recommendations.find((r) => r.kind === 'cheaper-model' && r.summary.includes('acme/delta')) as { detail?: string } | undefined;
    expect(rec?.detail).toContain('evals on 1 shared tests: 1/1 pass vs 1/1 now');
  });

  it('prints only snake_case keys in --json on the example repository', async () => {
    const r = await run(['spend', 'optimize', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(uppercaseKeys(out)).toEqual([]);
    expect(keyPaths(out)).toEqual(expect.arrayContaining(['window.from', 'recommendations[].kind', 'recommendations[].saving_usd', 'recommendations[].monthly_saving_usd']));
  });

  it('recommends prompt caching for a long static prefix on a model with a cached rate', async () => {
    const dir = optimizeRepo([], 'Lumen house rules for greetings and tone of voice. '.repeat(120));
    writeFileSync(join(dir, 'usage/a.jsonl'), jsonl(rows.map((r) => ({ ...r, model: 'delta' }))));
    const out = await optimize(dir);
    const rec = out.recommendations.find((r) => r.kind === 'prompt-caching')!;
    expect(rec.target).toBe('greet@production');
    const prefix = Number(/cache the ([\d,]+)-token/.exec(rec.summary)![1]!.replace(/,/g, ''));
    expect(prefix).toBeGreaterThan(1024);
    expect(rec.saving_usd).toBeCloseTo((rows.length * prefix * (0.2 - 0.02)) / 1e6, 9);
  });
});
