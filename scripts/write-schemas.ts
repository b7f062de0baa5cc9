// Regenerates schemas/*.schema.json from src/core/schemas (the single source of truth).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS, schemaDocument } from '../src/core/schemas/index.js';

const root = join(import.meta.dirname, '..');
for (const kind of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
  const path = join(root, 'schemas', SCHEMAS[kind].file);
  writeFileSync(path, JSON.stringify(schemaDocument(kind), null, 2) + '\n');
  console.log(`wrote ${path}`);
}
