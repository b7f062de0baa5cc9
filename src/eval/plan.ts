import { didYouMean, type Diagnostic, type Result } from '../core/diagnostics.js';
import type { Repository } from '../core/repository.js';
import type { ModelParams } from '../core/schemas/_common.js';
import type { TestCase } from '../core/schemas/prompt.js';

/** One test case to run: a prompt's test, possibly under an experiment variant. */
export interface EvalJob {
  /** Prompt whose test this is. */
  prompt: string;
  testIndex: number;
  test: TestCase;
  /** Prompt actually rendered (an experiment variant may swap it). */
  render: string;
  feature?: string;
  /** Model override (test `model`, or the variant's). */
  model?: string;
  /** Parameter overrides of the variant, over the prompt's and the feature's. */
  params?: ModelParams;
  variant?: string;
}

export interface PlanOptions {
  repo: Repository;
  /** Only these prompts (default: every prompt with tests). */
  prompts?: string[];
  /** Run every variant of this experiment over its feature's tests. */
  experiment?: string;
}

/** The test cases to run, in a stable order (prompt id, then test order, then variant order). */
export function planEval({ repo, prompts, experiment }: PlanOptions): Result<EvalJob[]> {
  if (experiment !== undefined) return planExperiment(repo, experiment);
  const diagnostics: Diagnostic[] = [];
  for (const id of prompts ?? []) {
    if (!repo.prompts.has(id)) diagnostics.push({ code: 'unknown-prompt', severity: 'error', message: `unknown prompt "${id}"`, hint: didYouMean(id, repo.prompts.keys()) });
  }
  const selected = prompts ? new Set(prompts) : undefined;
  const jobs: EvalJob[] = [];
  for (const id of [...repo.prompts.keys()].sort()) {
    const entity = repo.prompts.get(id)!;
    if (selected && !selected.has(id)) continue;
    if (!entity.valid || entity.data.status === 'archived') continue;
    for (const [testIndex, test] of (entity.data.tests ?? []).entries()) {
      jobs.push({ prompt: id, testIndex, test, render: id, feature: test.feature, model: test.model });
    }
  }
  return { value: jobs, diagnostics };
}

function planExperiment(repo: Repository, name: string): Result<EvalJob[]> {
  const experiment = repo.experiments.get(name);
  if (!experiment?.valid) {
    const message = experiment ? `experiment "${name}" is invalid; run "promptops validate"` : `unknown experiment "${name}"`;
    return { value: [], diagnostics: [{ code: 'unknown-experiment', severity: 'error', message, hint: didYouMean(name, repo.experiments.keys()) }] };
  }
  const feature = repo.features.get(experiment.data.feature);
  if (!feature?.valid) {
    return { value: [], diagnostics: [{ code: 'unknown-feature', severity: 'error', file: experiment.file, message: `experiment "${name}" runs on feature "${experiment.data.feature}", which does not exist or is invalid` }] };
  }
  // A variant's `prompt` replaces the prompt the control variant uses (or the feature's first one).
  const replaced = experiment.data.variants[0]!.prompt ?? feature.data.prompts[0];
  const jobs: EvalJob[] = [];
  for (const id of feature.data.prompts) {
    const entity = repo.prompts.get(id);
    if (!entity?.valid) continue;
    for (const [testIndex, test] of (entity.data.tests ?? []).entries()) {
      for (const variant of experiment.data.variants) {
        jobs.push({
          prompt: id,
          testIndex,
          test,
          render: variant.prompt && id === replaced ? variant.prompt : id,
          feature: feature.id,
          model: variant.model ?? test.model,
          params: variant.params,
          variant: variant.name,
        });
      }
    }
  }
  const diagnostics: Diagnostic[] = jobs.length
    ? []
    : [{ code: 'no-tests', severity: 'error', file: feature.file, message: `the prompts of feature "${feature.id}" have no tests, so experiment "${name}" has nothing to compare`, hint: 'add tests: to the feature\'s prompts' }];
  return { value: jobs, diagnostics };
}
