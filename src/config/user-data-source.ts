import { resolve } from "node:path";
import type { UserDataSpec } from "../model/desired.js";
import { decodeBase64UserData, decodeUtf8, userDataSha256 } from "../model/user-data.js";
import type { RawUserData } from "./raw.js";

export type ReadFile = (path: string) => Promise<string | Buffer>;

export type UserDataResult = { readonly type: "ok"; readonly spec: UserDataSpec | null } | { readonly type: "error"; readonly key: "file" | "base64"; readonly message: string };

/** Turns a userData entry into its decoded content and digest, reading `file` relative to `baseDir`. */
export async function resolveUserData(raw: RawUserData, baseDir: string, readFile: ReadFile): Promise<UserDataResult> {
  if (raw === null) return { type: "ok", spec: null };
  const sensitive = raw.sensitive ?? false;
  if ("inline" in raw) return ok(raw.inline, sensitive, "inline");
  if ("file" in raw) {
    const path = resolve(baseDir, raw.file);
    let bytes: string | Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      return { type: "error", key: "file", message: `cannot read user_data file '${raw.file}' (${path}): ${fileErrorReason(error)}` };
    }
    const text = typeof bytes === "string" ? bytes : decodeUtf8(bytes);
    if (text === undefined) return { type: "error", key: "file", message: `user_data file '${raw.file}' is not UTF-8 text` };
    return ok(text, sensitive, "file");
  }
  const decoded = decodeBase64UserData(raw.base64);
  if (decoded === undefined) return { type: "error", key: "base64", message: "userData.base64 is not valid base64 (characters A-Z a-z 0-9 + / with = padding)" };
  const text = decodeUtf8(decoded);
  if (text === undefined) return { type: "error", key: "base64", message: "userData.base64 does not decode to UTF-8 text" };
  return ok(text, sensitive, "base64");
}

function ok(content: string, sensitive: boolean, origin: UserDataSpec["origin"]): UserDataResult {
  return { type: "ok", spec: { content, sha256: userDataSha256(content), sensitive, origin } };
}

/** A short reason for a failed read, without a stack: "no such file", "permission denied", … */
export function fileErrorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return error instanceof Error ? (error.message.split("\n")[0] ?? "cannot read") : "cannot read";
  }
}
