/**
 * The one place a regular expression written by a user (a variable's `pattern`, a `regex`
 * assertion, a `pattern` inside a user-written JSON Schema) is compiled. validate calls it to turn a
 * broken pattern into a located diagnostic; render and eval call it to run the pattern. Keeping both
 * on this function means a pattern validate accepts is one render and eval can compile, with the
 * same engine and flags.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diagnostics } from 'recheck';

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; message: string };

/**
 * Compiles `source` with `flags` (default `u`, as JSON Schema's `pattern` and variable patterns are
 * Unicode-aware). Never throws: an invalid pattern comes back as a message fit for a diagnostic.
 */
export function compileUserPattern(source: string, flags = 'u'): CompiledPattern {
  try {
    const regex = new RegExp(source, flags);
    const unsafe = backtrackingProblem(source, regex.flags);
    return unsafe ? { ok: false, message: `regular expression ${JSON.stringify(source)} ${unsafe}` } : { ok: true, regex };
  } catch (error) {
    // V8 repeats the whole pattern in its message ("Invalid regular expression: /…/u: Unterminated
    // group"); the diagnostic quotes the pattern itself, so keep only the reason.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /s, '').replace(/^Invalid flags supplied to RegExp constructor '.*'$/s, `invalid flags "${flags}"`);
    return { ok: false, message: `invalid regular expression ${JSON.stringify(source)}: ${reason}` };
  }
}

/*
 * A user's pattern runs on values from requests (variables, in render and in the runtime client) and
 * on model outputs (regex assertions). JavaScript's engine backtracks, so a pattern such as
 * "^(a+)+$" takes time exponential in the value's length and blocks the event loop. Rather than a
 * second engine with other semantics (RE2 has no lookaround or backreferences and its `\s`, `.` and
 * `\b` differ; a port is ~150 KB minified, twice the runtime client's budget), every pattern is
 * analysed once by recheck (automata-based ReDoS detection) and only those it proves to run in
 * linear time are compiled. validate reports the others and the compiler refuses to bundle them, so
 * the runtime client, which keeps JavaScript's RegExp, only ever runs proven patterns.
 */
const require = createRequire(import.meta.url);
let recheck: typeof import('recheck') | undefined;
let verdicts: Map<string, string | null> | undefined;

/**
 * recheck's native analyser dies on a bound above 2^31 - 1 (`a{12345678901}`: a NumberFormatException
 * in its agent thread, printed to stderr) and checkSync then waits forever, hanging validate; such
 * bounds are refused before analysis.
 */
const HUGE_BOUND = /\{\d{10,}(?:,\d*)?\}|\{\d+,\d{10,}\}/;

/** Why `source` may backtrack super-linearly, or undefined when it is proven linear. Cached per pattern and flags. */
function backtrackingProblem(source: string, flags: string): string | undefined {
  if (HUGE_BOUND.test(source)) return 'has a repetition bound of 10 digits or more, too large to analyse; use "*", "+" or a smaller bound';
  const key = `${flags}/${source}`;
  verdicts ??= readVerdicts();
  const known = verdicts.get(key);
  if (known !== undefined) return known ?? undefined;
  if (!recheck) {
    // recheck's default synchronous path hands the pattern to its native (or Java) agent process and
    // blocks this thread until the agent answers: an agent that dies (it did on a bound past 2^31, and
    // the validator fuzz can find others) would hang validate forever. Its pure-JS analyser runs in this
    // thread, honours the timeout and can only throw. recheck reads this variable at each call.
    process.env.RECHECK_SYNC_BACKEND = 'pure';
    recheck = require('recheck') as typeof import('recheck');
  }
  // An unproven pattern (timeout, or an analyser failure) is refused, never run.
  let result: Diagnostics;
  try {
    result = recheck.checkSync(source, flags.replace(/[gy]/g, ''), { timeout: ANALYSIS_TIMEOUT_MS, checker: 'automaton' });
  } catch (error) {
    return `could not be analysed for catastrophic backtracking (${(error as Error).message.slice(0, 80)}); simplify it`;
  }
  const verdict = describe(result) ?? null;
  verdicts.set(key, verdict);
  // A timeout depends on the machine; every other verdict depends only on the pattern and recheck's version.
  if (result.status !== 'unknown' || result.error.kind !== 'timeout') saveVerdict(key, verdict);
  return verdict ?? undefined;
}

/*
 * An analysis costs 2–300 ms and every command validates, so verdicts are kept across runs in the
 * user's cache folder, one JSON line per pattern, keyed by recheck's version (a new version analyses
 * again). A missing, unreadable or unwritable cache only costs time; a line that does not parse is skipped.
 */
function verdictsFile(): string {
  const version = (require('recheck/package.json') as { version: string }).version;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'promptops', `regex-verdicts-recheck-${version}.jsonl`);
}

function readVerdicts(): Map<string, string | null> {
  const map = new Map<string, string | null>();
  let text = '';
  try {
    text = readFileSync(verdictsFile(), 'utf8');
  } catch {
    return map;
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { key?: unknown; verdict?: unknown };
      if (typeof entry.key === 'string' && (typeof entry.verdict === 'string' || entry.verdict === null)) map.set(entry.key, entry.verdict);
    } catch {
      // a torn or foreign line: analyse that pattern again
    }
  }
  return map;
}

function saveVerdict(key: string, verdict: string | null): void {
  try {
    const file = verdictsFile();
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify({ key, verdict })}\n`);
  } catch {
    // no cache folder (read-only home, sandbox): the next run analyses again
  }
}

const ANALYSIS_TIMEOUT_MS = 5_000;

function describe(result: Diagnostics): string | undefined {
  if (result.status === 'safe') return undefined;
  if (result.status === 'vulnerable') {
    const parts = result.hotspot.map((h) => JSON.stringify(result.source.slice(h.start, h.end)));
    const time = result.complexity.type === 'exponential' ? 'exponential' : `polynomial (degree ${result.complexity.degree})`;
    return `can take ${time} time on some inputs (e.g. ${result.attack.pattern}), backtracking at ${[...new Set(parts)].join(', ')}: rewrite it so no part can match the same text in more than one way (e.g. "^(a+)+$" → "^a+$", "(\\w+\\s?)*" → "[\\w\\s]*")`;
  }
  const reason =
    result.error.kind === 'unsupported'
      ? `uses a feature whose running time promptops cannot prove linear (${result.error.message}); lookaround and backreferences are not accepted`
      : result.error.kind === 'timeout'
        ? `is too complex to prove that it runs in linear time (analysis took over ${ANALYSIS_TIMEOUT_MS / 1000} s)`
        : `could not be proven to run in linear time (${'message' in result.error ? result.error.message : result.error.kind})`;
  return `${reason}; simplify it`;
}
