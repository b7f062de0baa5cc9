import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { compileUserPattern } from './user-regex.js';
import { createAjv, formatPath, pointerToPath } from './validate-schema.js';

/**
 * The one place a JSON Schema written by a user (a variable's nested `items`/`properties`, a
 * `response_format` schema, a `json-schema` assertion's value) is compiled: validate uses it to
 * report a broken schema at its place in the file, render and eval to run it, so a schema validate
 * accepts is one they can compile. `path` locates the problem inside the schema.
 */
export type CompiledSchema = { ok: true; validate: ValidateFunction } | SchemaProblem;
/** `key`: the problem is the key at `path` itself (a `patternProperties` regex), not its value. */
export type SchemaProblem = { ok: false; message: string; path: (string | number)[]; key?: boolean };

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new Map<string, CompiledSchema>();

export function compileUserSchema(schema: unknown): CompiledSchema {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { ok: false, message: 'a JSON Schema must be a mapping', path: [] };
  const key = JSON.stringify(schema);
  let result = compiled.get(key);
  if (!result) compiled.set(key, (result = compile(schema)));
  return result;
}

function compile(schema: object): CompiledSchema {
  // Every regex in the schema goes through the same helper as the other user patterns (same engine
  // and flags as ajv's `pattern`, and the same refusals), so the message can also say where it is.
  const badPattern = findBadPattern(schema, []);
  if (badPattern) return badPattern;
  // Users write these schemas, so any keyword is allowed (strict: false); its meta-schema check is kept.
  ajv ??= createAjv({ strict: false });
  try {
    return { ok: true, validate: ajv.compile(schema) };
  } catch (error) {
    const first = (ajv.errors ?? [])[0];
    if (first && (error as Error).message.startsWith('schema is invalid')) return { ok: false, ...describe(first) };
    return { ok: false, message: `invalid JSON Schema: ${(error as Error).message}`, path: [] };
  } finally {
    // compile registers the schema (and its $id) on the shared instance, even when it fails: two
    // schemas with the same $id, or the same broken schema twice, would then meet a stale entry.
    ajv.removeSchema(schema);
    ajv.errors = null;
  }
}

function describe(error: ErrorObject): { message: string; path: (string | number)[] } {
  const path = pointerToPath(error.instancePath);
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const where = path.length ? `${formatPath(path)}: ` : '';
  return { message: `invalid JSON Schema: ${where}${error.message ?? `fails ${error.keyword}`}${allowed ? ` (${allowed.map(String).join(', ')})` : ''}`, path };
}

/** Keywords whose values are data, not schemas: a "pattern" key inside them is no regex. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

function findBadPattern(node: unknown, path: (string | number)[]): SchemaProblem | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
  for (const [k, v] of entries) {
    if (k === 'pattern' && typeof v === 'string') {
      const re = compileUserPattern(v);
      if (!re.ok) return { ok: false, message: `${formatPath([...path, k])}: ${re.message}`, path: [...path, k] };
    }
    if (k === 'patternProperties' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const source of Object.keys(v)) {
        const re = compileUserPattern(source);
        if (!re.ok) return { ok: false, message: `${formatPath([...path, k])}: ${re.message}`, path: [...path, k, source], key: true };
      }
    }
    if (typeof k === 'string' && DATA_KEYWORDS.has(k)) continue;
    const found = findBadPattern(v, [...path, k]);
    if (found) return found;
  }
  return undefined;
}
