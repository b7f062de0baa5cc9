import { relative } from 'node:path';
import { weightScale } from '../assign.js';
import { CONFIG_FILE } from '../defaults.js';
import { didYouMean } from '../diagnostics.js';
import { pathInside } from '../path-inside.js';
import { quote } from '../quote.js';
import { redact } from '../redact.js';
import { passwordOf } from '../store-url.js';
import type { Entity } from '../repository.js';
import type { BudgetFile } from '../schemas/budget.js';
import type { ExperimentFile } from '../schemas/experiment.js';
import { report, type CheckContext } from './_context.js';
import { checkModel, nameMatchesFile } from './features.js';
import { checkExperimentPromptsShipped } from './shipped-prompts.js';
import { checkParamsSchema } from './user-schemas.js';

export function checkExperiment(ctx: CheckContext, experiment: Entity<ExperimentFile>): void {
  const { repo } = ctx;
  const { data } = experiment;
  nameMatchesFile(ctx, experiment, data.name);
  const feature = repo.features.get(data.feature);
  if (!feature) report(ctx, experiment, ['feature'], { code: 'unknown-feature', message: `unknown feature "${data.feature}"`, hint: didYouMean(data.feature, repo.features.keys()) });
  else if (data.status === 'running' && feature.valid && feature.data.status !== 'active') {
    report(ctx, experiment, ['status'], { code: 'experiment-inactive-feature', severity: 'warning', message: `experiment is running on feature "${data.feature}", which is ${feature.data.status}` });
  }
  const weights = data.variants.map((v) => v.weight);
  if (weightScale(weights) === undefined) {
    const total = weights.reduce((sum, w) => sum + w, 0);
    report(ctx, experiment, ['variants'], { code: 'weights-sum', message: `variant weights sum to ${+total.toFixed(6)}, not 1 (or 100)`, hint: 'adjust the weights so they add up to 1 (or to 100 as percentages)' });
  }
  const names = new Set<string>();
  for (const [i, variant] of data.variants.entries()) {
    if (names.has(variant.name)) report(ctx, experiment, ['variants', i, 'name'], { code: 'duplicate-variant', message: `variant name "${variant.name}" is used twice` });
    names.add(variant.name);
    if (variant.prompt !== undefined && !repo.prompts.has(variant.prompt)) {
      report(ctx, experiment, ['variants', i, 'prompt'], { code: 'unknown-prompt', message: `unknown prompt "${variant.prompt}"`, hint: didYouMean(variant.prompt, repo.prompts.keys()) });
    }
    if (variant.model !== undefined) checkModel(ctx, experiment, ['variants', i, 'model'], variant.model, data.status === 'running');
    checkParamsSchema(ctx, experiment, variant.params, ['variants', i, 'params']);
  }
  for (const environment of Object.keys(repo.config.environments)) ctx.diagnostics.push(...checkExperimentPromptsShipped(repo, experiment, environment, 'warning'));
  checkDates(ctx, experiment, data.starts, data.ends);
}

function insideRepository(root: string, dir: string): boolean {
  try {
    const path = pathInside(root, dir);
    return !/^\.git(\/|\\|$)/.test(relative(root, path));
  } catch {
    return false;
  }
}

export function checkBudget(ctx: CheckContext, budget: Entity<BudgetFile>): void {
  const { repo } = ctx;
  const { data } = budget;
  nameMatchesFile(ctx, budget, data.name);
  const known: Record<string, Iterable<string>> = {
    feature: repo.features.keys(),
    provider: Object.keys(repo.catalog.providers),
    model: Object.keys(repo.catalog.models),
    environment: Object.keys(repo.config.environments),
  };
  for (const [dimension, values] of Object.entries(data.scope ?? {})) {
    const candidates = known[dimension];
    if (!candidates) continue;
    const set = new Set(candidates);
    for (const [i, value] of (values ?? []).entries()) {
      if (!set.has(value)) report(ctx, budget, ['scope', dimension, i], { code: `unknown-${dimension}`, message: `unknown ${dimension} "${value}"`, hint: didYouMean(value, set) });
    }
  }
  const teams = new Set([...repo.features.values()].map((f) => f.data.team).filter(Boolean));
  for (const [i, team] of (data.scope?.team ?? []).entries()) {
    if (!teams.has(team)) report(ctx, budget, ['scope', 'team', i], { code: 'unknown-team', severity: 'warning', message: `no feature belongs to team "${team}"`, hint: 'spend is attributed to teams through the "team" of features or usage records' });
  }
  const seen = new Set<number>();
  for (const [i, alert] of (data.alerts ?? []).entries()) {
    if (seen.has(alert.at)) report(ctx, budget, ['alerts', i, 'at'], { code: 'duplicate-alert', message: `two alerts at ${alert.at}` });
    seen.add(alert.at);
    // Checked here rather than as a schema maximum so the message can carry the fraction meant.
    if (alert.at > MAX_ALERT_AT) report(ctx, budget, ['alerts', i, 'at'], alertPercent(alert.at));
  }
  checkDates(ctx, budget, data.starts, data.ends);
}

