export const REDACTED_VALUE = "(redacted)";

/** Header names whose values are credentials, lower case. Matched exactly, plus any name containing token/secret/signature/password. */
const SECRET_HEADERS = new Set([
  "x-auth-token",
  "x-subject-token",
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-service-token",
]);
const SECRET_PATTERN = /token|secret|signature|password|credential|api-key|apikey/i;

/** True when a header's value must never be logged. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_PATTERN.test(lower);
}

/** A copy of `headers` with every credential value replaced: safe to log. */
export function redactHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = isSecretHeader(name) ? REDACTED_VALUE : Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** A URL safe to log: user info removed and secret-looking query parameters replaced. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\?.*$/, "");
  }
  if (parsed.username || parsed.password) {
    parsed.username = "";
    parsed.password = "";
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PATTERN.test(name) || /^(key|sig|x-amz-.*)$/i.test(name)) parsed.searchParams.set(name, REDACTED_VALUE);
  }
  return parsed.toString();
}
