import { GrowthBookClient } from '@growthbook/growthbook';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleExperiment } from '../src/core/compile.js';
import { UnknownEntryError, VariableError, type RenderResult } from '../src/runtime/index.js';
import { minimalRepo, repo, run, tempDir } from './helpers/repo.js';
import { compileRepo, fileClient } from './helpers/runtime-bundle.js';

/** A model A/B test with a prompt variant: what `render(…, {feature, unit})` must apply (DESIGN §6). */
const FEATURE = `name: greeter
status: active
prompts: [greet, bye]
environments:
  staging:
    model: openai/gpt-6-luna
  production:
    model: openai/gpt-6-luna
    params: { top_p: 0.9 }
    fallbacks: [anthropic/claude-haiku-4-5, google/gemini-3.1-flash-lite]
`;
const GREET = `version: 1
status: approved
variables:
  name: { type: string }
model: { temperature: 0.7, max_tokens: 200 }
template: |
  {{> tone}}
  Say hello to {{name}}.
`;
/** The variant's prompt: another text, another version, and a stricter variable (its own check). */
const GREET_WARM = `version: 3
status: approved
variables:
  name: { type: string, maxLength: 8 }
model: { max_tokens: 300 }
template: Give {{name}} a warm welcome.
`;
const BYE = `version: 2
status: approved
variables:
  name: { type: string }
template: Say goodbye to {{name}}.
`;
const EXPERIMENT = `name: greet-test
feature: greeter
type: a_b_test
status: running
hash_attribute: account_id
seed: greet-2026
coverage: 0.6
variants:
  - { name: control, weight: 30 }
  - name: warm
    weight: 70
    prompt: greet-warm
    model: anthropic/claude-haiku-4-5
    params: { temperature: 0.2 }
`;

const tree = (overrides: Record<string, string | undefined> = {}) =>
  minimalRepo({ 'features/greeter.yaml': FEATURE, 'prompts/greet.yaml': GREET, 'prompts/greet-warm.yaml': GREET_WARM, 'prompts/bye.yaml': BYE, 'experiments/greet-test.yaml': EXPERIMENT, ...overrides });

/** GrowthBook's SDK decides the expected variant, from the experiment as the bundle holds it. */
const growthbook = new GrowthBookClient({});
function expectedIndex(e: BundleExperiment, unit: string): number {
  const r = growthbook.runInlineExperiment({ key: e.seed, seed: e.seed, hashVersion: 2, hashAttribute: 'id', variations: e.variants.map((_, i) => i) as [number, number, ...number[]], weights: e.variants.map((v) => v.weight), coverage: e.coverage }, { attributes: { id: unit } });
  return r.inExperiment ? r.variationId : -1;
}

const UNITS = Array.from({ length: 1500 }, (_, i) => `acct-${i * 37}`);

