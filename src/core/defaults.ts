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

export const CONFIG_FILE = 'promptops.config.yaml';
export const CATALOG_FILE = 'features/_models.yaml';
export const PARTIALS_DIR = 'prompts/_partials';
