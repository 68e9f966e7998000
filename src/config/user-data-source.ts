import type { UserDataSpec } from "../model/desired.js";
import { decodeBase64UserData, decodeUtf8, userDataSha256 } from "../model/user-data.js";
import type { FleetScope, ReadFleetFile } from "./confine.js";
import { readFleetFile } from "./confine.js";
import type { RawUserData } from "./raw.js";

export type ReadFile = ReadFleetFile;

export type UserDataResult =
  | { readonly type: "ok"; readonly spec: UserDataSpec | null }
  | { readonly type: "error"; readonly key: "inline" | "file" | "base64"; readonly message: string };

/**
 * Most base64 characters of user_data a cloud takes (Nova: 65,535; Huawei and JD take less): about 48 KiB of text.
 * It also bounds what a plan can echo of a file a pull request names.
 */
export const MAX_USER_DATA_BASE64 = 65_535;

/** Turns a userData entry into its decoded content and digest, reading `file` inside the fleet's scope. */
export async function resolveUserData(
  raw: RawUserData,
  scope: FleetScope,
  readFile: ReadFile,
): Promise<UserDataResult> {
  if (raw === null) return { type: "ok", spec: null };
  const sensitive = raw.sensitive ?? false;
  if ("inline" in raw) return ok(raw.inline, sensitive, "inline");
  if ("file" in raw) {
    const read = await readFleetFile(raw.file, "user_data file", scope, readFile);
    if (read.type === "error") return { type: "error", key: "file", message: read.message };
    const bytes = read.content;
    const text = typeof bytes === "string" ? bytes : decodeUtf8(bytes);
    if (text === undefined)
      return { type: "error", key: "file", message: `user_data file '${raw.file}' is not UTF-8 text` };
    return ok(text, sensitive, "file");
  }
  const decoded = decodeBase64UserData(raw.base64);
  if (decoded === undefined)
    return {
      type: "error",
      key: "base64",
      message: "userData.base64 is not valid base64 (characters A-Z a-z 0-9 + / with = padding)",
    };
  const text = decodeUtf8(decoded);
  if (text === undefined)
    return { type: "error", key: "base64", message: "userData.base64 does not decode to UTF-8 text" };
  return ok(text, sensitive, "base64");
}

function ok(content: string, sensitive: boolean, origin: UserDataSpec["origin"]): UserDataResult {
  const encoded = Math.ceil(Buffer.byteLength(content, "utf8") / 3) * 4;
  if (encoded > MAX_USER_DATA_BASE64) {
    return {
      type: "error",
      key: origin,
      message: `user_data is ${encoded.toLocaleString("en-US")} characters once base64-encoded: clouds take at most ${MAX_USER_DATA_BASE64.toLocaleString("en-US")} (about 48 KiB of text)`,
    };
  }
  return { type: "ok", spec: { content, sha256: userDataSha256(content), sensitive, origin } };
}
