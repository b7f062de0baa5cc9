import { passwordSpans, redact } from './redact.js';

/** The password a URL carries (decoded), in its authority or `?password=`, parseable or not. */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return safeDecode(parsed.password) || parsed.searchParams.get('password') || undefined;
  } catch {
    const span = passwordSpans(url).next().value;
    return span ? url.slice(span[0], span[1]) || undefined : undefined;
  }
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * Why a `postgres://` URL cannot be used as written, or undefined. A reserved character left
 * unencoded in the password (`/` is common in base64 passwords) makes the URL unparsable, or worse,
 * parseable as something else (`user:12/ab@host` is host "user", port 12): either way the URL is
 * wrong, which is the user's to fix (exit 2), not a store outage (exit 3).
 */
export function postgresUrlProblem(url: string): string | undefined {
  const fix = 'percent-encode reserved characters in the user name and password (/ → %2F, ? → %3F, # → %23, @ → %40, : → %3A, % → %25), or better, leave the password out of the URL and set PGPASSWORD';
  const shown = `"${redact(url)}"`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the store URL ${shown} cannot be parsed: ${fix}`;
  }
  // A "@" or a second segment after the host, a fragment, or a query name with "@" or "/" is the rest of a
  // password cut short by an unencoded character. (Never quoted: it is part of the password.)
  const database = parsed.pathname.replace(/^\//, '');
  const queryNames = [...parsed.searchParams.keys()];
  if (/[@/]/.test(database) || parsed.hash || queryNames.some((name) => /[@/]/.test(name))) {
    return `the store URL ${shown} does not read as postgres://user:password@host:port/database: ${fix}`;
  }
  return undefined;
}
