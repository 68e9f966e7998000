import { ANNOTATION_PREFIX } from "../model/annotations.js";
import type {
  DeclaredInstance,
  DesiredFleet,
  DesiredGroup,
  PartialSpec,
  ProviderConfig,
  ProviderType,
  SpecLayer,
} from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import { formatLocation } from "../model/source.js";
import type { FleetScope } from "./confine.js";
import { confinePath } from "./confine.js";
import type { NodePath, ParsedFleetText } from "./parse.js";
import { formatPath, locate, locateKey } from "./parse.js";
import type { RawFleet, RawGroup, RawInstance, RawLayer, RawSpec } from "./raw.js";
import { checkHealthGates } from "./health-gates.js";
import { buildRollout } from "./rollout.js";
import { didYouMean } from "../model/suggest.js";
import type { ReadFile } from "./user-data-source.js";
import { resolveUserData } from "./user-data-source.js";

export interface BuildContext {
  readonly parsed: ParsedFleetText;
  /** Where relative paths start and what they may not leave. */
  readonly scope: FleetScope;
  readonly readFile: ReadFile;
  /** Origins (`https://host:port`) the pipeline lets a fleet file send requests to, besides loopback. */
  readonly allowedEndpoints: readonly string[];
  /** Problems found while building are appended here. */
  readonly diagnostics: Diagnostic[];
  /** A fleet that declares no instances and no groups is not an error. @default false */
  readonly allowEmpty?: boolean;
}

export type BuiltFleet = Omit<DesiredFleet, "file" | "sha256" | "root">;

/**
 * Provider options that name files: whether reform reads or writes them, what to call them, and the path used when
 * the fleet file names none. Every one, defaults included (`.reform` could be a link in the repository), is confined
 * to the fleet's scope and handed to the provider as a checked absolute path; a file to read must exist.
 */
interface PathOption {
  readonly access: "read" | "write";
  readonly what: string;
  readonly byDefault?: (provider: string) => string;
}

const PATH_OPTIONS: Readonly<Record<ProviderType, Readonly<Record<string, PathOption>>>> = {
  openstack: { cacert: { access: "read", what: "CA bundle" } },
  huaweicloud: {},
  jdcloud: {},
  sim: {
    world: { access: "read", what: "world file" },
    state: { access: "write", what: "state file", byDefault: (provider) => `.reform/sim-${provider}.json` },
  },
};

/**
 * Provider options that choose where requests (and so the pipeline's credentials: a Keystone password, a security
 * token, signatures) go. A pull request must not redirect them: only loopback addresses (the emulator) and the
 * endpoints the pipeline allows are accepted from a fleet file.
 */
const ENDPOINT_OPTIONS: Readonly<Record<ProviderType, readonly string[]>> = {
  openstack: ["identityEndpoint", "computeEndpoint", "imageEndpoint", "blockStorageEndpoint"],
  huaweicloud: ["endpoint", "iamEndpoint"],
  jdcloud: ["endpoint"],
  sim: [],
};

/** Builds the fleet from schema-valid data: cross-references, reserved keys and user_data sources are checked here. */
export async function buildFleet(raw: RawFleet, ctx: BuildContext): Promise<BuiltFleet> {
  const providers = await buildProviders(raw, ctx);
  const names = providers.map((p) => p.name);
  const defaults = await buildLayer(raw.defaults ?? {}, ["defaults"], ctx);
  const groups = await buildGroups(raw.groups ?? [], names, ctx);
  const instances = await buildInstances(raw.instances ?? [], names, ctx);
  checkHealthGates(raw, ctx.parsed, ctx.diagnostics);
  if (instances.length === 0 && groups.length === 0 && ctx.allowEmpty !== true) {
    ctx.diagnostics.push({
      location: locate(ctx.parsed, []),
      message: "the fleet declares no instances and no groups: nothing to manage",
    });
  }
  const journal =
    raw.journal !== undefined
      ? { written: raw.journal, at: ["journal"], given: true }
      : { written: ".reform/journal.jsonl", at: [], given: false };
  const journalPath = (await fleetPath({ ...journal, access: "write", what: "journal" }, ctx)) ?? "";
  return {
    providers,
    defaults,
    groups,
    instances,
    journal: journalPath,
    ...(raw.limits === undefined ? {} : { limits: { ...raw.limits } }),
  };
}

