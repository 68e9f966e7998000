import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../model/errors.js";
import type { CloudEntry } from "./cloud-entry.js";
import { connectionFromEntry, isRecord, normalizeEntry } from "./cloud-entry.js";
import type { OpenStackConnection } from "./connection.js";

/** Where configuration comes from: passed in so tests are hermetic. */
export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory searched first for `clouds.yaml` (after $OS_CLIENT_CONFIG_FILE). */
  readonly cwd: string;
  readonly homeDir: string;
  readonly readFile: (path: string) => Promise<string | Buffer>;
}

export interface ResolveConnectionRequest {
  /** The clouds.yaml entry to use. @default $OS_CLOUD, else the `envvars` cloud, else the only cloud defined */
  readonly cloud?: string;
  /** Overrides the cloud's region. */
  readonly region?: string;
}

/** Selector variables: alone, they do not make an `envvars` cloud. */
const SELECTORS = new Set([
  "OS_CLOUD",
  "OS_REGION_NAME",
  "OS_CLIENT_CONFIG_FILE",
  "OS_CLIENT_SECURE_FILE",
  "OS_CLOUD_NAME",
]);
const EXTENSIONS = ["yaml", "yml", "json"] as const;

/** The directories openstacksdk searches, in order: cwd, the user config dir, /etc/openstack. */
export function configDirs(sources: Pick<ConfigSources, "cwd" | "homeDir">): string[] {
  return [sources.cwd, join(sources.homeDir, ".config", "openstack"), "/etc/openstack"];
}

/** Candidate paths for `clouds` or `secure`, in search order; the env override first. */
export function candidatePaths(base: "clouds" | "secure", sources: ConfigSources): string[] {
  const override = sources.env[base === "clouds" ? "OS_CLIENT_CONFIG_FILE" : "OS_CLIENT_SECURE_FILE"];
  const paths = configDirs(sources).flatMap((dir) => EXTENSIONS.map((ext) => join(dir, `${base}.${ext}`)));
  return override ? [override, ...paths] : paths;
}

interface FoundFile {
  readonly path: string;
  readonly clouds: Record<string, CloudEntry>;
}

/** The first file that exists and reads; files are not merged. An unparsable file is an error, not skipped silently. */
async function findFile(paths: readonly string[], readFile: ConfigSources["readFile"]): Promise<FoundFile | undefined> {
  for (const path of paths) {
    let text: string;
    try {
      text = String(await readFile(path));
    } catch {
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (error) {
      throw new ConfigError([
        { message: `${path} is not valid YAML: ${(error as Error).message.split("\n")[0] ?? ""}` },
      ]);
    }
    const clouds = isRecord(doc) && isRecord(doc["clouds"]) ? doc["clouds"] : {};
    return { path, clouds: clouds as Record<string, CloudEntry> };
  }
  return undefined;
}

/** `OS_FOO_BAR` → `foo_bar` (OS_TEST*, OS_STD*, OS_LOG* and selectors excluded). Undefined when no such variable is set. */
export function envCloud(env: ConfigSources["env"]): CloudEntry | undefined {
  const entry: CloudEntry = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("OS_") || value === undefined || value === "" || SELECTORS.has(name)) continue;
    if (/^OS_(TEST|STD|LOG)/.test(name)) continue;
    entry[name.slice(3).toLowerCase()] = value;
  }
  if (Object.keys(entry).length === 0) return undefined;
  if (env["OS_REGION_NAME"]) entry["region_name"] = env["OS_REGION_NAME"];
  return normalizeEntry(entry);
}

/** Deep merge, `over` wins; arrays and scalars are replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/**
 * Resolves a cloud connection as openstacksdk does: clouds.yaml (first found of $OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack,
 * /etc/openstack; .yaml/.yml/.json), secure.yaml searched the same way and deep-merged over it, the `envvars` cloud built from
 * OS_* variables, and $OS_CLOUD choosing when the request names no cloud.
 */
export async function resolveConnection(
  req: ResolveConnectionRequest,
  sources: ConfigSources,
): Promise<OpenStackConnection> {
  const cloudsPaths = candidatePaths("clouds", sources);
  const found = await findFile(cloudsPaths, sources.readFile);
  const secure = await findFile(candidatePaths("secure", sources), sources.readFile);
  const fromEnv = envCloud(sources.env);
  const envName = sources.env["OS_CLOUD_NAME"] || "envvars";
  const fileClouds = found?.clouds ?? {};
  const name = req.cloud ?? (sources.env["OS_CLOUD"] || undefined) ?? (fromEnv ? envName : singleCloud(fileClouds));
  if (name === undefined) throw missing(undefined, found, cloudsPaths, fileClouds);
  const region = req.region ?? (sources.env["OS_REGION_NAME"] || undefined);
  if (fromEnv && name === envName && !(name in fileClouds))
    return connectionFromEntry(fromEnv, "environment (OS_* variables)", region, "environment");
  const raw = fileClouds[name];
  if (!found || !isRecord(raw)) throw missing(name, found, cloudsPaths, fileClouds);
  const secureEntry = secure?.clouds[name];
  const merged = isRecord(secureEntry) ? deepMerge(raw, secureEntry) : raw;
  const origin = `cloud "${name}" in ${found.path}${isRecord(secureEntry) ? ` (+ ${secure?.path ?? ""})` : ""}`;
  return connectionFromEntry(normalizeEntry(merged), origin, region);
}

function singleCloud(clouds: Record<string, CloudEntry>): string | undefined {
  const names = Object.keys(clouds);
  return names.length === 1 ? names[0] : undefined;
}

function missing(
  name: string | undefined,
  found: FoundFile | undefined,
  looked: readonly string[],
  clouds: Record<string, CloudEntry>,
): ConfigError {
  const where = found
    ? ` in ${found.path} (clouds defined: ${Object.keys(clouds).join(", ") || "none"})`
    : `: no clouds.yaml found (looked in ${looked.join(", ")})`;
  const message =
    name === undefined
      ? `openstack: no cloud selected: set "cloud" on the provider or $OS_CLOUD, or set OS_* variables${where}`
      : `openstack: cloud "${name}" not found${where}`;
  return new ConfigError([{ message }]);
}
