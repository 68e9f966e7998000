/**
 * A PostgreSQL URL as it may be shown: the password (in the URL's user part or a `password=` parameter) replaced
 * by `***`. What cannot be parsed is shown as `postgres://…` only.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "postgres://… (not a valid URL)";
  }
  if (parsed.password !== "") parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass/i.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.toString().replace(/%2A%2A%2A/g, "***");
}

/** The secrets a message about this backend must never show: the URL's password (as written and decoded) and PGPASSWORD. */
export function secretsOf(url: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = new Set<string>();
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") {
      secrets.add(parsed.password);
      secrets.add(decodeURIComponent(parsed.password));
    }
    for (const [key, value] of parsed.searchParams) if (/pass/i.test(key) && value !== "") secrets.add(value);
  } catch {
    // not a URL: nothing to take from it
  }
  const fromEnv = env["PGPASSWORD"];
  if (fromEnv) secrets.add(fromEnv);
  return [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** The text with every secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}
