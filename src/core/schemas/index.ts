import type { TSchema } from '@sinclair/typebox';
import { BudgetFile } from './budget.js';
import { CatalogFile } from './catalog.js';
import { RepoConfig } from './config.js';
import { ExperimentFile } from './experiment.js';
import { FeatureFile } from './feature.js';
import { PromptFile } from './prompt.js';
import { UsageRecord } from './usage-log.js';
import { EvalResultsFile } from './eval-results.js';
import { DiffReportFile } from './diff-report.js';

export type FileKind = 'prompt' | 'feature' | 'catalog' | 'budget' | 'experiment' | 'config';

/** The single source of truth for every file kind; `schemas/*.schema.json` is generated from it. */
export const SCHEMAS: Record<FileKind | 'usage-log' | 'eval-results' | 'diff-report', { schema: TSchema; file: string; title: string }> = {
  prompt: { schema: PromptFile, file: 'prompt.schema.json', title: 'promptops prompt' },
  feature: { schema: FeatureFile, file: 'feature.schema.json', title: 'promptops feature' },
  catalog: { schema: CatalogFile, file: 'models.schema.json', title: 'promptops model catalog' },
  budget: { schema: BudgetFile, file: 'budget.schema.json', title: 'promptops budget' },
  experiment: { schema: ExperimentFile, file: 'experiment.schema.json', title: 'promptops experiment' },
  config: { schema: RepoConfig, file: 'config.schema.json', title: 'promptops repository config' },
  'usage-log': { schema: UsageRecord, file: 'usage-log.schema.json', title: 'promptops usage log record' },
  'eval-results': { schema: EvalResultsFile, file: 'eval-results.schema.json', title: 'promptops eval results' },
  'diff-report': { schema: DiffReportFile, file: 'diff-report.schema.json', title: 'promptops diff report' },
};

const SCHEMA_BASE = 'https://promptops.dev/schemas/';

/** The JSON Schema document written to `schemas/`, with draft 2020-12 `$schema` and a stable `$id`. */
export function schemaDocument(kind: keyof typeof SCHEMAS): Record<string, unknown> {
  const { schema, file, title } = SCHEMAS[kind];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_BASE + file,
    title,
    ...JSON.parse(JSON.stringify(schema)),
  };
}

export type { BudgetFile, CatalogFile, ExperimentFile, FeatureFile, PromptFile, RepoConfig, UsageRecord };
