/**
 * The one redaction every message path uses (CLI errors, store and driver errors, serve logs, code
 * frames, eval errors, the PR comment). It runs on hostile text (an 80 KB line of a pull request,
 * a provider's error body), so every step is linear in the text: a hand-written scanner for URLs,
 * and regular expressions whose quantifiers are bounded or cannot overlap.
 */

export const MASK = '***';

export interface RedactOptions {
  /** Known secrets (API keys, PGPASSWORD): removed raw, base64- and URL-encoded, wherever they are. */
  secrets?: readonly (string | undefined)[];
}

/** Text fit for a message, log, results file or comment. */
export function redact(text: string, options: RedactOptions = {}): string {
  let out = redactKnown(text, options.secrets ?? []);
  out = redactUserinfo(out);
  out = out.replace(SECRET_PARAM, `$1$2=${MASK}`);
  out = out.replace(VENDOR_KEY, `$1${MASK}`);
  // An all-lowercase word is prose ("Basic authentication failed"), not a credential.
  return out.replace(AUTH_HEADER, (match, scheme: string, value: string) => (/^[a-z]+$/.test(value) ? match : `${scheme} ${MASK}`));
}

/**
 * Only the known secrets, in every form: for model output, where the patterns of `redact` would
 * change answers that assertions judge (a reply may rightly say "Bearer token" or quote a URL).
 */
export function redactKnown(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET) continue;
    // Longest first, so a raw key inside its own URL-encoded form never leaves a tail behind.
    for (const form of secretForms(secret).sort((a, b) => b.length - a.length)) out = out.split(form).join(MASK);
  }
  return out;
}

/** Shorter strings are not treated as secrets: masking "abc" everywhere would garble messages. */
const MIN_SECRET = 4;
/** A base64 fragment shorter than this could match unrelated text. */
const MIN_FRAGMENT = 8;

/**
 * The forms a secret takes when a server echoes it: raw, URL-encoded (upper- and lower-case hex), and
 * base64/base64url at each of the three byte alignments (inside `Basic …` or a longer blob the key's
 * characters depend on where it starts): the characters determined by the key's bytes alone.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret]);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) forms.add(encoded).add(encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const from = Math.ceil((offset * 8) / 6);
    const to = Math.floor(((offset + bytes.length) * 8) / 6);
    const fragment = b64.slice(from, to);
    if (fragment.length < MIN_FRAGMENT) continue;
    forms.add(fragment).add(fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

/**
 * `scheme://user:password@host` → `scheme://user:***@host`, parseable or not: the password may hold
 * an unencoded `/`, `?`, `#` or `@`, so it runs from the first `:` after `://` to the last `@` before
 * the next white space. Over-masking an odd URL is the safe side.
 */
function redactUserinfo(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  for (const [from, to] of passwordSpans(text)) {
    parts.push(text.slice(copied, from), MASK);
    copied = to;
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

/** Where the URL passwords of a text are (`[from, to)`, by the rule of `redactUserinfo`); one pass, each character seen once. */
export function* passwordSpans(text: string): Generator<[number, number]> {
  let i = text.indexOf('://');
  while (i !== -1) {
    let colon = -1;
    let at = -1;
    let end = i + 3;
    for (; end < text.length; end++) {
      const ch = text.charCodeAt(end);
      if (isSpace(ch)) break;
      if (ch === 0x3a && colon === -1) colon = end;
      else if (ch === 0x40) at = end;
    }
    if (colon !== -1 && at > colon) yield [colon + 1, at];
    i = text.indexOf('://', end);
  }
}

const isSpace = (ch: number) => ch === 0x20 || (ch >= 0x09 && ch <= 0x0d) || ch === 0xa0 || ch === 0x2028 || ch === 0x2029 || ch === 0xfeff;

/**
 * `?password=…`, `&sslpassword=…`, `api_key=…`, `access_token=…`, `sig=…` (query strings and libpq's
 * `key=value` form). The name is bounded (≤ 40 characters before its secret-like ending) and tried
 * only after a separator, so no position is scanned more than a bounded number of times.
 */
const SECRET_PARAM = /(^|[?&;\s])([A-Za-z0-9_.-]{0,40}?(?:password|passwd|pass|pwd|secret|token|key|sig|signature|credentials?))=([^&\s"'<>`]+)/gim;

/** Vendor-shaped keys (`sk-…`, `sk-proj-…`, `AIza…`, `ghp_…`), including the half-masked ones providers quote back. */
const VENDOR_KEY = /\b(sk-(?:proj-|ant-)?|AIza|ghp_|gho_|ghs_|github_pat_|xox[abp]-)[A-Za-z0-9_*\-.]{6,}/g;

/** `Authorization: Bearer …` / `Basic …` echoed in an error body. */
const AUTH_HEADER = /\b(Bearer|Basic)[ \t]{1,8}([A-Za-z0-9._~+/*-]{8,}=*)/g;
