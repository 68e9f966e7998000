import { createHash } from "node:crypto";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { visit } from "yaml";
import type { DesiredFleet, FleetRoot } from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import type { RealPath } from "../model/real-path.js";
import type { SourceLocation } from "../model/source.js";
import { ConfigError } from "../model/errors.js";
import { decodeUtf8 } from "../model/user-data.js";
import { buildFleet } from "./build.js";
import type { FleetScope } from "./confine.js";
import { fileErrorReason, inside } from "./confine.js";
import { interpolateTree } from "./interpolate.js";
import type { EnvAccess, InterpolationIssue } from "./interpolate.js";
import type { ParsedFleetText } from "./parse.js";
import { formatPath, locate, locationAt, parseFleetText } from "./parse.js";
import type { RawFleet } from "./raw.js";
import type { ReadFile } from "./user-data-source.js";
import { sortDiagnostics, validateFleet } from "./validate.js";

export { resolveSecret } from "./secrets.js";
export type { ResolveSecretDeps, SecretContext } from "./secrets.js";

export interface LoadFleetDeps {
  /** Reads the fleet file and the user_data files it names. */
  readonly readFile: ReadFile;
  /** For `${env:VAR}` interpolation (only `REFORM_VAR_*` and the names in `allowEnv` are readable). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Variables `${env:NAME}` may read besides `REFORM_VAR_*`: the pipeline's `--allow-env` and `REFORM_ALLOW_ENV`. */
  readonly allowEnv?: readonly string[];
  /** Endpoint origins a fleet file may point providers at besides loopback: the pipeline's `--allow-endpoint`. */
  readonly allowEndpoints?: readonly string[];
  /** Relative paths are resolved from here; locations in messages are shown relative to it. */
  readonly cwd: string;
  /** Resolves symbolic links: every file the fleet names must really be inside the root. */
  readonly realPath: RealPath;
  /** The directory the fleet file's paths may reach, which must contain the fleet file (`--root`). @default its directory */
  readonly root?: string;
}

export interface LoadFleetOptions {
  /** Accept a file that declares no instances and no groups (`reform import` reads only its providers). @default false */
  readonly allowEmpty?: boolean;
}

/** Reads, parses, validates and builds a fleet file. Throws ConfigError with every problem found, each located. */
export async function loadFleet(
  path: string,
  deps: LoadFleetDeps,
  options: LoadFleetOptions = {},
): Promise<DesiredFleet> {
  const file = resolve(deps.cwd, path);
  let bytes: string | Buffer;
  try {
    bytes = await deps.readFile(file);
  } catch (error) {
    throw new ConfigError([
      { message: `cannot read fleet file ${displayName(file, deps.cwd)}: ${fileErrorReason(error)}` },
    ]);
  }
  const text = typeof bytes === "string" ? bytes : decodeUtf8(bytes);
  if (text === undefined)
    throw new ConfigError([
      {
        location: { file: displayName(file, deps.cwd), line: 1, column: 1 },
        message: "the fleet file is not UTF-8 text",
      },
    ]);
  return buildFromText(text, file, sha256(bytes), deps, options);
}

/** Like `loadFleet`, from text already in hand (`file` names it in messages and anchors relative paths). */
export async function loadFleetText(
  text: string,
  file: string,
  deps: LoadFleetDeps,
  options: LoadFleetOptions = {},
): Promise<DesiredFleet> {
  return buildFromText(text, resolve(deps.cwd, file), sha256(text), deps, options);
}

async function buildFromText(
  text: string,
  file: string,
  digest: string,
  deps: LoadFleetDeps,
  options: LoadFleetOptions,
): Promise<DesiredFleet> {
  const root = await fleetRoot(file, deps);
  const parsed = parseFleetText(text.replace(/^\uFEFF/, ""), displayName(file, deps.cwd));
  if (parsed.diagnostics.length > 0) throw new ConfigError(parsed.diagnostics);
  const data = checkedData(parsed, { env: deps.env, allowed: deps.allowEnv ?? [] });
  const diagnostics: Diagnostic[] = [];
  const scope: FleetScope = { ...root, realPath: deps.realPath };
  const built = await buildFleet(data, {
    parsed,
    scope,
    readFile: deps.readFile,
    allowedEndpoints: deps.allowEndpoints ?? [],
    diagnostics,
    allowEmpty: options.allowEmpty ?? false,
  });
  if (diagnostics.length > 0) throw new ConfigError(sortDiagnostics(diagnostics));
  return { file, sha256: digest, ...built, root };
}

/** The fleet file's directory and the root its paths may not leave, both with symbolic links resolved. */
async function fleetRoot(file: string, deps: LoadFleetDeps): Promise<FleetRoot> {
  const baseDir = (await deps.realPath(dirname(file))).path;
  if (deps.root === undefined) return { baseDir, root: baseDir, label: "the fleet file's directory" };
  const root = await deps.realPath(resolve(deps.cwd, deps.root));
  if (!root.exists) throw new ConfigError([{ message: `--root ${deps.root}: no such directory` }]);
  if (!inside(root.path, baseDir)) {
    throw new ConfigError([
      {
        message: `the fleet file ${displayName(file, deps.cwd)} is not inside --root ${deps.root}: the root must contain the fleet file`,
      },
    ]);
  }
  return { baseDir, root: root.path, label: `the --root directory (${deps.root})` };
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
function checkedData(parsed: ParsedFleetText, env: EnvAccess): RawFleet {
  let plain: unknown;
  try {
    plain = parsed.doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ConfigError([
      {
        location: unresolvedAlias(parsed) ?? locate(parsed, []),
        message: `cannot read the document: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
  }
  const issues: InterpolationIssue[] = [];
  const data = interpolateTree(plain, env, issues);
  const diagnostics: Diagnostic[] = issues.map((issue) => ({
    location: locate(parsed, issue.path),
    message: `${formatPath(issue.path)}: ${issue.message}`,
  }));
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
