import { CATALOG_FILE, CONFIG_FILE, DEFAULT_CONFIG, DEFAULT_POLICY_TEXT } from '../defaults.js';
import type { Diagnostic, Result } from '../diagnostics.js';
import { plural } from '../plural.js';
import type { Repository } from '../repository.js';

/** The files whose errors make a side's own settings unreadable: the config (policy, eval provider) and the model catalog (prices). */
const SETTINGS_FILES = new Set([CONFIG_FILE, CATALOG_FILE]);
const settingsErrors = (diagnostics: readonly Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error' && d.file !== undefined && SETTINGS_FILES.has(d.file));

export interface Sides {
  base: Repository;
  head: Repository;
  /** Head settings errors (located, they fail the check) and a warning saying what replaced an unreadable base. */
  diagnostics: Diagnostic[];
}

/**
 * A gate never opens because it cannot read its own settings. The loader falls back to defaults for
 * an invalid config (the offline provider, no policy) or catalog (built-in prices); left alone, that
 * would judge the base with other evidence and no policy. So: an invalid base is judged by the
 * documented default policy and evaluated with the head's eval settings and catalog, and the report
 * says so; an invalid head fails the check with its own located errors, and is evaluated with the
 * base's settings so the comparison stays like for like.
 */
export function reconcileSides(base: Result<Repository>, head: Result<Repository>, baseExists: boolean): Sides {
  const baseErrors = baseExists ? settingsErrors(base.diagnostics) : [];
  const headErrors = settingsErrors(head.diagnostics);
  const broken = (errors: Diagnostic[], file: string) => errors.some((d) => d.file === file);
  const fix = (repo: Repository, errors: Diagnostic[], from: Repository): Repository => ({
    ...repo,
    ...(broken(errors, CONFIG_FILE) ? { config: { ...DEFAULT_CONFIG, environments: from.config.environments, ...(from.config.eval ? { eval: from.config.eval } : {}) } } : {}),
    ...(broken(errors, CATALOG_FILE) ? { catalog: from.catalog } : {}),
  });
  const headOk = headErrors.length === 0;
  const baseOk = baseErrors.length === 0;
  const diagnostics: Diagnostic[] = [...headErrors];
  if (!baseOk) {
    const first = baseErrors[0]!;
    const files = [...new Set(baseErrors.map((d) => d.file!))].join(' and ');
    const replaced = [
      ...(broken(baseErrors, CONFIG_FILE) ? [`judged by the default policy (${DEFAULT_POLICY_TEXT})`] : []),
      ...(broken(baseErrors, CONFIG_FILE) && headOk ? [`its tests were evaluated with the head's eval settings (provider ${head.value.config.eval?.provider ?? DEFAULT_CONFIG.eval!.provider})`] : []),
      ...(broken(baseErrors, CATALOG_FILE) && headOk ? ["it was priced with the head's model catalog"] : []),
    ];
    diagnostics.push({
      code: 'base-config-invalid', severity: 'warning', file: first.file,
      message: `the base commit's ${files} does not validate (${plural(baseErrors.length, 'error')}; first: ${first.line ?? 1}:${first.col ?? 1} ${first.message}), so this change is ${replaced.join('; ')}`,
      hint: 'the base branch should be fixed too: run "promptops validate" on it',
    });
  }
  return {
    base: baseOk ? base.value : fix(base.value, baseErrors, headOk ? head.value : base.value),
    head: headOk ? head.value : fix(head.value, headErrors, baseOk ? base.value : head.value),
    diagnostics,
  };
}