describe('render() applies the running experiment of the feature for a unit', () => {
  it('gives each unit its variant: prompt, version, model, provider, params, experiment and variant', async () => {
    const { compiled } = compileRepo(repo(tree()), 'production');
    const experiment = compiled.bundle.experiments['greet-test']!;
    const client = await fileClient(compiled);
    const counts = [0, 0, 0];
    for (const unit of UNITS) {
      const index = expectedIndex(experiment, unit);
      counts[index + 1]!++;
      for (const given of [unit, { account_id: unit, plan: 'pro' }]) {
        const greet = client.render('greet', { name: 'Ada' }, { feature: 'greeter', unit: given });
        const bye = client.render('bye', { name: 'Ada' }, { feature: 'greeter', unit: given });
        if (index === -1) {
          // Outside coverage: the feature's own assignment and no experiment fields at all.
          expect(greet).toEqual({ promptId: 'greet', promptVersion: 1, revision: compiled.revision, feature: 'greeter', model: 'openai/gpt-6-luna', provider: 'openai', params: { temperature: 0.7, max_tokens: 200, top_p: 0.9 }, messages: [{ role: 'user', content: 'Be warm and brief.\nSay hello to Ada.\n' }] });
          expect(Object.keys(greet)).not.toContain('experiment');
          expect(Object.keys(bye)).not.toContain('variant');
        } else if (index === 0) {
          expect(greet).toMatchObject({ promptId: 'greet', promptVersion: 1, model: 'openai/gpt-6-luna', provider: 'openai', params: { temperature: 0.7, max_tokens: 200, top_p: 0.9 }, experiment: 'greet-test', variant: 'control' });
          expect(bye).toMatchObject({ promptId: 'bye', model: 'openai/gpt-6-luna', experiment: 'greet-test', variant: 'control' });
        } else {
          expect(greet).toEqual({ promptId: 'greet-warm', promptVersion: 3, revision: compiled.revision, feature: 'greeter', model: 'anthropic/claude-haiku-4-5', provider: 'anthropic', params: { max_tokens: 300, top_p: 0.9, temperature: 0.2 }, messages: [{ role: 'user', content: 'Give Ada a warm welcome.' }], experiment: 'greet-test', variant: 'warm' });
          // Another prompt of the feature keeps its text and takes the variant's model and params.
          expect(bye).toEqual({ promptId: 'bye', promptVersion: 2, revision: compiled.revision, feature: 'greeter', model: 'anthropic/claude-haiku-4-5', provider: 'anthropic', params: { top_p: 0.9, temperature: 0.2 }, messages: [{ role: 'user', content: 'Say goodbye to Ada.' }], experiment: 'greet-test', variant: 'warm' });
        }
        expect(client.assign('greet-test', given)?.index ?? -1).toBe(index);
      }
    }
    // 40% outside coverage, then 30/70 of the 60% enrolled.
    expect(counts[0]! / UNITS.length).toBeCloseTo(0.4, 1);
    expect(counts[1]! / UNITS.length).toBeCloseTo(0.18, 1);
    expect(counts[2]! / UNITS.length).toBeCloseTo(0.42, 1);
  });

  it('checks the variant prompt’s own variables, and treats a unit without the hash attribute as not enrolled', async () => {
    const { compiled } = compileRepo(repo(tree()), 'production');
    const experiment = compiled.bundle.experiments['greet-test']!;
    const client = await fileClient(compiled);
    const warm = UNITS.find((u) => expectedIndex(experiment, u) === 1)!;
    const control = UNITS.find((u) => expectedIndex(experiment, u) === 0)!;
    const long = { name: 'Bartholomew' };
    expect(client.render('greet', long, { feature: 'greeter', unit: control }).variant).toBe('control');
    let error: unknown;
    try {
      client.render('greet', long, { feature: 'greeter', unit: warm });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VariableError);
    expect((error as VariableError).promptId).toBe('greet-warm');
    expect((error as VariableError).message).toBe('invalid variables for prompt "greet-warm": variable "name" must have at most 8 characters, got 11');

    for (const unit of [{ user_id: warm }, { account_id: '' }, { account_id: null }, '']) {
      const rendered = client.render('greet', { name: 'Ada' }, { feature: 'greeter', unit });
      expect(rendered).toMatchObject({ promptId: 'greet', model: 'openai/gpt-6-luna' });
      expect(Object.keys(rendered)).not.toContain('experiment');
    }
    // Without `feature`, the prompt's first feature (and its experiment) applies.
    expect(client.render('greet', { name: 'Ada' }, { unit: warm })).toMatchObject({ promptId: 'greet-warm', variant: 'warm' });
    // Without a unit, nothing changes.
    expect(client.render('greet', { name: 'Ada' }, { feature: 'greeter' })).toMatchObject({ promptId: 'greet', model: 'openai/gpt-6-luna', provider: 'openai' });
    expect(() => client.render('greet', { name: 'Ada' }, { feature: 'greeterz', unit: warm })).toThrow(UnknownEntryError);
    expect(() => client.render('greet', { name: 'Ada' }, { feature: 'greeterz', unit: warm })).toThrow('unknown feature "greeterz" in bundle');
  });

  it('logUsage takes prompt, version, model, provider, experiment and variant from the render result', async () => {
    const { compiled } = compileRepo(repo(tree()), 'production');
    const experiment = compiled.bundle.experiments['greet-test']!;
    const log = join(tempDir(), 'usage.jsonl');
    const client = await fileClient(compiled, { usageLog: log });
    const units = [UNITS.find((u) => expectedIndex(experiment, u) === -1)!, UNITS.find((u) => expectedIndex(experiment, u) === 0)!, UNITS.find((u) => expectedIndex(experiment, u) === 1)!];
    const rendered: RenderResult[] = units.map((unit) => client.render('greet', { name: 'Ada' }, { feature: 'greeter', unit: { account_id: unit } }));
    for (const [i, r] of rendered.entries()) client.logUsage({ status: 'success', input_tokens: 10, output_tokens: 5, metadata: { account_id: units[i] } }, { rendered: r });
    await client.close();
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const pick = (l: Record<string, unknown>) => ({ prompt_id: l.prompt_id, prompt_version: l.prompt_version, feature: l.feature, provider: l.provider, model: l.model, experiment: l.experiment, variant: l.variant });
    expect(lines.map(pick)).toEqual([
      { prompt_id: 'greet', prompt_version: 1, feature: 'greeter', provider: 'openai', model: 'openai/gpt-6-luna', experiment: undefined, variant: undefined },
      { prompt_id: 'greet', prompt_version: 1, feature: 'greeter', provider: 'openai', model: 'openai/gpt-6-luna', experiment: 'greet-test', variant: 'control' },
      { prompt_id: 'greet-warm', prompt_version: 3, feature: 'greeter', provider: 'anthropic', model: 'anthropic/claude-haiku-4-5', experiment: 'greet-test', variant: 'warm' },
    ]);
  });

  it('fallbacks(feature) gives the models to try in order, with their providers', async () => {
    const client = await fileClient(compileRepo(repo(tree()), 'production').compiled);
    expect(client.fallbacks('greeter')).toEqual([
      { model: 'anthropic/claude-haiku-4-5', provider: 'anthropic' },
      { model: 'google/gemini-3.1-flash-lite', provider: 'google' },
    ]);
    expect(() => client.fallbacks('nope')).toThrow(UnknownEntryError);
  });

  it('leaves out, with a warning, a running experiment whose variant prompt the environment does not publish', async () => {
    const root = repo(tree({ 'prompts/greet-warm.yaml': GREET_WARM.replace('status: approved', 'status: review') }));
    const { compiled } = compileRepo(root, 'production');
    expect(compiled.bundle.experiments).toEqual({});
    expect(compiled.diagnostics).toContainEqual(expect.objectContaining({ code: 'unpublished-experiment', severity: 'warning', file: 'experiments/greet-test.yaml' }));
    const client = await fileClient(compiled);
    for (const unit of UNITS.slice(0, 50)) expect(Object.keys(client.render('greet', { name: 'Ada' }, { feature: 'greeter', unit }))).not.toContain('variant');
    // Staging publishes review: there it runs.
    expect(compileRepo(root, 'staging').compiled.bundle.experiments['greet-test']).toMatchObject({ replaced_prompt: 'greet' });
    const compile = await run(['compile', '--out', join(tempDir(), 'out')], { cwd: root });
    expect(compile.code).toBe(0);
    expect(compile.stdout + compile.stderr).toContain('experiments/greet-test.yaml');
    expect(compile.stdout + compile.stderr).toContain('warning [unpublished-experiment] running experiment "greet-test" is left out of the production bundle: variant "warm" uses prompt "greet-warm" (status review), which production does not publish');
  });
});

