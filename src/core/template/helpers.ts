/**
 * The fixed, safe helper set available to templates. Pure functions of their arguments: no file
 * system, no network, no access to prototypes. Shared by the compiler and the runtime client.
 */
type HelperOptions = { hash?: Record<string, unknown> };

const isOptions = (v: unknown): v is HelperOptions => typeof v === 'object' && v !== null && 'hash' in v && 'data' in v;
/** Handlebars passes an options object last; helpers only look at the real arguments. */
const args = (list: unknown[]) => (list.length > 0 && isOptions(list[list.length - 1]) ? list.slice(0, -1) : list);

export const HELPERS: Record<string, (...list: unknown[]) => unknown> = {
  eq: (...l) => { const [a, b] = args(l); return a === b; },
  ne: (...l) => { const [a, b] = args(l); return a !== b; },
  gt: (...l) => { const [a, b] = args(l); return (a as number) > (b as number); },
  gte: (...l) => { const [a, b] = args(l); return (a as number) >= (b as number); },
  lt: (...l) => { const [a, b] = args(l); return (a as number) < (b as number); },
  lte: (...l) => { const [a, b] = args(l); return (a as number) <= (b as number); },
  and: (...l) => args(l).every(Boolean),
  or: (...l) => args(l).some(Boolean),
  not: (...l) => !args(l)[0],
  json: (...l) => { const [v, indent] = args(l); return JSON.stringify(v, null, typeof indent === 'number' ? indent : undefined); },
  join: (...l) => { const [v, sep] = args(l); return Array.isArray(v) ? v.join(typeof sep === 'string' ? sep : ', ') : String(v ?? ''); },
  upper: (...l) => String(args(l)[0] ?? '').toUpperCase(),
  lower: (...l) => String(args(l)[0] ?? '').toLowerCase(),
  trim: (...l) => String(args(l)[0] ?? '').trim(),
  truncate: (...l) => {
    const [v, n] = args(l);
    const s = String(v ?? '');
    const max = typeof n === 'number' ? n : 100;
    return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
  },
  default: (...l) => { const [v, fallback] = args(l); return v === undefined || v === null || v === '' ? fallback : v; },
  length: (...l) => { const [v] = args(l); return Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0; },
};

export const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup'] as const;
/** Block helpers whose body runs in a new context (paths inside refer to the item, not the prompt's variables). */
export const CONTEXT_HELPERS = new Set(['each', 'with']);
export const KNOWN_HELPERS: ReadonlySet<string> = new Set([...BUILTIN_HELPERS, ...Object.keys(HELPERS)]);

/** Handlebars compile options: no HTML escaping (prompts are not HTML), strict lookups, only known helpers. */
export const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries([...KNOWN_HELPERS].map((h) => [h, true])),
} as const;

/** Runtime options that keep templates away from prototypes (also Handlebars' default; stated to be sure). */
export const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowCallsToHelperMissing: false,
} as const;
