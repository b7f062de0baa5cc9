import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import type { VariableSpec } from './schemas/prompt.js';
import { compileUserPattern, type CompiledPattern } from './user-regex.js';
import { compileUserSchema } from './user-schema.js';
import { describeValue, TYPE_CHECKS } from './value-types.js';
import { quote } from './quote.js';

export const isRequired = (spec: VariableSpec): boolean => spec.required ?? spec.default === undefined;

export interface CheckedVariables {
  /** Input with defaults applied and absent optional variables set to null (strict templates need every key). */
  value: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

/**
 * Checks render input against the declared variables: missing required and undeclared ones are errors.
 * The declaration subset is checked directly (compiling a validator per prompt would dominate validation
 * of large repositories); nested `items`/`properties` schemas go to ajv, compiled once per distinct schema.
 */
export function checkVariables(declared: Record<string, VariableSpec> = {}, input: Record<string, unknown> = {}): CheckedVariables {
  const diagnostics: Diagnostic[] = [];
  const value: Record<string, unknown> = {};
  const fail = (name: string, message: string, hint?: string) =>
    diagnostics.push({ code: 'invalid-variables', severity: 'error', path: [name], message, ...(hint ? { hint } : {}) });

  for (const [name, spec] of Object.entries(declared)) {
    if (Object.hasOwn(input, name)) {
      value[name] = input[name];
      const problem = checkValue(spec, input[name]);
      if (problem) fail(name, `variable "${name}" ${problem}`);
    } else if (spec.default !== undefined) {
      value[name] = structuredClone(spec.default);
    } else {
      value[name] = null;
      if (isRequired(spec)) fail(name, `missing required variable "${name}"${spec.description ? ` (${spec.description})` : ''}`, `pass "${name}" in --vars`);
    }
  }
  for (const name of Object.keys(input)) {
    if (Object.hasOwn(declared, name)) continue;
    fail(name, `variable "${name}" is not declared by the prompt`, didYouMean(name, Object.keys(declared)) ?? `declared variables: ${Object.keys(declared).join(', ') || 'none'}`);
  }
  return { value, diagnostics };
}

/** What the declarations say about the value at a variable path: its declared properties, a type without fields, or nothing. */
export type ValueShape = { kind: 'object'; properties: ReadonlySet<string> } | { kind: 'scalar'; type: string } | { kind: 'unknown' };

const isSchema = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Follows a path from the declared variables through nested `items` (`'[]'`) and `properties`, e.g.
 * `['comments', '[]']` is an item of `comments`. Anything the declarations leave open is `unknown`.
 */
export function shapeAt(declared: Record<string, VariableSpec>, path: readonly string[]): ValueShape {
  const [head, ...rest] = path;
  let schema: unknown = head !== undefined && Object.hasOwn(declared, head) ? declared[head] : undefined;
  for (const segment of rest) {
    if (!isSchema(schema)) break;
    if (segment === '[]') schema = schema.items;
    else schema = isSchema(schema.properties) && Object.hasOwn(schema.properties, segment) ? schema.properties[segment] : undefined;
  }
  if (!isSchema(schema)) return { kind: 'unknown' };
  if (isSchema(schema.properties) && (schema.type === undefined || schema.type === 'object')) return { kind: 'object', properties: new Set(Object.keys(schema.properties)) };
  if (typeof schema.type === 'string' && schema.type !== 'object') return { kind: 'scalar', type: schema.type };
  return { kind: 'unknown' };
}

/** A message saying what is wrong with `v`, or undefined when it satisfies the declaration. */
function checkValue(spec: VariableSpec, v: unknown): string | undefined {
  if (!TYPE_CHECKS[spec.type]!(v)) return `must be ${spec.type === 'array' || spec.type === 'object' || spec.type === 'integer' ? 'an' : 'a'} ${spec.type}, got ${describeValue(v)}`;
  if (spec.enum && !spec.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) return `must be one of: ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${quote(v)}`;
  if (typeof v === 'string' || Array.isArray(v)) {
    // JSON Schema counts string length in code points.
    const length = typeof v === 'string' ? [...v].length : v.length;
    const unit = typeof v === 'string' ? 'characters' : 'items';
    if (spec.minLength !== undefined && length < spec.minLength) return `must have at least ${spec.minLength} ${unit}, got ${length}`;
    if (spec.maxLength !== undefined && length > spec.maxLength) return `must have at most ${spec.maxLength} ${unit}, got ${length}`;
  }
  if (typeof v === 'string' && spec.pattern !== undefined) {
    const compiled = pattern(spec.pattern);
    // render does not run validate first; an unusable pattern is the prompt's fault, never a reason to hang or crash.
    if (!compiled.ok) return `cannot be checked: its pattern is refused (${compiled.message})`;
    if (!compiled.regex.test(v)) return `must match /${spec.pattern}/`;
  }
  if (typeof v === 'number') {
    if (spec.minimum !== undefined && v < spec.minimum) return `must be >= ${spec.minimum}, got ${v}`;
    if (spec.maximum !== undefined && v > spec.maximum) return `must be <= ${spec.maximum}, got ${v}`;
  }
  if (spec.items !== undefined || spec.properties !== undefined) {
    const validate = nested(spec.type === 'array' ? { type: 'array', items: spec.items } : { type: 'object', properties: spec.properties });
    if (typeof validate === 'string') return `cannot be checked: its schema is refused (${validate})`;
    if (!validate(v)) {
      const e = validate.errors?.[0];
      return `${e?.instancePath ? `at ${e.instancePath} ` : ''}${e?.message ?? 'is invalid'}`;
    }
  }
  return undefined;
}

const patterns = new Map<string, CompiledPattern>();
/** validate reports an unusable pattern (invalid-pattern) at the prompt; checked values meet it again here. */
const pattern = (source: string): CompiledPattern => {
  let compiled = patterns.get(source);
  if (!compiled) patterns.set(source, (compiled = compileUserPattern(source)));
  return compiled;
};

/** The validator of a nested schema, or why it cannot be compiled (validate reports it as invalid-schema). */
function nested(schema: Record<string, unknown>): ValidateFunction | string {
  const compiled = compileUserSchema(schema);
  return compiled.ok ? compiled.validate : compiled.message;
}
