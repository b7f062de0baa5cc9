import { existsSync } from 'node:fs';
import { globSync } from 'tinyglobby';
import { CATALOG_FILE, CONFIG_FILE, DEFAULT_CONFIG, PARTIALS_DIR } from './defaults.js';
import type { Diagnostic, Result } from './diagnostics.js';
import { mergeCatalog, type Catalog } from './catalog/catalog.js';
import { PROMPT_ID_PATTERN, SLUG_PATTERN } from './schemas/_common.js';
import type { BudgetFile, CatalogFile, ExperimentFile, FeatureFile, FileKind, PromptFile, RepoConfig } from './schemas/index.js';
import { DEFAULT_MAX_FILE_BYTES, readText, readYaml, type SourceFile } from './source.js';
import { validateSchema } from './validate-schema.js';

export interface Entity<T> {
  id: string;
  /** Repository-relative path. */
  file: string;
  source?: SourceFile;
  data: T;
  /** False when the file failed schema validation: it exists (references to it resolve) but its content is not checked further. */
  valid: boolean;
}

export interface PartialFile {
  name: string;
  file: string;
  text: string;
}

export interface Repository {
  root: string;
  config: RepoConfig;
  configSource?: SourceFile;
  catalog: Catalog;
  catalogSource?: SourceFile;
  prompts: Map<string, Entity<PromptFile>>;
  partials: Map<string, PartialFile>;
  features: Map<string, Entity<FeatureFile>>;
  budgets: Map<string, Entity<BudgetFile>>;
  experiments: Map<string, Entity<ExperimentFile>>;
}

export interface LoadOptions {
  root: string;
}

const YAML_EXT = /\.ya?ml$/;
const idOf = (file: string, dir: string) => file.slice(dir.length + 1).replace(YAML_EXT, '');

/** Loads and schema-validates every file of a config repository. Never throws on bad content. */
export function loadRepository({ root }: LoadOptions): Result<Repository> {
  const diagnostics: Diagnostic[] = [];
  const configFile = existsSync(`${root}/${CONFIG_FILE}`) ? loadDocument<RepoConfig>(root, CONFIG_FILE, 'config', DEFAULT_MAX_FILE_BYTES, diagnostics) : undefined;
  const config = configFile?.valid ? configFile.data : DEFAULT_CONFIG;
  const maxBytes = config.limits?.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES;

  const catalogFile = existsSync(`${root}/${CATALOG_FILE}`) ? loadDocument<CatalogFile>(root, CATALOG_FILE, 'catalog', maxBytes, diagnostics) : undefined;
  const repo: Repository = {
    root,
    config,
    configSource: configFile?.source,
    catalog: mergeCatalog(catalogFile?.valid ? catalogFile.data : undefined),
    catalogSource: catalogFile?.source,
    prompts: new Map(),
    partials: new Map(),
    features: new Map(),
    budgets: new Map(),
    experiments: new Map(),
  };

  const files = globSync(['prompts/**/*.{yaml,yml,hbs}', 'features/*.{yaml,yml}', 'budgets/*.{yaml,yml}', 'experiments/*.{yaml,yml}'], {
    cwd: root,
    dot: false,
  }).sort();

  for (const file of files) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    if (file.startsWith(`${PARTIALS_DIR}/`) && file.endsWith('.hbs')) {
      const { text, diagnostics: d } = readText({ root, file, maxBytes });
      diagnostics.push(...d);
      const name = file.slice(PARTIALS_DIR.length + 1, -'.hbs'.length);
      if (text !== undefined) repo.partials.set(name, { name, file, text });
      continue;
    }
    if (base.startsWith('_') || file.endsWith('.hbs') || file.includes('/_')) continue;
    const [dir] = file.split('/') as [string];
    const kind = ({ prompts: 'prompt', features: 'feature', budgets: 'budget', experiments: 'experiment' } as const)[dir as 'prompts'];
    const id = idOf(file, dir);
    const pattern = kind === 'prompt' ? PROMPT_ID_PATTERN : SLUG_PATTERN;
    if (!new RegExp(pattern).test(id)) {
      diagnostics.push({
        code: 'invalid-id', severity: 'error', file, line: 1, col: 1,
        message: `"${id}" is not a valid ${kind} id`,
        hint: 'rename the file: ids are lowercase slugs (a-z, 0-9, "-" and "_")',
      });
      continue;
    }
    const entity = loadDocument(root, file, kind, maxBytes, diagnostics);
    if (!entity) continue;
    const map = { prompt: repo.prompts, feature: repo.features, budget: repo.budgets, experiment: repo.experiments }[kind] as Map<string, Entity<unknown>>;
    const existing = map.get(id);
    if (existing) {
      diagnostics.push({
        code: 'duplicate-id', severity: 'error', file, line: 1, col: 1,
        message: `${kind} id "${id}" is also defined by ${existing.file}`,
        hint: 'keep one file per id (.yaml and .yml of the same name collide)',
      });
      continue;
    }
    map.set(id, { ...entity, id });
  }

  if (repo.prompts.size === 0 && repo.features.size === 0) {
    diagnostics.push({
      code: 'empty-repository', severity: 'error',
      message: `no prompts or features found under ${root}`,
      hint: 'run "promptops init" to scaffold a repository, or pass --root pointing at one',
    });
  }
  return { value: repo, diagnostics };
}

function loadDocument<T>(root: string, file: string, kind: FileKind, maxBytes: number, diagnostics: Diagnostic[]): Entity<T> | undefined {
  const parsed = readYaml({ root, file, maxBytes });
  diagnostics.push(...parsed.diagnostics);
  if (parsed.diagnostics.length > 0 || parsed.value === undefined) return undefined;
  const schemaDiagnostics = validateSchema(kind, parsed.value, parsed.source);
  diagnostics.push(...schemaDiagnostics);
  return { id: '', file, source: parsed.source, data: parsed.value as T, valid: schemaDiagnostics.length === 0 };
}
