import Handlebars from 'handlebars';
import { COMPILE_OPTIONS, HELPERS, RUNTIME_OPTIONS } from './helpers.js';

export type TemplateEnv = typeof Handlebars;

/** An isolated Handlebars environment with the safe helpers and the given partials only. */
export function createTemplateEnv(partials: Record<string, string>): TemplateEnv {
  const env = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
  // The built-in helperMissing/blockHelperMissing would render unknown names as empty strings.
  env.unregisterHelper('helperMissing');
  env.unregisterHelper('log');
  for (const [name, source] of Object.entries(partials)) env.registerPartial(name, source);
  return env;
}

export class TemplateRenderError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

export type CompiledTemplate = (context: Record<string, unknown>) => string;

/** Compiles once; rendering throws TemplateRenderError (never returns a silently emptied string). */
export function compileTemplate(env: TemplateEnv, source: string): CompiledTemplate {
  const fn = env.compile(source, COMPILE_OPTIONS);
  return (context) => {
    try {
      return fn(context, RUNTIME_OPTIONS);
    } catch (error) {
      const e = error as { message: string; lineNumber?: number; column?: number };
      const message = e.message
        .replace(/ - \d+:\d+$/, '')
        .replace(/^"(.+)" not defined in \[object Object\]$/, 'value "$1" is not defined')
        .replace(/^"(.+)" not defined in (.+)$/, 'value "$1" is not defined in $2')
        .replace(/^The partial (.+) could not be found$/, 'partial "$1" was not found');
      throw new TemplateRenderError(message, e.lineNumber, e.column === undefined ? undefined : e.column + 1);
    }
  };
}
