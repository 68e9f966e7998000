/** `${env:VAR}` references in fleet file strings; `$${env:VAR}` is the literal text `${env:VAR}`. */
const REFERENCE = /\$?\$\{env:([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Prefix of the variables every fleet file may read, as Terraform reads only `TF_VAR_*`. */
export const FLEET_VARIABLE_PREFIX = "REFORM_VAR_";

/**
 * Which variables `${env:NAME}` may read. A fleet file comes from pull requests and CI plans it with the
 * pipeline's secrets in the environment: only `REFORM_VAR_*` and the names the pipeline allows
 * (`--allow-env NAME`, `REFORM_ALLOW_ENV=A,B`) are readable.
 */
export interface EnvAccess {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Names allowed besides `REFORM_VAR_*`. */
  readonly allowed: readonly string[];
}

export function mayRead(access: EnvAccess, name: string): boolean {
  return name.startsWith(FLEET_VARIABLE_PREFIX) || access.allowed.includes(name);
}

export type InterpolationResult =
  { readonly type: "ok"; readonly value: string } | { readonly type: "error"; readonly messages: readonly string[] };

/**
 * Replaces every `${env:VAR}` in `text` with the variable's value. Other `${…}` (shell syntax in
 * cloud-init scripts, say) is left alone. A missing variable, one the fleet file may not read (see `EnvAccess`)
 * or a malformed name is an error, which never shows a value.
 */
export function interpolate(text: string, access: EnvAccess): InterpolationResult {
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
    if (!mayRead(access, name)) {
      messages.push(
        `environment variable ${name} may not be read by a fleet file: only ${FLEET_VARIABLE_PREFIX}* variables are, and names the pipeline allows with --allow-env ${name} (or REFORM_ALLOW_ENV=${name})`,
      );
      return match;
    }
    const found = access.env[name];
    if (found === undefined) {
      messages.push(
        `environment variable ${name} is not set (referenced as \${env:${name}}; write $\${env:${name}} for the literal text)`,
      );
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
export function interpolateTree(
  value: unknown,
  access: EnvAccess,
  issues: InterpolationIssue[],
  path: readonly (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    const result = interpolate(value, access);
    if (result.type === "ok") return result.value;
    for (const message of result.messages) issues.push({ path, message });
    return value;
  }
  if (Array.isArray(value))
    return value.map((item: unknown, index) => interpolateTree(item, access, issues, [...path, index]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, access, issues, [...path, key]);
    return out;
  }
  return value;
}
