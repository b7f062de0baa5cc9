/**
 * The one place a regular expression written by a user (a variable's `pattern`, a `regex`
 * assertion, a `pattern` inside a user-written JSON Schema) is compiled. validate calls it to turn a
 * broken pattern into a located diagnostic; render and eval call it to run the pattern. Keeping both
 * on this function means a pattern validate accepts is one render and eval can compile, with the
 * same engine and flags.
 */
export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; message: string };

/**
 * Compiles `source` with `flags` (default `u`, as JSON Schema's `pattern` and variable patterns are
 * Unicode-aware). Never throws: an invalid pattern comes back as a message fit for a diagnostic.
 */
export function compileUserPattern(source: string, flags = 'u'): CompiledPattern {
  try {
    return { ok: true, regex: new RegExp(source, flags) };
  } catch (error) {
    // V8 repeats the whole pattern in its message ("Invalid regular expression: /…/u: Unterminated
    // group"); the diagnostic quotes the pattern itself, so keep only the reason.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /s, '').replace(/^Invalid flags supplied to RegExp constructor '.*'$/s, `invalid flags "${flags}"`);
    return { ok: false, message: `invalid regular expression ${JSON.stringify(source)}: ${reason}` };
  }
}
