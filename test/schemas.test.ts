import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { DIFF_SCHEMA_VERSION } from '../src/core/diff/report.js';
import { SCHEMAS, schemaDocument } from '../src/core/schemas/index.js';
import { EXAMPLE_ROOT } from './helpers/repo.js';

type Kind = keyof typeof SCHEMAS;
type Schema = Record<string, unknown>;

const KINDS = Object.keys(SCHEMAS) as Kind[];
const committed = (kind: Kind): Schema => JSON.parse(readFileSync(join(EXAMPLE_ROOT, 'schemas', SCHEMAS[kind].file), 'utf8'));

/** Every `properties` entry reachable through properties, items, additionalProperties, patternProperties and oneOf, with its path. */
function properties(schema: unknown, path = '#'): [string, Schema][] {
  if (schema === null || typeof schema !== 'object') return [];
  const s = schema as Schema;
  const found: [string, Schema][] = [];
  for (const [name, child] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
    found.push([`${path}/properties/${name}`, child], ...properties(child, `${path}/properties/${name}`));
  }
  for (const [name, child] of Object.entries((s.patternProperties as Record<string, Schema> | undefined) ?? {})) {
    found.push(...properties(child, `${path}/patternProperties/${name}`));
  }
  for (const key of ['items', 'additionalProperties'] as const) found.push(...properties(s[key], `${path}/${key}`));
  for (const [i, branch] of ((s.oneOf as unknown[] | undefined) ?? []).entries()) found.push(...properties(branch, `${path}/oneOf/${i}`));
  return found;
}

describe('JSON Schemas', () => {
  it.each(KINDS)('schemas/ holds the generated %s schema (run "npm run schemas" after changing src/core/schemas)', (kind) => {
    expect(committed(kind)).toEqual(schemaDocument(kind));
  });

  it.each(KINDS)('every property of the %s schema has a description', (kind) => {
    const found = properties(schemaDocument(kind));
    expect(found.length).toBeGreaterThan(0);
    const undocumented = found.filter(([, s]) => typeof s.description !== 'string' || s.description.trim() === '').map(([p]) => p);
    expect(undocumented).toEqual([]);
  });

  it.each(KINDS)('the %s schema is draft 2020-12 and refuses unknown top-level keys', (kind) => {
    for (const document of [schemaDocument(kind), committed(kind)]) {
      expect(document.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(document.additionalProperties).toBe(false);
      expect(document.description).toEqual(expect.any(String));
    }
  });
});

/** Every schema node reachable through any keyword, with its path. */
function nodes(schema: unknown, path = '#'): [string, Schema][] {
  if (schema === null || typeof schema !== 'object') return [];
  const found: [string, Schema][] = Array.isArray(schema) ? [] : [[path, schema as Schema]];
  for (const [key, child] of Object.entries(schema)) found.push(...nodes(child, `${path}/${key}`));
  return found;
}

describe('map keys', () => {
  // A Record keyed by a pattern only lists the pattern under patternProperties: without
  // additionalProperties: false any other key passes with its value unchecked (issue 14).
  it.each(KINDS)('every map of the %s schema whose keys have a pattern refuses other keys', (kind) => {
    const maps = nodes(schemaDocument(kind)).filter(([, s]) => s.patternProperties !== undefined && s.properties === undefined);
    const open = maps.filter(([, s]) => !Object.keys(s.patternProperties as object).every((p) => p === '^(.*)$') && s.additionalProperties !== false).map(([p]) => p);
    expect(open).toEqual([]);
  });
});

describe('machine-read reports', () => {
  it.each(['diff-report', 'eval-results'] as const)('every property of the %s schema is snake_case', (kind) => {
    const names = properties(schemaDocument(kind)).map(([path]) => path);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((path) => !/^[a-z][a-z0-9_]*$/.test(path.slice(path.lastIndexOf('/') + 1)))).toEqual([]);
  });

  it('the diff report schema has the version the CLI writes and reads', () => {
    expect((schemaDocument('diff-report').properties as Record<string, Schema>).schema_version).toMatchObject({ const: DIFF_SCHEMA_VERSION });
  });
});

describe('modelines of the example repository', () => {
  /** The schema each file kind must point at. */
  const expectedSchema = (file: string): string => {
    if (file === 'promptops.config.yaml') return SCHEMAS.config.file;
    if (file === 'features/_models.yaml') return SCHEMAS.catalog.file;
    const kind = ({ prompts: 'prompt', features: 'feature', budgets: 'budget', experiments: 'experiment' } as const)[file.split('/')[0] as 'prompts'];
    return SCHEMAS[kind].file;
  };
  const files = globSync(['promptops.config.yaml', '{prompts,features,budgets,experiments}/**/*.{yaml,yml}'], { cwd: EXAMPLE_ROOT }).sort();

  it('finds the example YAML files', () => {
    expect(files).toContain('promptops.config.yaml');
    expect(files.filter((f) => f.startsWith('prompts/')).length).toBeGreaterThan(0);
  });

  it.each(files)('%s starts with a yaml-language-server modeline pointing at its schema', (file) => {
    const firstLine = readFileSync(join(EXAMPLE_ROOT, file), 'utf8').split('\n', 1)[0]!;
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(firstLine);
    expect(match, firstLine).not.toBeNull();
    const target = resolve(dirname(join(EXAMPLE_ROOT, file)), match![1]!);
    expect(relative(join(EXAMPLE_ROOT, 'schemas'), target).split(sep)).toEqual([expectedSchema(file)]);
    expect(existsSync(target)).toBe(true);
  });
});
