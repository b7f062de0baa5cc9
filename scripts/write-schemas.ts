// Regenerates, from src/core/schemas (the single source of truth):
//  - schemas/*.schema.json, the JSON Schemas editors and users read;
//  - src/core/schemas/_validators.generated.js, the same schemas precompiled by ajv (standalone),
//    so the CLI does not compile schemas at start-up.
// A test fails when either drifts from the source.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaFiles } from '../src/core/schemas/generate.js';

const root = join(import.meta.dirname, '..');
for (const [path, content] of Object.entries(generateSchemaFiles())) {
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
