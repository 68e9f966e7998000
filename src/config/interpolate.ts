/** `${env:VAR}` references in fleet file strings; `$${env:VAR}` is the literal text `${env:VAR}`. */
const REFERENCE = /\$?\$\{env:([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type InterpolationResult =
  | { readonly type: "ok"; readonly value: string }
  | { readonly type: "error"; readonly messages: readonly string[] };

/**
 * Replaces every `${env:VAR}` in `text` with the variable's value. Other `${…}` (shell syntax in
 * cloud-init scripts, say) is left alone. A missing variable or a malformed name is an error.
 */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): InterpolationResult {
  if (!text.includes("${env:")) return { type: "ok", value: text };
  const messages: string[] = [];
  const unterminated = /(?<!\$)\$\{env:[^}]*$/.exec(text);
  if (unterminated) messages.push(`unterminated reference '${unterminated[0]}': expected \${env:NAME} closed by '}'`);
  const value = text.replace(REFERENCE, (match: string, name: string) => {
    if (match.startsWith("$$")) return match.slice(1);
    if (!VARIABLE_NAME.test(name)) {
      messages.push(`invalid variable reference '\${env:${name}}': expected \${env:NAME} with letters, digits and '_'`);
      return match;
    }
    const found = env[name];
    if (found === undefined) {
      messages.push(`environment variable ${name} is not set (referenced as \${env:${name}}; write $\${env:${name}} for the literal text)`);
      return match;
    }
    return found;
  });
  return messages.length > 0 ? { type: "error", messages } : { type: "ok", value };
}

/** A problem found while interpolating a tree of values, at a path into it. */
export interface InterpolationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Interpolates every string value (not map keys) of a plain JSON-like tree; returns a new tree. */
export function interpolateTree(value: unknown, env: Readonly<Record<string, string | undefined>>, issues: InterpolationIssue[], path: readonly (string | number)[] = []): unknown {
  if (typeof value === "string") {
    const result = interpolate(value, env);
    if (result.type === "ok") return result.value;
    for (const message of result.messages) issues.push({ path, message });
    return value;
  }
  if (Array.isArray(value)) return value.map((item: unknown, index) => interpolateTree(item, env, issues, [...path, index]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, env, issues, [...path, key]);
    return out;
  }
  return value;
}
