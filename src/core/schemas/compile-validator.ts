import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createAjv } from '../validate-schema.js';
import { SCHEMAS, schemaDocument } from './index.js';

/**
 * A validator of any schema kind, compiled on the spot: for the schemas of what promptops writes
 * (usage-log, eval-results, diff-report), used by consumers and tests. Loading a repository uses
 * the precompiled file-kind validators instead (`validatorFor`).
 */
export function compileValidator(kind: keyof typeof SCHEMAS): ValidateFunction {
  return createAjv().compile(schemaDocument(kind));
}
