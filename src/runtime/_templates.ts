import type HandlebarsFull from 'handlebars';
// The runtime-only build of Handlebars (no parser, no compiler): a quarter of the full package.
import HandlebarsRuntime from 'handlebars/runtime.js';
import { HELPERS, RUNTIME_OPTIONS } from '../core/template/helpers.js';

/** The runtime build has the same API minus compile/precompile/parse, which this module never calls. */
const Handlebars = HandlebarsRuntime as unknown as typeof HandlebarsFull;

export type TemplateFn = (context: Record<string, unknown>) => string;

/** A template failed while rendering (e.g. a nested value it reads is missing). */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly promptId: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

/**
 * Turns a precompiled spec (JavaScript source of an object literal, written by `promptops compile`)
 * back into a template. This evaluates code from the bundle, which is acceptable ONLY because the
 * client activates a bundle after verifying its Ed25519 signature and revision hash
 * (`verifyEnvelope`): the code was produced by the publisher's compiler, never by a caller or the
 * network. Never pass it anything that did not come out of a verified bundle.
 */
function instantiate(env: typeof HandlebarsFull, spec: string) {
  const object = new Function(`"use strict"; return (${spec});`)() as Parameters<typeof HandlebarsFull.template>[0];
  return env.template(object);
}

/**
 * An isolated Handlebars runtime with the compiler's safe helpers and the given partials
 * (createTemplateEnv in src/core/template/render.ts, precompiled instead of compiled).
 *
 * Only the helpers the template (or its partials) calls stay registered: Handlebars wraps every
 * registered helper again on each top-level call, which made up most of a render's time with all of
 * them. Compiled with knownHelpersOnly, a helper call always names its helper as a string literal
 * (`"upper"`), so matching that literal never misses one; a false match only costs a registration.
 */
function createRuntimeEnv(spec: string, partials: Record<string, string>): typeof HandlebarsFull {
  const env = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
  const specs = [spec, ...Object.values(partials)];
  for (const name of Object.keys(env.helpers)) {
    // blockHelperMissing moves to Handlebars' internal hooks; keep it as the compiler's env does.
    if (name !== 'blockHelperMissing' && !specs.some((s) => s.includes(`"${name}"`))) env.unregisterHelper(name);
  }
  // Even when a template names them, helperMissing/log would render unknown names as empty strings.
  env.unregisterHelper('helperMissing');
  env.unregisterHelper('log');
  for (const [name, partial] of Object.entries(partials)) env.registerPartial(name, instantiate(env, partial));
  return env;
}

/** The template functions of one prompt's parts, rendering with the same runtime options as the compiler. */
export function instantiatePrompt(promptId: string, compiled: { parts: string[]; partials: Record<string, string> }): TemplateFn[] {
  return compiled.parts.map((spec) => {
    // One environment per part: a part that includes no partial pays for none of their helpers.
    const env = createRuntimeEnv(spec, spec.includes('"usePartial":true') ? compiled.partials : {});
    const render = withPreparedSetup(env, spec);
    return (context) => {
      try {
        return render(context);
      } catch (error) {
        throw renderError(promptId, error);
      }
    };
  });
}

type RuntimeOptions = HandlebarsFull.RuntimeOptions;
/** The container fields a partial call takes from its options (`partial: true`). */
interface SetUpContainer {
  helpers: RuntimeOptions['helpers'];
  partials: RuntimeOptions['partials'];
  decorators: RuntimeOptions['decorators'];
  hooks: unknown;
  protoAccessControl: unknown;
}

/**
 * A template function that skips Handlebars' per-call set-up. On every top-level call Handlebars
 * rebuilds the same container state from the environment and the runtime options (merged and
 * wrapped helpers, partials, hooks, prototype access rules): 1–1.5 µs measured, most of a short prompt's
 * render. It does not rebuild it for a partial call, which passes that state in its options. So
 * the first call runs the normal set-up (with RUNTIME_OPTIONS) and keeps the container's state;
 * later calls pass it back the way Handlebars passes it to partials, with the `@root` data frame
 * the top-level call would create. The state depends only on the environment, which never changes
 * after `createRuntimeEnv`; the runtime tests check the output equals the compiler's.
 */
function withPreparedSetup(env: typeof HandlebarsFull, spec: string): TemplateFn {
  type Main = (container: SetUpContainer, ...rest: unknown[]) => string;
  const object = new Function(`"use strict"; return (${spec});`)() as { main: Main; useData?: boolean };
  const main = object.main;
  let state: SetUpContainer | undefined;
  // Handlebars reads `templateSpec.main` on each call: the spy sees the first call's container, then steps aside.
  object.main = function (this: unknown, container: SetUpContainer) {
    state = container;
    object.main = main;
    // eslint-disable-next-line prefer-rest-params
    return main.apply(this, arguments as unknown as Parameters<Main>);
  };
  const fn = env.template(object as unknown as Parameters<typeof HandlebarsFull.template>[0]);
  const useData = object.useData === true;
  return (context) => {
    if (state === undefined) return fn(context, RUNTIME_OPTIONS);
    const { helpers, partials, decorators, hooks, protoAccessControl } = state;
    // `partial`, `hooks` and `protoAccessControl` are the internal options Handlebars' own partial calls pass.
    const options = { partial: true, helpers, partials, decorators, hooks, protoAccessControl, data: useData ? { root: context } : undefined };
    return fn(context, options as RuntimeOptions);
  };
}

/** Handlebars' messages, reworded like the compiler's (compileTemplate in src/core/template/render.ts). */
function renderError(promptId: string, error: unknown): RenderError {
  const e = error as { message: string; lineNumber?: number; column?: number };
  const message = String(e.message)
    .replace(/ - \d+:\d+$/, '')
    .replace(/^"(.+)" not defined in \[object Object\]$/, 'value "$1" is not defined')
    .replace(/^"(.+)" not defined in (.+)$/, 'value "$1" is not defined in $2')
    .replace(/^The partial (.+) could not be found$/, 'partial "$1" was not found');
  return new RenderError(`prompt "${promptId}": ${message}`, promptId, e.lineNumber, e.column === undefined ? undefined : e.column + 1);
}
