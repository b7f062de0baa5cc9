import type { Diagnostic } from '../core/diagnostics.js';
import { didYouMean } from '../core/diagnostics.js';
import type { VariableSpec } from '../core/schemas/prompt.js';
import { describeValue, TYPE_CHECKS } from '../core/value-types.js';
import { quote } from '../core/quote.js';

/** Render input that does not match the prompt's declared variables; every problem is in `issues`. */
export class VariableError extends Error {
  constructor(
    readonly promptId: string,
    readonly issues: Diagnostic[],
  ) {
    super(`invalid variables for prompt "${promptId}": ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'VariableError';
  }
}

export type VariableChecker = (input: Record<string, unknown> | undefined) => Record<string, unknown>;

/** A check compiled once: the problem with `v` (message and JSON pointer below the variable), or undefined. */
type Check = (v: unknown) => Problem | undefined;
interface Problem {
  message: string;
  pointer: string;
}

interface Declared {
  name: string;
  spec: VariableSpec;
  required: boolean;
  /** The declared default, when there is one. */
  fallback?: { value: unknown };
  check: Check;
}

/**
 * Builds the input check of one prompt, the same rules as the compiler's `checkVariables`
 * (src/core/variables.ts): required, type, enum, lengths in code points, pattern, bounds, defaults
 * applied, absent optional variables set to null (strict templates need every key), undeclared
 * variables rejected. That one uses ajv for nested `items`/`properties`; the runtime must stay small,
 * so nested schemas are compiled by `schemaCheck` below (the common keywords only). Everything is
 * compiled once per prompt and revision: a render checks its input in well under a microsecond.
 */
export function variableChecker(promptId: string, variables: Record<string, VariableSpec>): VariableChecker {
  const declared: Declared[] = Object.entries(variables).map(([name, spec]) => ({
    name,
    spec,
    required: spec.required ?? spec.default === undefined,
    // The bundle is deep-frozen and templates only read their context, so defaults are shared, not cloned.
    fallback: spec.default === undefined ? undefined : { value: spec.default },
    check: variableCheck(spec),
  }));
  const names = Object.keys(variables);

  return (input = {}) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new VariableError(promptId, [issue(undefined, `variables must be an object, got ${describeValue(input)}`)]);
    }
    let issues: Diagnostic[] | undefined;
    let given = 0;
    const value: Record<string, unknown> = {};
    for (const d of declared) {
      if (Object.hasOwn(input, d.name)) {
        given++;
        const v = input[d.name];
        value[d.name] = v;
        const problem = d.check(v);
        if (problem) (issues ??= []).push(issue(d.name, `variable "${d.name}" ${problem.pointer ? `at ${problem.pointer} ` : ''}${problem.message}`));
      } else if (d.fallback) {
        value[d.name] = d.fallback.value;
      } else {
        value[d.name] = null;
        if (d.required) (issues ??= []).push(issue(d.name, `missing required variable "${d.name}"${d.spec.description ? ` (${d.spec.description})` : ''}`));
      }
    }
    if (countKeys(input) !== given) {
      for (const name of Object.keys(input)) {
        if (Object.hasOwn(variables, name)) continue;
        (issues ??= []).push(issue(name, `variable "${name}" is not declared by the prompt`, didYouMean(name, names) ?? `declared variables: ${names.join(', ') || 'none'}`));
      }
    }
    if (issues) throw new VariableError(promptId, issues);
    return value;
  };
}

/** Own enumerable keys, counted without allocating an array. */
function countKeys(object: object): number {
  let n = 0;
  for (const key in object) if (Object.hasOwn(object, key)) n++;
  return n;
}

const issue = (name: string | undefined, message: string, hint?: string): Diagnostic => ({
  code: 'invalid-variables',
  severity: 'error',
  ...(name !== undefined ? { path: [name] } : {}),
  message,
  ...(hint ? { hint } : {}),
});



const sameValue = (a: unknown, b: unknown) => a === b || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));

/** Length in code points (JSON Schema counts those) without allocating: a surrogate pair counts once. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Membership in an enum: a Set lookup when every allowed value is a primitive. */
function enumTest(allowed: readonly unknown[]): (v: unknown) => boolean {
  if (allowed.some((e) => typeof e === 'object' && e !== null)) return (v) => allowed.some((e) => sameValue(e, v));
  const set = new Set(allowed);
  return (v) => set.has(v);
}

/**
 * The length of `s` in code points when it is outside [min, max], else undefined. A string of n
 * UTF-16 units has between n/2 and n code points, so most strings pass without being counted.
 */
function lengthOutside(s: string, min: number | undefined, max: number | undefined): number | undefined {
  if ((max === undefined || s.length <= max) && (min === undefined || s.length >>> 1 >= min)) return undefined;
  const length = codePoints(s);
  return (min !== undefined && length < min) || (max !== undefined && length > max) ? length : undefined;
}

/** Runs checks in order; one check needs no loop. */
const all = (checks: Check[]): Check =>
  checks.length === 1
    ? checks[0]!
    : (v) => {
        for (const check of checks) {
          const problem = check(v);
          if (problem) return problem;
        }
        return undefined;
      };

const problem = (message: string): Problem => ({ message, pointer: '' });

/** The check of one declared variable, with the compiler's messages. */
function variableCheck(spec: VariableSpec): Check {
  const isType = TYPE_CHECKS[spec.type]!;
  const checks: Check[] = [(v) => (isType(v) ? undefined : problem(`must be ${/^[aeiou]/.test(spec.type) ? 'an' : 'a'} ${spec.type}, got ${describeValue(v)}`))];
  const allowed = spec.enum;
  if (allowed) {
    const isAllowed = enumTest(allowed);
    checks.push((v) => (isAllowed(v) ? undefined : problem(`must be one of: ${allowed.map((e) => JSON.stringify(e)).join(', ')}, got ${quote(v)}`)));
  }
  const { minLength, maxLength } = spec;
  if (minLength !== undefined || maxLength !== undefined) {
    checks.push((v) => {
      if (typeof v !== 'string' && !Array.isArray(v)) return undefined;
      const length = typeof v === 'string' ? lengthOutside(v, minLength, maxLength) : v.length;
      if (length === undefined) return undefined;
      const unit = typeof v === 'string' ? 'characters' : 'items';
      if (minLength !== undefined && length < minLength) return problem(`must have at least ${minLength} ${unit}, got ${length}`);
      if (maxLength !== undefined && length > maxLength) return problem(`must have at most ${maxLength} ${unit}, got ${length}`);
      return undefined;
    });
  }
  if (spec.pattern !== undefined) {
    const re = new RegExp(spec.pattern, 'u');
    checks.push((v) => (typeof v !== 'string' || re.test(v) ? undefined : problem(`must match /${spec.pattern}/`)));
  }
  const { minimum, maximum } = spec;
  if (minimum !== undefined || maximum !== undefined) {
    checks.push((v) => {
      if (typeof v !== 'number') return undefined;
      if (minimum !== undefined && v < minimum) return problem(`must be >= ${minimum}, got ${v}`);
      if (maximum !== undefined && v > maximum) return problem(`must be <= ${maximum}, got ${v}`);
      return undefined;
    });
  }
  if (spec.items !== undefined || spec.properties !== undefined) {
    checks.push(schemaCheck(spec.type === 'array' ? { type: 'array', items: spec.items } : { type: 'object', properties: spec.properties }));
  }
  return all(checks);
}

type Schema = Record<string, unknown>;
const isSchema = (s: unknown): s is Schema => s !== null && typeof s === 'object' && !Array.isArray(s);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const escapePointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');
const below = (segment: string | number, found: Problem): Problem => ({ message: found.message, pointer: `/${segment}${found.pointer}` });

/**
 * Compiles the JSON Schema keywords prompt variables use for nested values: type, enum, const,
 * properties, required, additionalProperties, items, min/maxItems, min/maxLength, pattern,
 * minimum/maximum and their exclusive forms, with ajv's wording. Other keywords are not enforced at
 * run time (`promptops validate` and the compiler check them with ajv).
 */
function schemaCheck(schema: Schema): Check {
  const checks: Check[] = [];
  if (schema.type !== undefined) {
    const types = ([] as unknown[]).concat(schema.type).map(String);
    const tests = types.map((t) => TYPE_CHECKS[t] ?? (() => true));
    checks.push((v) => (tests.some((test) => test(v)) ? undefined : problem(`must be ${types.join(',')}`)));
  }
  if (Array.isArray(schema.enum)) {
    const isAllowed = enumTest(schema.enum as unknown[]);
    checks.push((v) => (isAllowed(v) ? undefined : problem('must be equal to one of the allowed values')));
  }
  if ('const' in schema) checks.push((v) => (sameValue(schema.const, v) ? undefined : problem('must be equal to constant')));

  const [minLength, maxLength, pattern] = [num(schema.minLength), num(schema.maxLength), typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined];
  if (minLength !== undefined || maxLength !== undefined || pattern) {
    checks.push((v) => {
      if (typeof v !== 'string') return undefined;
      const length = lengthOutside(v, minLength, maxLength);
      if (length !== undefined && minLength !== undefined && length < minLength) return problem(`must NOT have fewer than ${minLength} characters`);
      if (length !== undefined && maxLength !== undefined && length > maxLength) return problem(`must NOT have more than ${maxLength} characters`);
      if (pattern && !pattern.test(v)) return problem(`must match pattern "${schema.pattern}"`);
      return undefined;
    });
  }
  const [minimum, maximum, exclusiveMinimum, exclusiveMaximum] = [num(schema.minimum), num(schema.maximum), num(schema.exclusiveMinimum), num(schema.exclusiveMaximum)];
  if (minimum !== undefined || maximum !== undefined || exclusiveMinimum !== undefined || exclusiveMaximum !== undefined) {
    checks.push((v) => {
      if (typeof v !== 'number') return undefined;
      if (minimum !== undefined && v < minimum) return problem(`must be >= ${minimum}`);
      if (maximum !== undefined && v > maximum) return problem(`must be <= ${maximum}`);
      if (exclusiveMinimum !== undefined && v <= exclusiveMinimum) return problem(`must be > ${exclusiveMinimum}`);
      if (exclusiveMaximum !== undefined && v >= exclusiveMaximum) return problem(`must be < ${exclusiveMaximum}`);
      return undefined;
    });
  }

  const [minItems, maxItems] = [num(schema.minItems), num(schema.maxItems)];
  const items = isSchema(schema.items) ? schemaCheck(schema.items) : undefined;
  if (minItems !== undefined || maxItems !== undefined || items) {
    checks.push((v) => {
      if (!Array.isArray(v)) return undefined;
      if (minItems !== undefined && v.length < minItems) return problem(`must NOT have fewer than ${minItems} items`);
      if (maxItems !== undefined && v.length > maxItems) return problem(`must NOT have more than ${maxItems} items`);
      if (items) {
        for (let i = 0; i < v.length; i++) {
          const found = items(v[i]);
          if (found) return below(i, found);
        }
      }
      return undefined;
    });
  }

  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const properties = new Map(Object.entries(isSchema(schema.properties) ? schema.properties : {}).filter(([, s]) => isSchema(s)).map(([name, s]) => [name, schemaCheck(s as Schema)]));
  const additional = schema.additionalProperties === false ? false : isSchema(schema.additionalProperties) ? schemaCheck(schema.additionalProperties) : undefined;
  if (required.length || properties.size || additional !== undefined) {
    checks.push((v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      const object = v as Record<string, unknown>;
      for (const name of required) if (!Object.hasOwn(object, name)) return problem(`must have required property '${name}'`);
      for (const name in object) {
        if (!Object.hasOwn(object, name)) continue;
        const check = properties.get(name) ?? additional;
        if (check === false) return problem(`must NOT have additional properties ('${name}')`);
        const found = check?.(object[name]);
        if (found) return below(escapePointer(name), found);
      }
      return undefined;
    });
  }
  return checks.length ? all(checks) : () => undefined;
}
