import type { RepoConfig } from './schemas/config.js';

/** Used when a repository has no promptops.config.yaml; also what `promptops init` writes. */
export const DEFAULT_CONFIG: RepoConfig = {
  version: 1,
  environments: {
    development: { description: 'Local development and preview deployments.', publish: ['draft', 'review', 'approved'] },
    staging: { description: 'Pre-production; prompts under review are published here.', publish: ['review', 'approved'] },
    production: { description: 'Serves users; approved prompts only.', publish: ['approved'] },
  },
  store: { url: 'file://.promptops/store' },
  eval: { provider: 'offline', concurrency: 8, cache_dir: '.promptops/cache' },
};

/**
 * The policy `diff` and `ci` judge by where the base config sets none (or cannot be read): a prompt
 * change needs a version bump, no test may regress, offline answers do not count, no cost limits.
 */
export const DEFAULT_POLICY = { require_version_bump: 'error', max_eval_regressions: 0, allow_offline: false } as const satisfies NonNullable<RepoConfig['policy']>;

/** The default policy in words, for messages. */
export const DEFAULT_POLICY_TEXT = 'require_version_bump: error, max_eval_regressions: 0, allow_offline: false, no cost limits';

export const CONFIG_FILE = 'promptops.config.yaml';
export const CATALOG_FILE = 'features/_models.yaml';
export const PARTIALS_DIR = 'prompts/_partials';
