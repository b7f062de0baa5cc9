import { todayUtc } from '../catalog/catalog.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { analyzePartial } from '../prompt-analysis.js';
import { loadRepository, type Repository } from '../repository.js';
import { checkFeature } from './features.js';
import { checkBudget, checkCatalog, checkConfig, checkExperiment } from './others.js';
import { checkPrompt } from './prompts.js';

export interface ValidateOptions {
  root: string;
  /** YYYY-MM-DD used for deprecation and price-period checks; defaults to today (UTC). */
  today?: string;
}

export interface ValidateResult {
  repo: Repository;
  diagnostics: Diagnostic[];
  counts: { prompts: number; partials: number; features: number; budgets: number; experiments: number };
}

/** Loads a repository and runs every schema and cross-reference check. Never throws on bad content. */
export function validateRepository(options: ValidateOptions): ValidateResult {
  const { value: repo, diagnostics } = loadRepository(options);
  const ctx = { repo, today: options.today ?? todayUtc(), diagnostics };
  checkConfig(ctx);
  checkCatalog(ctx);
  for (const prompt of repo.prompts.values()) if (prompt.valid) checkPrompt(ctx, prompt);
  for (const feature of repo.features.values()) if (feature.valid) checkFeature(ctx, feature);
  for (const experiment of repo.experiments.values()) if (experiment.valid) checkExperiment(ctx, experiment);
  for (const budget of repo.budgets.values()) if (budget.valid) checkBudget(ctx, budget);
  for (const partial of repo.partials.values()) {
    for (const problem of analyzePartial(partial).problems) {
      diagnostics.push({ code: problem.code, severity: 'error', file: partial.file, line: problem.line, col: problem.col, message: problem.message, hint: problem.hint });
    }
  }
  return {
    repo,
    diagnostics: sortDiagnostics(dedupe(diagnostics)),
    counts: {
      prompts: repo.prompts.size,
      partials: repo.partials.size,
      features: repo.features.size,
      budgets: repo.budgets.size,
      experiments: repo.experiments.size,
    },
  };
}

/** A partial's problem is found through every prompt that includes it; report it once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.col}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