/** `at` is a fraction of the amount; above 1 alerts past the budget (1.2 = 120 %), above 2 is taken for a percent. */
const MAX_ALERT_AT = 2;

function alertPercent(at: number) {
  const fraction = at / 100;
  return {
    code: 'alert-percent',
    message: `alert at ${at} means ${at}× the amount, so it would never fire: "at" is a fraction of the amount, at most ${MAX_ALERT_AT}`,
    hint: fraction <= MAX_ALERT_AT ? `did you mean "at: ${+fraction.toFixed(6)}"? (${at}% of the amount)` : `write the threshold as a fraction of the amount: 0.8 for 80%, 1.2 for 120%`,
  };
}

function checkDates(ctx: CheckContext, entity: Entity<unknown>, starts?: string, ends?: string): void {
  if (starts && ends && ends < starts) report(ctx, entity, ['ends'], { code: 'date-range', message: `ends (${ends}) is before starts (${starts})` });
}

export function checkCatalog(ctx: CheckContext): void {
  const { repo } = ctx;
  const source = { file: 'features/_models.yaml', source: repo.catalogSource };
  if (!repo.catalogSource) return;
  for (const model of Object.values(repo.catalog.models)) {
    if (model.origin !== 'repository') continue;
    if (!repo.catalog.providers[model.provider]) {
      report(ctx, source, ['models', model.ref], { code: 'unknown-provider', key: true, message: `model "${model.ref}" names unknown provider "${model.provider}"`, hint: `declare "${model.provider}" under "providers:"` });
    }
    const dates = model.pricing.map((p) => p.effective_from);
    for (const [i, date] of dates.entries()) {
      if (dates.indexOf(date) !== i) report(ctx, source, ['models', model.ref, 'pricing', i, 'effective_from'], { code: 'duplicate-price-period', message: `two price periods start on ${date}` });
    }
    if (model.replacement && !repo.catalog.models[model.replacement]) {
      report(ctx, source, ['models', model.ref, 'replacement'], { code: 'unknown-model', message: `unknown replacement model "${model.replacement}"` });
    }
  }
}

/** Repository settings the schema cannot judge: a store URL must name a supported store and hold no secret. */
export function checkConfig(ctx: CheckContext): void {
  const { repo } = ctx;
  if (!repo.configSource) return;
  const source = { file: CONFIG_FILE, source: repo.configSource };
  // eval writes (--record) and reads (--replay) its cache there, and a pull request's config picks it.
  const cacheDir = repo.config.eval?.cache_dir;
  if (cacheDir !== undefined && !insideRepository(repo.root, cacheDir)) {
    report(ctx, source, ['eval', 'cache_dir'], { code: 'path-outside-repository', message: `eval.cache_dir ${quote(cacheDir)} is not a folder inside the repository (or it is inside .git)`, hint: 'use a relative path inside the repository, e.g. "recordings", and commit it' });
  }
  const url = repo.config.store?.url;
  if (url === undefined) return;
  if (passwordOf(url) !== undefined) {
    report(ctx, source, ['store', 'url'], {
      code: 'secret-in-config',
      message: 'store.url contains a password, and this file is committed: anyone who can read the repository can read it',
      hint: 'remove the password from the URL and set PGPASSWORD where publish and serve run (in CI, from a secret); rotate the password if it was ever pushed',
    });
  }
  if (!/^(file|postgres|postgresql):/i.test(url)) {
    report(ctx, source, ['store', 'url'], { code: 'unsupported-store', message: `store.url "${redact(url)}" names no supported store`, hint: 'use file://relative/path, file:///absolute/path or postgres://user@host/database' });
  }
}