async function buildProviders(raw: RawFleet, ctx: BuildContext): Promise<ProviderConfig[]> {
  const providers: ProviderConfig[] = [];
  for (const [name, entry] of Object.entries(raw.providers)) {
    const { type, ...written } = entry;
    const options: Record<string, unknown> = { ...written };
    const providerType = type as ProviderType;
    for (const [key, { access, what, byDefault }] of Object.entries(PATH_OPTIONS[providerType] ?? {})) {
      const value = written[key as keyof typeof written] as unknown;
      const path =
        typeof value === "string"
          ? { written: value, at: ["providers", name, key], given: true }
          : byDefault
            ? { written: byDefault(name), at: ["providers", name], given: false }
            : undefined;
      if (path === undefined) continue;
      const checked = await fleetPath({ ...path, access, what }, ctx);
      if (checked !== undefined) options[key] = checked;
    }
    for (const key of ENDPOINT_OPTIONS[providerType] ?? []) {
      const value = written[key as keyof typeof written] as unknown;
      const problem = typeof value === "string" ? endpointProblem(value, ctx.allowedEndpoints) : undefined;
      if (problem !== undefined)
        ctx.diagnostics.push({
          location: locate(ctx.parsed, ["providers", name, key]),
          message: `${formatPath(["providers", name, key])}: ${problem}`,
        });
    }
    providers.push({ name, type: providerType, options, source: locateKey(ctx.parsed, ["providers", name]) });
  }
  return providers;
}

/** Why a fleet file may not send this provider's requests to `url`, or undefined when it may. */
function endpointProblem(url: string, allowed: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not a URL`;
  }
  if (isLoopback(parsed.hostname) || allowed.some((origin) => sameOrigin(origin, parsed))) return undefined;
  return `${parsed.origin} is chosen by the fleet file, and the pipeline's credentials for this provider would be sent there: a pipeline allows it with --allow-endpoint ${parsed.origin} (or REFORM_ALLOW_ENDPOINTS=${parsed.origin}); loopback addresses need no allowing`;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function sameOrigin(allowed: string, url: URL): boolean {
  try {
    return new URL(allowed).origin === url.origin;
  } catch {
    return false;
  }
}

/** A file path of the fleet: as written (or the default), where it is written (or its provider, for a default), and for what. */
interface FleetPath extends Omit<PathOption, "byDefault"> {
  readonly written: string;
  readonly at: NodePath;
  /** False for a default path, which the message says. */
  readonly given: boolean;
}

/** The checked absolute path of a file the fleet file names, or undefined after a located diagnostic: outside the scope, or (to read) missing. */
async function fleetPath(
  { written, at, given, access, what }: FleetPath,
  ctx: BuildContext,
): Promise<string | undefined> {
  const confined = await confinePath(written, ctx.scope);
  const problem =
    confined.type === "error"
      ? `${what} ${confined.message}`
      : access === "read" && !confined.exists
        ? `${what} '${written}' not found`
        : undefined;
  if (problem === undefined && confined.type === "ok") return confined.path;
  const hint = given ? "" : " (the default path; name another one inside)";
  ctx.diagnostics.push({
    location: locate(ctx.parsed, at),
    message: `${at.length > 0 ? `${formatPath(at)}: ` : ""}${problem ?? ""}${hint}`,
  });
  return undefined;
}

async function buildGroups(
  raw: readonly RawGroup[],
  providers: readonly string[],
  ctx: BuildContext,
): Promise<DesiredGroup[]> {
  const seen = new Map<string, string>();
  const groups: DesiredGroup[] = [];
  for (const [index, group] of raw.entries()) {
    const path = ["groups", index];
    const source = locate(ctx.parsed, path);
    const first = seen.get(group.name);
    if (first !== undefined)
      ctx.diagnostics.push({
        location: locate(ctx.parsed, [...path, "name"]),
        message: `duplicate group name '${group.name}' (first declared at ${first})`,
      });
    else if (group.name === "default")
      ctx.diagnostics.push({
        location: locate(ctx.parsed, [...path, "name"]),
        message: "group name 'default' is reserved for servers that match no group",
      });
    seen.set(group.name, seen.get(group.name) ?? formatLocation(source));
    if (group.provider !== undefined) checkProvider(group.provider, [...path, "provider"], providers, ctx);
    const layer = await buildLayer(group, path, ctx);
    groups.push({
      ...layer,
      name: group.name,
      ...(group.provider !== undefined ? { provider: group.provider } : {}),
      match: group.match,
      source,
    });
  }
  return groups;
}