describe('a healthy experiment passes the sample-ratio check end to end', () => {
  it('10/90 in percent: runtime assignment → usage log → experiment report shows ~10/90 and no SRM', async () => {
    const root = repo(tree({ 'experiments/greet-test.yaml': EXPERIMENT.replace('coverage: 0.6', 'coverage: 1').replace('weight: 30', 'weight: 10').replace('weight: 70', 'weight: 90') }));
    const log = join(root, 'usage', 'calls.jsonl');
    const client = await fileClient(compileRepo(root, 'production').compiled, { usageLog: log });
    for (let i = 0; i < 3000; i++) {
      const unit = `acct-${i}`;
      const assignment = client.assign('greet-test', { account_id: unit })!;
      const rendered = client.render(assignment.prompt ?? 'greet', { name: 'Ada' }, { feature: 'greeter' });
      client.logUsage({ status: 'success', input_tokens: 10, output_tokens: 5, metadata: { account_id: unit } }, { rendered, assignment });
    }
    await client.close();
    const report = await run(['experiment', 'report', 'greet-test', '--usage', log, '--json'], { cwd: root });
    expect(report.code, report.stderr).toBe(0);
    const { analysis } = JSON.parse(report.stdout);
    const units = analysis.variants.map((v: { units: number }) => v.units);
    expect(units[0] + units[1]).toBe(3000);
    expect(units[0] / 3000).toBeCloseTo(0.1, 1);
    expect(analysis.srm.mismatch).toBe(false);
  });
});
