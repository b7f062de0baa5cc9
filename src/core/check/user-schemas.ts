import type { Entity } from '../repository.js';
import type { ModelParams } from '../schemas/_common.js';
import type { PromptFile } from '../schemas/prompt.js';
import { compileUserPattern } from '../user-regex.js';
import { compileUserSchema } from '../user-schema.js';
import { report, type CheckContext } from './_context.js';

/**
 * The regexes and JSON Schemas a prompt's author wrote are compiled here, with the helpers render and
 * eval use, so a broken one is a located error now instead of a crash once a value meets it.
 */
export function checkPromptUserSchemas(ctx: CheckContext, prompt: Entity<PromptFile>): void {
  for (const [name, spec] of Object.entries(prompt.data.variables ?? {})) {
    if (spec.pattern !== undefined) {
      const compiled = compileUserPattern(spec.pattern);
      // A pattern refused as possibly slow carries its fix in the message; the hint is for syntax errors.
      const hint = compiled.ok || !compiled.message.startsWith('invalid regular expression') ? undefined : 'write a JavaScript regular expression (Unicode mode), without the surrounding slashes';
      if (!compiled.ok) report(ctx, prompt, ['variables', name, 'pattern'], { code: 'invalid-pattern', message: `variable "${name}": ${compiled.message}`, hint });
    }
    // The nested schema exactly as render checks a value against it (src/core/variables.ts).
    for (const keyword of ['items', 'properties'] as const) {
      if (spec[keyword] === undefined) continue;
      const compiled = compileUserSchema({ [keyword]: spec[keyword] });
      if (!compiled.ok) report(ctx, prompt, ['variables', name, ...compiled.path], { code: 'invalid-schema', key: compiled.key, message: `variable "${name}": ${compiled.message}`, hint: SCHEMA_HINT });
    }
  }
  checkParamsSchema(ctx, prompt, prompt.data.model, ['model']);
}

/** A `response_format` JSON Schema, wherever model parameters are written (prompt, feature environment, experiment variant). */
export function checkParamsSchema(ctx: CheckContext, entity: Pick<Entity<unknown>, 'file' | 'source'>, params: ModelParams | undefined, at: (string | number)[]): void {
  const schema = params?.response_format?.schema;
  if (schema === undefined) return;
  const compiled = compileUserSchema(schema);
  if (!compiled.ok) report(ctx, entity, [...at, 'response_format', 'schema', ...compiled.path], { code: 'invalid-schema', key: compiled.key, message: `response_format: ${compiled.message}`, hint: SCHEMA_HINT });
}

const SCHEMA_HINT = 'fix the JSON Schema (draft 2020-12) at this place';
