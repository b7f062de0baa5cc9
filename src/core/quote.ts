/** How many characters of a user's value a message quotes back. */
export const QUOTE_MAX = 40;

/**
 * A user's value as a message quotes it: JSON-quoted and cut to its first `max` characters, with the
 * full length said. A value can be a whole file (a document that is one text, or a link's target),
 * and messages are printed, annotated on pull requests and put in PR comments.
 */
export function quote(value: unknown, max = QUOTE_MAX): string {
  const isText = typeof value === 'string';
  const text = isText ? value : (JSON.stringify(value) ?? String(value));
  if (text.length <= max) return isText ? JSON.stringify(text) : text;
  const head = text.slice(0, max);
  return `${isText ? `${JSON.stringify(head).slice(0, -1)}…"` : `${head}…`} (${text.length} characters)`;
}
