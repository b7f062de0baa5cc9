import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from './diagnostics.js';
import type { VariableSpec } from './schemas/prompt.js';
import { createAjv, formatPath, pointerToPath } from './validate-schema.js';

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

export const isRequired = (spec: VariableSpec): boolean => spec.required ?? spec.default === undefined;

/** The JSON Schema of a prompt's input: declared variables only, required ones required. */
export function variablesSchema(declared: Record<string, VariableSpec>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const { required: _required, default: _default, minLength, maxLength, ...schema } = spec;
    // The declaration uses minLength/maxLength for strings and arrays alike; JSON Schema names them items for arrays.
    const lengths = spec.type === 'array' ? { minItems: minLength, maxItems: maxLength } : { minLength, maxLength };
    properties[name] = { ...schema, ...Object.fromEntries(Object.entries(lengths).filter(([, v]) => v !== undefined)) };
  }
  return {
    type: 'object',
    properties,
    required: Object.entries(declared).filter(([, s]) => isRequired(s)).map(([n]) => n),
    additionalProperties: false,
  };
}

export interface CheckedVariables {
  /** Input with defaults applied and absent optional variables set to null (strict templates need every key). */
  value: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

/** Checks render input against the declared variables: missing required and undeclared ones are errors. */
export function checkVariables(declared: Record<string, VariableSpec> = {}, input: Record<string, unknown> = {}): CheckedVariables {
  let validate = compiled.get(declared);
  if (!validate) {
    ajv ??= createAjv({ strict: false });
    validate = ajv.compile(variablesSchema(declared)) as ValidateFunction;
    compiled.set(declared, validate);
  }
  const value: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) {
    value[name] = Object.hasOwn(input, name) ? input[name] : spec.default !== undefined ? structuredClone(spec.default) : null;
  }
  for (const name of Object.keys(input)) if (!Object.hasOwn(declared, name)) value[name] = input[name];
  const candidate = Object.fromEntries(Object.entries(value).filter(([name]) => Object.hasOwn(input, name) || declared[name]?.default !== undefined));
  if (validate(candidate)) return { value, diagnostics: [] };
  return { value, diagnostics: (validate.errors ?? []).map((e) => variableDiagnostic(e, declared)) };
}

function variableDiagnostic(error: ErrorObject, declared: Record<string, VariableSpec>): Diagnostic {
  const path = pointerToPath(error.instancePath);
  const p = error.params as Record<string, unknown>;
  const base = { code: 'invalid-variables', severity: 'error' as const, path };
  if (error.keyword === 'required') {
    const name = String(p.missingProperty);
    const description = declared[name]?.description;
    return { ...base, message: `missing required variable "${name}"${description ? ` (${description})` : ''}`, hint: `pass "${name}" in --vars` };
  }
  if (error.keyword === 'additionalProperties') {
    const name = String(p.additionalProperty);
    return { ...base, message: `variable "${name}" is not declared by the prompt`, hint: `declared variables: ${Object.keys(declared).join(', ') || 'none'}` };
  }
  return { ...base, message: `variable ${formatPath(path)} ${error.message ?? 'is invalid'}${error.keyword === 'enum' ? `: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` : ''}` };
}