async function buildInstances(
  raw: readonly RawInstance[],
  providers: readonly string[],
  ctx: BuildContext,
): Promise<DeclaredInstance[]> {
  const seen = new Map<string, string>();
  const instances: DeclaredInstance[] = [];
  for (const [index, instance] of raw.entries()) {
    const path = ["instances", index];
    const source = locate(ctx.parsed, path);
    checkProvider(instance.provider, [...path, "provider"], providers, ctx);
    const selector = instance.id !== undefined ? { id: instance.id } : { name: instance.name ?? "" };
    const key = `${instance.provider}/${"id" in selector ? `id:${selector.id}` : selector.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      const what = "id" in selector ? `id ${selector.id}` : `'${selector.name}'`;
      ctx.diagnostics.push({
        location: source,
        message: `duplicate instance: ${instance.provider} server ${what} is already declared at ${first}`,
      });
    } else seen.set(key, formatLocation(source));
    const layer = await buildLayer(
      { ...(instance.spec ? { spec: instance.spec } : {}), ...(instance.policy ? { policy: instance.policy } : {}) },
      path,
      ctx,
    );
    instances.push({ ...layer, provider: instance.provider, selector, source });
  }
  return instances;
}

function checkProvider(name: string, path: NodePath, providers: readonly string[], ctx: BuildContext): void {
  if (providers.includes(name)) return;
  ctx.diagnostics.push({
    location: locate(ctx.parsed, path),
    message: `unknown provider '${name}': declared providers are ${providers.join(", ")}${didYouMean(name, providers)}`,
  });
}

async function buildLayer(raw: RawLayer, path: NodePath, ctx: BuildContext): Promise<SpecLayer> {
  const spec = await buildSpec(raw.spec ?? {}, [...path, "spec"], ctx);
  return {
    spec: raw.policy ? { ...spec, changePolicy: { ...raw.policy } } : spec,
    rollout: buildRollout(raw.rollout ?? {}),
  };
}

async function buildSpec(raw: RawSpec, path: NodePath, ctx: BuildContext): Promise<PartialSpec> {
  const spec: { -readonly [K in keyof PartialSpec]: PartialSpec[K] } = {};
  if (raw.image !== undefined) spec.image = "id" in raw.image ? { id: raw.image.id } : { name: raw.image.name };
  if (raw.keyPair !== undefined) spec.keyPair = raw.keyPair;
  if (raw.metadata !== undefined) spec.metadata = checkMetadataKeys(raw.metadata, [...path, "metadata"], ctx);
  if (raw.metadataPolicy !== undefined) spec.metadataPolicy = raw.metadataPolicy;
  if (raw.ignoreMetadata !== undefined) spec.ignoreMetadata = [...raw.ignoreMetadata];
  if (raw.reboot !== undefined) spec.reboot = { token: raw.reboot.token, type: raw.reboot.type ?? "SOFT" };
  if (raw.power !== undefined) spec.power = raw.power;
  if (raw.password !== undefined)
    spec.password = "env" in raw.password ? { env: raw.password.env } : { file: raw.password.file };
  if (raw.password !== undefined && "file" in raw.password) {
    // Read only when a step needs it (the secret may exist only where apply runs), but never outside the scope.
    const confined = await confinePath(raw.password.file, ctx.scope);
    if (confined.type === "error")
      ctx.diagnostics.push({
        location: locate(ctx.parsed, [...path, "password", "file"]),
        message: `${formatPath([...path, "password"])}: secret file ${confined.message}`,
      });
  }
  if (raw.userData !== undefined) {
    const result = await resolveUserData(raw.userData, ctx.scope, ctx.readFile);
    if (result.type === "ok") spec.userData = result.spec;
    else
      ctx.diagnostics.push({
        location: locate(ctx.parsed, [...path, "userData", result.key]),
        message: `${formatPath([...path, "userData"])}: ${result.message}`,
      });
  }
  return spec;
}

function checkMetadataKeys(
  metadata: Readonly<Record<string, string>>,
  path: NodePath,
  ctx: BuildContext,
): Readonly<Record<string, string>> {
  for (const key of Object.keys(metadata)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    ctx.diagnostics.push({
      location: locateKey(ctx.parsed, [...path, key]),
      message: `metadata key '${key}' is reserved: keys starting with '${ANNOTATION_PREFIX}' are reform's own annotations`,
    });
  }
  return { ...metadata };
}
