import { lstatSync, realpathSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import { CATALOG_FILE, CONFIG_FILE, DEFAULT_CONFIG, PARTIALS_DIR } from './defaults.js';
import type { Diagnostic, Result } from './diagnostics.js';
import { mergeCatalog, type Catalog } from './catalog/catalog.js';
import { PROMPT_ID_PATTERN, SLUG_PATTERN } from './schemas/_common.js';
import type { BudgetFile, CatalogFile, ExperimentFile, FeatureFile, FileKind, PromptFile, RepoConfig } from './schemas/index.js';
import { parseFiles, sourceOf, type FileJob } from './parse-files.js';
import { linkDiagnostic, problemOf } from './repository-path.js';
import { DEFAULT_MAX_FILE_BYTES, readText, type SourceFile } from './source.js';

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
  /**
   * The text of a file as it was loaded (config, catalog, partials, entity files): code frames are
   * drawn from what was checked, never by re-reading a path that may hold other content (another ref).
   */
  text: (file: string) => string | undefined;
}

export interface LoadOptions {
  root: string;
}

const YAML_EXT = /\.ya?ml$/;
const idOf = (file: string, dir: string) => file.slice(dir.length + 1).replace(YAML_EXT, '');

/** Loads and schema-validates every file of a config repository. Never throws on bad content. */
export function loadRepository({ root }: LoadOptions): Result<Repository> {
  const diagnostics: Diagnostic[] = [];
  // lstat, not exists: a dangling link is reported by the read, not mistaken for a missing config.
  const [configFile] = lstatSync(`${root}/${CONFIG_FILE}`, { throwIfNoEntry: false }) ? parseFiles(root, [{ file: CONFIG_FILE, kind: 'config' }], DEFAULT_MAX_FILE_BYTES) : [];
  if (configFile) diagnostics.push(...configFile.diagnostics);
  const config = configFile?.valid ? (configFile.value as RepoConfig) : DEFAULT_CONFIG;
  const maxBytes = config.limits?.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES;

  const { files, refusedDirs } = listFiles(root);
  for (const [dir, problem] of refusedDirs) diagnostics.push(linkDiagnostic(dir, problem));
  const partials = new Map<string, PartialFile>();
  const jobs: (FileJob & { id: string })[] = [];
  let catalogJob: FileJob | undefined;
  for (const file of files) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    if (file.startsWith(`${PARTIALS_DIR}/`) && file.endsWith('.hbs')) {
      const { text, diagnostics: d } = readText({ root, file, maxBytes });
      diagnostics.push(...d);
      const name = file.slice(PARTIALS_DIR.length + 1, -'.hbs'.length);
      if (text !== undefined) partials.set(name, { name, file, text });
      continue;
    }
    if (file === CATALOG_FILE) catalogJob = { file, kind: 'catalog' };
    if (base.startsWith('_') || file.endsWith('.hbs') || file.includes('/_')) continue;
    const dir = file.slice(0, file.indexOf('/')) as 'prompts' | 'features' | 'budgets' | 'experiments';
    const kind = DIR_KINDS[dir];
    const id = idOf(file, dir);
    if (!new RegExp(kind === 'prompt' ? PROMPT_ID_PATTERN : SLUG_PATTERN).test(id)) {
      diagnostics.push({
        code: 'invalid-id', severity: 'error', file, line: 1, col: 1,
        message: `"${id}" is not a valid ${kind} id`,
        hint: 'rename the file: ids are lowercase slugs (a-z, 0-9, "-" and "_")',
      });
      continue;
    }
    jobs.push({ file, kind, id });
  }

  const parsed = parseFiles(root, catalogJob ? [catalogJob, ...jobs] : jobs, maxBytes);
  const texts = new Map<string, string>();
  for (const p of [configFile, ...parsed]) if (p?.text !== undefined) texts.set(p.file, p.text);
  for (const p of partials.values()) texts.set(p.file, p.text);
  const catalogFile = catalogJob ? parsed.shift() : undefined;
  if (catalogFile) diagnostics.push(...catalogFile.diagnostics);
  const repo: Repository = {
    root,
    config,
    configSource: configFile && sourceOf(configFile),
    catalog: mergeCatalog(catalogFile?.valid ? (catalogFile.value as CatalogFile) : undefined),
    catalogSource: catalogFile && sourceOf(catalogFile),
    prompts: new Map(),
    partials,
    features: new Map(),
    budgets: new Map(),
    experiments: new Map(),
    text: (file) => texts.get(file),
  };
  const maps = { prompt: repo.prompts, feature: repo.features, budget: repo.budgets, experiment: repo.experiments } as Record<FileKind, Map<string, Entity<unknown>>>;

  for (const [i, result] of parsed.entries()) {
    const { id, kind, file } = jobs[i]!;
    diagnostics.push(...result.diagnostics);
    const map = maps[kind];
    const existing = map.get(id);
    if (existing) {
      diagnostics.push({
        code: 'duplicate-id', severity: 'error', file, line: 1, col: 1,
        message: `${kind} id "${id}" is also defined by ${existing.file}`,
        hint: 'keep one file per id (.yaml and .yml of the same name collide)',
      });
      continue;
    }
    map.set(id, {
      id,
      file,
      // A file that does not parse still exists: references to it resolve, its content is not checked.
      data: result.value ?? {},
      valid: result.valid,
      // Positions are rebuilt only when a check has something to report about this file.
      get source() {
        return sourceOf(result);
      },
    });
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

/**
 * The content files under `root`. Links to files are listed as they are (the read refuses the ones
 * that leave the repository; dangling ones are listed so the read reports them instead of the glob
 * dropping them); a link to a directory outside the repository or into `.git` is not walked — a
 * link to `/` would otherwise walk the whole machine — and is returned in `refusedDirs`.
 */
function listFiles(root: string): { files: string[]; refusedDirs: Map<string, 'outside' | 'git'> } {
  const realRoot = realpathSync.native(root);
  const refusedDirs = new Map<string, 'outside' | 'git'>();
  const files = globSync(['prompts/**/*.{yaml,yml,hbs}', 'features/*.{yaml,yml}', 'budgets/*.{yaml,yml}', 'experiments/*.{yaml,yml}'], {
    cwd: root,
    dot: false,
    fs: {
      // The walker resolves every link it meets with realpathSync, then stats the result.
      realpathSync: ((path: string) => {
        let real: string;
        try {
          real = realpathSync.native(path);
        } catch {
          return path;
        }
        const problem = problemOf(realRoot, real);
        if (problem && statSync(real).isDirectory()) {
          refusedDirs.set(relative(root, resolve(root, path)).split('\\').join('/'), problem.problem as 'outside' | 'git');
          throw new Error('refused directory link');
        }
        return real;
      }) as typeof realpathSync,
      // A link that does not resolve (dangling, a loop) is listed as itself, so the read reports it.
      statSync: ((path: string) => {
        try {
          return statSync(path);
        } catch {
          return lstatSync(path);
        }
      }) as typeof statSync,
    },
  }).sort();
  return { files, refusedDirs };
}

const DIR_KINDS = { prompts: 'prompt', features: 'feature', budgets: 'budget', experiments: 'experiment' } as const;
