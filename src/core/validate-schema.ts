import * as ajvModule from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import type { FileKind } from './schemas/index.js';
import * as precompiled from './schemas/_validators.generated.js';
import { MODEL_REF_PATTERN, PROMPT_ID_PATTERN, SLUG_PATTERN, VARIABLE_NAME_PATTERN, ENV_VAR_PATTERN } from './schemas/_common.js';
import { quote } from './quote.js';
import { locate, type SourceFile } from './source.js';
import { compileUserPattern } from './user-regex.js';

// ajv and ajv-formats are CommonJS; their default export sits on `.default` under some loaders.
const Ajv2020 = ajvModule.default.default ?? ajvModule.default;
const addFormats = formatsModule.default.default ?? formatsModule.default;
type Ajv = InstanceType<typeof Ajv2020>;


const PRECOMPILED: Record<string, ValidateFunction> = precompiled as unknown as Record<string, ValidateFunction>;

/** Strict for our own schemas; `strict: false` for schemas users write (variables, structured output), which may use any keyword. */
export function createAjv({ strict = true, code }: { strict?: boolean; code?: { source: boolean; esm: boolean } } = {}): Ajv {
  // Not strict, ajv would log what it ignores (an unknown format) to the console; core never prints.
  // A user's `pattern`/`patternProperties` go through the same gate as every user regex (compile throws on a refused one).
  const regExp = strict ? undefined : { regExp: userRegExp };
  const instance = new Ajv2020({ allErrors: true, verbose: true, strict, strictRequired: false, discriminator: true, allowUnionTypes: true, ...(strict ? {} : { logger: false as const }), ...(code || regExp ? { code: { ...code, ...regExp } } : {}) });
  addFormats(instance, ['date', 'date-time', 'uri', 'email']);
  return instance;
}

const userRegExp = Object.assign(
  (source: string, flags: string) => {
    const compiled = compileUserPattern(source, flags);
    if (!compiled.ok) throw new Error(compiled.message);
    return compiled.regex;
  },
  { code: 'compileUserPattern' },
);

/** Validators of the file kinds, precompiled by ajv from the same schemas (scripts/write-schemas.ts); no compile at start-up. */
export const validatorFor = (kind: FileKind): ValidateFunction => PRECOMPILED[kind]!;

/** Validates a parsed document against its kind's JSON Schema; errors point at file:line:col. */
export function validateSchema(kind: FileKind, value: unknown, source: SourceFile | undefined): Diagnostic[] {
  const validate = validatorFor(kind);
  if (validate(value)) return [];
  return ajvDiagnostics(validate.errors ?? [], source);
}

const PATTERN_NAMES: Record<string, string> = {
  [SLUG_PATTERN]: 'a lowercase slug (a-z, 0-9, "-" and "_", e.g. "photo-tagging")',
  [PROMPT_ID_PATTERN]: 'a prompt id (lowercase slugs joined by "/", e.g. "chatbot/system")',
  [MODEL_REF_PATTERN]: 'a model reference "provider/model" (e.g. "openai/gpt-4.1-mini")',
  [VARIABLE_NAME_PATTERN]: 'an identifier (letters, digits and "_", not starting with a digit)',
  [ENV_VAR_PATTERN]: 'an environment variable name (A-Z, 0-9 and "_"), not a secret value',
};

export function ajvDiagnostics(errors: ErrorObject[], source: SourceFile | undefined, file = source?.file): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // Branch errors of a discriminated union are reported by ajv under the matching branch already;
  // the umbrella oneOf error adds nothing a user can act on.
  for (const error of errors) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    const path = pointerToPath(error.instancePath);
    const { message, hint, at, key } = describe(error, path);
    const location = locate(source, at, { key });
    const label = key ? at.slice(0, -1) : at;
    const where = label.length > 0 ? `${formatPath(label)}: ` : '';
    const text = where + message;
    const dedupe = `${location.line}:${location.col}:${text}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ code: 'schema', severity: 'error', file, ...location, path: at, message: text, ...(hint ? { hint } : {}) });
  }
  return out;
}

function describe(error: ErrorObject, path: (string | number)[]): { message: string; hint?: string; at: (string | number)[]; key?: boolean } {
  const p = error.params as Record<string, unknown>;
  const data = error.data;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const parent = error.parentSchema as { properties?: object; patternProperties?: object } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      const [keyPattern] = Object.keys(parent?.patternProperties ?? {});
      // A map keyed by ids (environments, models, variables, …): the key is not an unknown setting but an id of the wrong form.
      if (keyPattern !== undefined && allowed.length === 0) {
        const renamed = keySuggestion(name, keyPattern);
        return {
          message: `key ${JSON.stringify(name)} is not ${PATTERN_NAMES[keyPattern] ?? `matching /${keyPattern}/`}`,
          hint: renamed ? `rename it to "${renamed}"` : 'rename or remove it',
          at: [...path, name],
          key: true,
        };
      }
      return {
        message: `unknown key ${quote(name)}`,
        hint: didYouMean(name, allowed) ?? (allowed.length ? `allowed keys: ${allowed.join(', ')}` : 'remove it'),
        at: [...path, name],
        key: true,
      };
    }
    case 'propertyNames':
      return { message: `invalid key ${quote(String(p.propertyName))}`, at: [...path, String(p.propertyName)], key: true };
    case 'required':
      return { message: `missing required key "${String(p.missingProperty)}"`, hint: `add "${String(p.missingProperty)}:"`, at: path };
    case 'type':
      return { message: `must be ${article(String(p.type))}, got ${typeName(data)}`, at: path };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return {
        message: `${quote(data)} is not one of: ${allowed.join(', ')}`,
        hint: typeof data === 'string' ? didYouMean(data, allowed) : undefined,
        at: path,
      };
    }
    case 'const':
      return { message: `must be ${JSON.stringify(p.allowedValue)}`, at: path };
    case 'pattern': {
      const pattern = String(p.pattern);
      return { message: `${quote(data)} is not ${PATTERN_NAMES[pattern] ?? `matching /${pattern}/`}`, at: path };
    }
    case 'format':
      return { message: `${quote(data)} is not a valid ${p.format === 'date' ? 'date (YYYY-MM-DD)' : String(p.format)}`, at: path };
    case 'discriminator': {
      const tag = String(p.tag);
      const variants = ((error.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] } | undefined)?.oneOf ?? [])
        .map((v) => v.properties?.[tag]?.const)
        .filter((v): v is string => typeof v === 'string');
      const value = (data as Record<string, unknown> | null)?.[tag];
      return value === undefined
        ? { message: `missing required key "${tag}" (one of: ${variants.join(', ')})`, at: path }
        : {
            message: `${tag} ${quote(value)} is not one of: ${variants.join(', ')}`,
            hint: typeof value === 'string' ? didYouMean(value, variants) : undefined,
            at: [...path, tag],
          };
    }
    default:
      return { message: error.message ?? `fails ${error.keyword}`, at: path };
  }
}

/** A spelling of `name` that fits the key pattern (lowercased and dashed, or an identifier), if one of them does. */
function keySuggestion(name: string, pattern: string): string | undefined {
  const re = new RegExp(pattern, 'u');
  const dashed = name.toLowerCase().replace(/[^a-z0-9/._:]+/g, '-').replace(/-*\/-*/g, '/').replace(/^-+|-+$/g, '');
  const identifier = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^(?=\d)/, '_');
  return [dashed, dashed.replace(/[._:/]+/g, '-'), identifier].find((candidate) => candidate !== name && re.test(candidate));
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${quote(value)}`;
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `tests[0].assert[1].type` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : /^[A-Za-z_][\w-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');
}
