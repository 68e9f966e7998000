import { createHash } from "node:crypto";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { visit } from "yaml";
import type { DesiredFleet } from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import type { SourceLocation } from "../model/source.js";
import { ConfigError } from "../model/errors.js";
import { decodeUtf8 } from "../model/user-data.js";
import { buildFleet } from "./build.js";
import { interpolateTree } from "./interpolate.js";
import type { InterpolationIssue } from "./interpolate.js";
import type { ParsedFleetText } from "./parse.js";
import { formatPath, locate, locationAt, parseFleetText } from "./parse.js";
import type { RawFleet } from "./raw.js";
import type { ReadFile } from "./user-data-source.js";
import { fileErrorReason } from "./user-data-source.js";
import { sortDiagnostics, validateFleet } from "./validate.js";

export { resolveSecret } from "./secrets.js";
export type { ResolveSecretDeps, SecretContext } from "./secrets.js";

export interface LoadFleetDeps {
  /** Reads the fleet file and the user_data files it names. */
  readonly readFile: ReadFile;
  /** For `${env:VAR}` interpolation. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths are resolved from here; locations in messages are shown relative to it. */
  readonly cwd: string;
}

/** Reads, parses, validates and builds a fleet file. Throws ConfigError with every problem found, each located. */
export async function loadFleet(path: string, deps: LoadFleetDeps): Promise<DesiredFleet> {
  const file = resolve(deps.cwd, path);
  let bytes: string | Buffer;
  try {
    bytes = await deps.readFile(file);
  } catch (error) {
    throw new ConfigError([{ message: `cannot read fleet file ${displayName(file, deps.cwd)}: ${fileErrorReason(error)}` }]);
  }
  const text = typeof bytes === "string" ? bytes : decodeUtf8(bytes);
  if (text === undefined) throw new ConfigError([{ location: { file: displayName(file, deps.cwd), line: 1, column: 1 }, message: "the fleet file is not UTF-8 text" }]);
  return buildFromText(text, file, sha256(bytes), deps);
}

/** Like `loadFleet`, from text already in hand (`file` names it in messages and anchors relative paths). */
export async function loadFleetText(text: string, file: string, deps: LoadFleetDeps): Promise<DesiredFleet> {
  return buildFromText(text, resolve(deps.cwd, file), sha256(text), deps);
}

async function buildFromText(text: string, file: string, digest: string, deps: LoadFleetDeps): Promise<DesiredFleet> {
  const parsed = parseFleetText(text.replace(/^\uFEFF/, ""), displayName(file, deps.cwd));
  if (parsed.diagnostics.length > 0) throw new ConfigError(parsed.diagnostics);
  const data = checkedData(parsed, deps.env);
  const diagnostics: Diagnostic[] = [];
  const built = await buildFleet(data, { parsed, baseDir: dirname(file), readFile: deps.readFile, diagnostics });
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics));
  return { file, sha256: digest, ...built };
}

/** Where the first alias without an anchor is written (`*name` before or without `&name`). */
function unresolvedAlias(parsed: ParsedFleetText): SourceLocation | undefined {
  let offset: number | undefined;
  visit(parsed.doc, {
    Alias(_key, node) {
      if (node.range && node.resolve(parsed.doc) === undefined) {
        offset = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset === undefined ? undefined : locationAt(parsed, offset);
}

/** Interpolated and schema-valid data, or a ConfigError with every interpolation and schema problem. */
function checkedData(parsed: ParsedFleetText, env: Readonly<Record<string, string | undefined>>): RawFleet {
  let plain: unknown;
  try {
    plain = parsed.doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ConfigError([{ location: unresolvedAlias(parsed) ?? locate(parsed, []), message: `cannot read the document: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const issues: InterpolationIssue[] = [];
  const data = interpolateTree(plain, env, issues);
  const diagnostics: Diagnostic[] = issues.map((issue) => ({ location: locate(parsed, issue.path), message: `${formatPath(issue.path)}: ${issue.message}` }));
  diagnostics.push(...validateFleet(data, parsed));
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics));
  return data as RawFleet;
}

function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The file as shown in messages: relative to `cwd` when inside it, else absolute. */
function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}
