/**
 * A URL as it may be shown: its user name and password removed (replaced by `marker@` when one is given), the rest
 * as written. A string without `@` has no user part and is returned unchanged. The user part is found as WHATWG
 * `URL` finds it (up to the authority's last `@`), and the string must parse with `URL` and have a host; anything
 * else with an `@` in it (no `//` authority, an unparseable URL, or an `@` after the host, as when a password holds
 * an unencoded `/`, `?` or `#`) is shown as its scheme and `(unparseable URL)` only.
 */
export function withoutCredentials(url: string, marker?: string): string {
  if (!url.includes("@")) return url;
  const scheme = /^([a-z][a-z0-9+.-]{0,30}):\//i.exec(url)?.[1];
  const unparseable = scheme === undefined ? "(unparseable URL)" : `${scheme.toLowerCase()}: (unparseable URL)`;
  if (scheme === undefined || url[scheme.length + 2] !== "/") return unparseable;
  const afterSlashes = url.slice(scheme.length + 3);
  const authorityEnd = afterSlashes.search(/[/?#\\]/);
  const authority = authorityEnd < 0 ? afterSlashes : afterSlashes.slice(0, authorityEnd);
  const rest = authorityEnd < 0 ? "" : afterSlashes.slice(authorityEnd);
  if (rest.includes("@")) return unparseable;
  try {
    if (new URL(url).host === "") return unparseable;
  } catch {
    return unparseable;
  }
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return `${scheme}://${marker === undefined ? "" : `${marker}@`}${host}${rest}`;
}
