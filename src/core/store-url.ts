/** A store URL fit for messages and logs: the user stays, the password (in the authority or `?password=`) goes. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    if (parsed.searchParams.has('password')) parsed.searchParams.delete('password');
    return parsed.href;
  } catch {
    // Not parseable as a URL (say, an unencoded "#" in the password): cut everything between ":" and the last "@".
    return url.replace(/\/\/([^/:@]*):[^/]*@/, '//$1@');
  }
}

/** The password a URL carries (decoded), if any. */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return decodeURIComponent(parsed.password) || parsed.searchParams.get('password') || undefined;
  } catch {
    return /\/\/[^/:@]*:([^/]*)@/.exec(url)?.[1];
  }
}

/** Any text with the passwords of the URLs in it masked (`postgres://user:***@host`, `?password=***`): for code frames and logs. */
export function redactUrlsIn(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi, '$1***@').replace(/([?&]password=)[^&\s#]+/gi, '$1***');
}
