/**
 * The text of a sticky PR comment: a hidden header (which comment this is, which run wrote it)
 * followed by the report, cut safely under GitHub's size limit.
 */

export const DEFAULT_COMMENT_KEY = 'diff';

/** GitHub rejects issue comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Which run wrote a comment, so an older run never overwrites a newer one. */
export interface CommentMeta {
  head?: string;
  run_at?: string;
  run?: string;
}

export interface CommentHeader {
  key: string;
  /** Absent when the meta line is missing or not valid JSON. */
  meta?: CommentMeta;
  /** The report after the header. */
  content: string;
  /** Characters the header takes at the start of the body. */
  length: number;
}

// No spaces or `>` in a key, so the marker reads back unambiguously and cannot end the HTML comment.
const KEY = /^[\w.:/-]+$/;
const HEADER = /^\s*<!-- promptops:comment id=([\w.:/-]+) -->[ \t]*(?:\r?\n|$)(?:(<!-- promptops:meta[^\n]*)(?:\n|$))?(?:\r?\n)?/;
const META = /^<!-- promptops:meta (.*) -->\s*$/;

export function commentMarker(key = DEFAULT_COMMENT_KEY): string {
  if (!KEY.test(key)) throw new TypeError(`comment key "${key}" may only contain letters, digits and . _ : / -`);
  return `<!-- promptops:comment id=${key} -->`;
}

/** Puts the marker and meta lines at the very start, where truncation never reaches. */
export function addCommentHeader(options: { body: string; key?: string; meta: CommentMeta }): string {
  const { head, run_at, run } = options.meta;
  // `<` and `>` escaped so no value can close the HTML comment early; JSON.parse reads them back.
  const json = JSON.stringify({ head, run_at, run }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  return `${commentMarker(options.key)}\n<!-- promptops:meta ${json} -->\n\n${options.body}`;
}

/** The header of a comment written by addCommentHeader; undefined for any other comment. */
export function parseCommentHeader(body: string): CommentHeader | undefined {
  const match = HEADER.exec(body);
  if (!match) return undefined;
  return { key: match[1]!, meta: parseMeta(match[2]), content: body.slice(match[0].length), length: match[0].length };
}

function parseMeta(line: string | undefined): CommentMeta | undefined {
  const json = line && META.exec(line.trimEnd())?.[1];
  if (!json) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const field = (name: string) => {
      const v = (value as Record<string, unknown>)[name];
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    };
    return { head: field('head'), run_at: field('run_at'), run: field('run') };
  } catch {
    return undefined;
  }
}

export interface TruncatedComment {
  body: string;
  truncated: boolean;
  /** Characters (UTF-16 code units) of the original body left out. */
  omitted: number;
}

interface State {
  /** The opening fence (``` or ~~~, possibly longer) while inside a fenced code block. */
  fence?: string;
  /** `<details>` elements open at this point. */
  depth: number;
}

/**
 * Cuts a body over `limit` characters (UTF-16 code units, which never undercount what GitHub
 * counts) at the last line that fits, closes any open code fence and `<details>`, and says how
 * much was left out. The header at the start is always kept.
 */
export function truncateComment(body: string, limit = GITHUB_COMMENT_LIMIT): TruncatedComment {
  if (body.length <= limit) return { body, truncated: false, omitted: 0 };
  const keepFrom = parseCommentHeader(body)?.length ?? 0;
  // Room for the footer with the largest count it could show, so the real footer always fits.
  const room = limit - footer(body.length).length;
  let best: { cut: number; closers: string } | undefined;
  let state: State = { depth: 0 };
  for (let start = 0; start <= room; ) {
    const closers = closing(state);
    if (start >= keepFrom && start + closers.length <= room) best = { cut: start, closers };
    const newline = body.indexOf('\n', start);
    const end = newline === -1 ? body.length : newline + 1;
    const next = advance(body.slice(start, end), state);
    if (end + closing(next).length > room) {
      // One very long line (minified JSON, a wide table row) is cut inside rather than dropped whole.
      if (!best || room - best.cut > limit / 10) best = cutInside(body, { start, end, keepFrom, room }, state) ?? best;
      break;
    }
    state = next;
    start = end;
  }
  if (!best) throw new RangeError(`comment limit ${limit} is too small to keep the header and the truncation note`);
  const omitted = body.length - best.cut;
  return { body: body.slice(0, best.cut) + best.closers + footer(omitted), truncated: true, omitted };
}

const footer = (omitted: number) =>
  `\n_…truncated: ${omitted.toLocaleString('en-US')} characters omitted; the full report is in the workflow run's artifacts/job summary._`;

const closing = (state: State) => (state.fence ? `${state.fence}\n` : '') + '</details>\n'.repeat(state.depth);

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const DETAILS = /<(\/?)details\b[^>]*>/gi;

/** The state after one line (CommonMark fences; `<details>` counted outside code only). */
function advance(line: string, state: State): State {
  const text = line.replace(/\r?\n$/, '');
  if (state.fence) {
    const close = FENCE_CLOSE.exec(text)?.[1];
    const closes = close && close[0] === state.fence[0] && close.length >= state.fence.length;
    return closes ? { depth: state.depth } : state;
  }
  const open = FENCE_OPEN.exec(text);
  // A backtick fence's info string cannot contain backticks: "```a``` b" is inline code, not a fence.
  if (open && !(open[1]![0] === '`' && text.slice(open[0].length).includes('`'))) return { fence: open[1]!, depth: state.depth };
  let depth = state.depth;
  for (const tag of text.replace(/`[^`\n]*`/g, '').matchAll(DETAILS)) depth = tag[1] ? Math.max(0, depth - 1) : depth + 1;
  return { depth };
}

/** A cut inside the line [start, end) that splits neither a surrogate pair nor an HTML tag. */
function cutInside(body: string, line: { start: number; end: number; keepFrom: number; room: number }, state: State) {
  const floor = Math.max(line.start, line.keepFrom);
  // One code unit for the newline that ends the partial line before the closers.
  let cut = Math.min(line.end, line.room - 1);
  while (cut > floor) {
    cut = safePoint(body, line.start, cut);
    if (cut <= floor) return undefined;
    const closers = `\n${closing(advance(body.slice(line.start, cut), state))}`;
    const excess = cut + closers.length - line.room;
    if (excess <= 0) return { cut, closers };
    cut -= excess;
  }
  return undefined;
}

function safePoint(body: string, lineStart: number, cut: number): number {
  const before = body.charCodeAt(cut - 1);
  if (before >= 0xd800 && before <= 0xdbff) cut--;
  const lt = body.lastIndexOf('<', cut - 1);
  if (lt >= lineStart && /[A-Za-z/!]/.test(body[lt + 1] ?? '')) {
    const gt = body.indexOf('>', lt);
    if (gt === -1 || gt >= cut) cut = lt;
  }
  return cut;
}
