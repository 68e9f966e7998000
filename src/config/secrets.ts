import { resolve } from "node:path";
import { ConfigError } from "../model/errors.js";
import { Secret } from "../model/secret.js";
import type { SecretRef } from "../model/secret.js";
import type { SourceLocation } from "../model/source.js";
import type { ReadFile } from "./user-data-source.js";
import { fileErrorReason } from "./user-data-source.js";

export interface ResolveSecretDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: ReadFile;
  /** Directory `{ file }` references are relative to (the fleet file's). */
  readonly baseDir: string;
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
export async function resolveSecret(ref: SecretRef, deps: ResolveSecretDeps, context: SecretContext = {}): Promise<Secret> {
  const what = context.what ?? "secret";
  const fail = (message: string): never => {
    throw new ConfigError([{ ...(context.location ? { location: context.location } : {}), message: `${message} (${what})` }]);
  };
  if ("env" in ref) {
    const value = deps.env[ref.env];
    if (value === undefined) return fail(`environment variable ${ref.env} is not set`);
    if (value === "") return fail(`environment variable ${ref.env} is empty`);
    return new Secret(value);
  }
  const path = resolve(deps.baseDir, ref.file);
  let content: string | Buffer;
  try {
    content = await deps.readFile(path);
  } catch (error) {
    return fail(`cannot read secret file '${ref.file}' (${path}): ${fileErrorReason(error)}`);
  }
  const value = (typeof content === "string" ? content : content.toString("utf8")).replace(/\r?\n$/, "");
  if (value === "") return fail(`secret file '${ref.file}' is empty`);
  return new Secret(value);
}
