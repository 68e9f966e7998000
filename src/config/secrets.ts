import { ConfigError } from "../model/errors.js";
import { Secret } from "../model/secret.js";
import type { SecretRef } from "../model/secret.js";
import type { SourceLocation } from "../model/source.js";
import type { FleetScope, ReadFleetFile } from "./confine.js";
import { readFleetFile } from "./confine.js";

export interface ResolveSecretDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: ReadFleetFile;
  /** Where `{ file }` references start from and may not leave (the fleet file's scope). */
  readonly scope: FleetScope;
}

/** What the secret is for, to name it in errors: e.g. `{ what: "password of dc1/web-1", location }`. */
export interface SecretContext {
  /** @default "secret" */
  readonly what?: string;
  readonly location?: SourceLocation;
}

/**
 * Resolves a secret reference. Throws ConfigError naming the variable or file (never the value):
 * "environment variable JD_ROOT_PASSWORD is not set (password of dc1/web-1)", located when `context` says where.
 * A file's single trailing newline is dropped.
 */
export async function resolveSecret(
  ref: SecretRef,
  deps: ResolveSecretDeps,
  context: SecretContext = {},
): Promise<Secret> {
  const what = context.what ?? "secret";
  const fail = (message: string): never => {
    throw new ConfigError([
      { ...(context.location ? { location: context.location } : {}), message: `${message} (${what})` },
    ]);
  };
  if ("env" in ref) {
    const value = deps.env[ref.env];
    if (value === undefined) return fail(`environment variable ${ref.env} is not set`);
    if (value === "") return fail(`environment variable ${ref.env} is empty`);
    return new Secret(value);
  }
  const read = await readFleetFile(ref.file, "secret file", deps.scope, deps.readFile);
  if (read.type === "error") return fail(read.message);
  const value = (typeof read.content === "string" ? read.content : read.content.toString("utf8")).replace(/\r?\n$/, "");
  if (value === "") return fail(`secret file '${ref.file}' is empty`);
  return new Secret(value);
}
