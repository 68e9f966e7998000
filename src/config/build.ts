import { resolve } from "node:path";
import { ANNOTATION_PREFIX } from "../model/annotations.js";
import type { DeclaredInstance, DesiredFleet, DesiredGroup, PartialSpec, ProviderConfig, ProviderType, SpecLayer } from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import { formatLocation } from "../model/source.js";
import type { NodePath, ParsedFleetText } from "./parse.js";
import { formatPath, locate, locateKey } from "./parse.js";
import type { RawFleet, RawGroup, RawInstance, RawLayer, RawSpec } from "./raw.js";
import { buildRollout } from "./rollout.js";
import { didYouMean } from "./suggest.js";
import type { ReadFile } from "./user-data-source.js";
import { resolveUserData } from "./user-data-source.js";

export interface BuildContext {
  readonly parsed: ParsedFleetText;
  /** Directory of the fleet file: relative paths start here. */
  readonly baseDir: string;
  readonly readFile: ReadFile;
  /** Problems found while building are appended here. */
  readonly diagnostics: Diagnostic[];
}

export type BuiltFleet = Omit<DesiredFleet, "file" | "sha256">;

/** Builds the fleet from schema-valid data: cross-references, reserved keys and user_data sources are checked here. */
export async function buildFleet(raw: RawFleet, ctx: BuildContext): Promise<BuiltFleet> {
  const providers = buildProviders(raw, ctx);
  const names = providers.map((p) => p.name);
  const defaults = await buildLayer(raw.defaults ?? {}, ["defaults"], ctx);
  const groups = await buildGroups(raw.groups ?? [], names, ctx);
  const instances = await buildInstances(raw.instances ?? [], names, ctx);
  if (instances.length === 0 && groups.length === 0) {
    ctx.diagnostics.push({ location: locate(ctx.parsed, []), message: "the fleet declares no instances and no groups: nothing to manage" });
  }
  const journal = resolve(ctx.baseDir, raw.journal ?? ".reform/journal.jsonl");
  return { providers, defaults, groups, instances, journal };
}

function buildProviders(raw: RawFleet, ctx: BuildContext): ProviderConfig[] {
  return Object.entries(raw.providers).map(([name, entry]) => {
    const { type, ...options } = entry;
    return { name, type: type as ProviderType, options, source: locateKey(ctx.parsed, ["providers", name]) };
  });
}

async function buildGroups(raw: readonly RawGroup[], providers: readonly string[], ctx: BuildContext): Promise<DesiredGroup[]> {
  const seen = new Map<string, string>();
  const groups: DesiredGroup[] = [];
  for (const [index, group] of raw.entries()) {
    const path = ["groups", index];
    const source = locate(ctx.parsed, path);
    const first = seen.get(group.name);
    if (first !== undefined) ctx.diagnostics.push({ location: locate(ctx.parsed, [...path, "name"]), message: `duplicate group name '${group.name}' (first declared at ${first})` });
    else if (group.name === "default") ctx.diagnostics.push({ location: locate(ctx.parsed, [...path, "name"]), message: "group name 'default' is reserved for servers that match no group" });
    seen.set(group.name, seen.get(group.name) ?? formatLocation(source));
    if (group.provider !== undefined) checkProvider(group.provider, [...path, "provider"], providers, ctx);
    const layer = await buildLayer(group, path, ctx);
    groups.push({ ...layer, name: group.name, ...(group.provider !== undefined ? { provider: group.provider } : {}), match: group.match, source });
  }
  return groups;
}

async function buildInstances(raw: readonly RawInstance[], providers: readonly string[], ctx: BuildContext): Promise<DeclaredInstance[]> {
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
      ctx.diagnostics.push({ location: source, message: `duplicate instance: ${instance.provider} server ${what} is already declared at ${first}` });
    } else seen.set(key, formatLocation(source));
    const layer = await buildLayer({ ...(instance.spec ? { spec: instance.spec } : {}), ...(instance.policy ? { policy: instance.policy } : {}) }, path, ctx);
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
  return { spec: raw.policy ? { ...spec, changePolicy: { ...raw.policy } } : spec, rollout: buildRollout(raw.rollout ?? {}) };
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
  if (raw.password !== undefined) spec.password = "env" in raw.password ? { env: raw.password.env } : { file: raw.password.file };
  if (raw.userData !== undefined) {
    const result = await resolveUserData(raw.userData, ctx.baseDir, ctx.readFile);
    if (result.type === "ok") spec.userData = result.spec;
    else ctx.diagnostics.push({ location: locate(ctx.parsed, [...path, "userData", result.key]), message: `${formatPath([...path, "userData"])}: ${result.message}` });
  }
  return spec;
}

function checkMetadataKeys(metadata: Readonly<Record<string, string>>, path: NodePath, ctx: BuildContext): Readonly<Record<string, string>> {
  for (const key of Object.keys(metadata)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    ctx.diagnostics.push({
      location: locateKey(ctx.parsed, [...path, key]),
      message: `metadata key '${key}' is reserved: keys starting with '${ANNOTATION_PREFIX}' are reform's own annotations`,
    });
  }
  return { ...metadata };
}
