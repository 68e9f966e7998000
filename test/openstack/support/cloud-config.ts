import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";

/** One clouds.yaml entry, as the user wrote it (auth_type, auth, region_name, endpoint overrides...). */
export type CloudEntry = Record<string, unknown>;

export interface CloudConfig {
  /** The OS_CLOUD name. */
  readonly name: string;
  /** Absolute path of the clouds.yaml the entry came from: reform gets it through OS_CLIENT_CONFIG_FILE. */
  readonly file: string;
  readonly entry: CloudEntry;
}

/** Where openstacksdk (and reform) look for clouds.yaml, in order. */
export function cloudsYamlCandidates(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const home = env["HOME"] ?? homedir();
  return [
    ...(env["OS_CLIENT_CONFIG_FILE"] ? [resolve(cwd, env["OS_CLIENT_CONFIG_FILE"])] : []),
    join(cwd, "clouds.yaml"),
    join(home, ".config", "openstack", "clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  ];
}

/**
 * The cloud the suite runs against: OS_CLOUD looked up in the first clouds.yaml that has it, with
 * secure.yaml (next to it) merged over it. Throws a message naming the files searched when OS_CLOUD is
 * set but not found: a configured-but-broken cloud is a failure, never a silent skip.
 */
export function loadCloudConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CloudConfig {
  const name = env["OS_CLOUD"];
  if (!name)
    throw new Error(
      "OS_CLOUD is not set: the OpenStack integration suite needs a cloud (see docs/nova-integration.md)",
    );
  const searched = cloudsYamlCandidates(env, cwd);
  for (const file of searched) {
    if (!existsSync(file)) continue;
    const entry = cloudsOf(file)[name];
    if (entry === undefined) continue;
    const secure = cloudsOf(join(file, "..", "secure.yaml"))[name];
    return { name, file, entry: mergeDeep(entry, secure ?? {}) };
  }
  throw new Error(`cloud "${name}" (OS_CLOUD) is in none of: ${searched.join(", ")}`);
}

function cloudsOf(file: string): Record<string, CloudEntry> {
  if (!existsSync(file)) return {};
  const doc = parse(readFileSync(file, "utf8")) as { clouds?: Record<string, CloudEntry> } | null;
  return doc?.clouds ?? {};
}

function mergeDeep(base: CloudEntry, over: CloudEntry): CloudEntry {
  const out: CloudEntry = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

function isObject(value: unknown): value is CloudEntry {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every secret the entry holds (passwords, tokens, application credential secrets): the suite scans reform's output for them. */
export function secretsOf(entry: CloudEntry): string[] {
  const auth = isObject(entry["auth"]) ? entry["auth"] : {};
  return ["password", "token", "application_credential_secret"]
    .map((key) => auth[key])
    .filter((v): v is string => typeof v === "string" && v.length >= 4);
}
