import type { InstanceSelector } from "../model/desired.js";
import { groupNameOf, nameGlob, ServerNames } from "./globs.js";
import { fleetLiteral } from "./literal.js";
import type { ImportedServer, ImportedSpec } from "./types.js";

/** One provider's imported servers, and the names of its servers that are not imported (no group may select those). */
export interface ProviderImport {
  readonly provider: string;
  readonly servers: readonly ImportedServer[];
  /** Servers left out or not asked for: a group glob must not select them. */
  readonly others: readonly string[];
}

interface Unit {
  readonly provider: string;
  /** The spec written for the unit: its members' spec without what `defaults` already says. */
  readonly spec: ImportedSpec;
  /** Sorted by name, then id. */
  readonly members: readonly ImportedServer[];
}

/** Servers of one provider with the same spec, selected by a name glob that fits exactly. */
export interface ComposedGroup extends Unit {
  readonly name: string;
  readonly glob: string;
}

/** One server, by name (unique in its provider) or by id. */
export interface ComposedInstance extends Unit {
  readonly selector: InstanceSelector;
}

/** The fleet as a person would write it: shared values in `defaults`, groups of equal servers, the rest one by one. */
export interface ComposedFleet {
  readonly defaults: ImportedSpec;
  readonly groups: readonly ComposedGroup[];
  readonly instances: readonly ComposedInstance[];
}

/** Group names the fleet file reserves. */
const RESERVED_GROUP_NAMES = new Set(["default"]);

/**
 * Composes the fleet (pure): per provider, servers with the same spec become a group when a name glob selects
 * exactly them; the others are instances (by id when their name is not unique in the provider). A value goes to
 * `defaults` when every server states that field, more than half share the value, and at least two entries do.
 * The result is sorted, so the same servers always give the same fleet.
 */
export function composeFleet(providers: readonly ProviderImport[]): ComposedFleet {
  const units: {
    readonly group?: { readonly glob: string };
    readonly selector?: InstanceSelector;
    readonly unit: Unit;
  }[] = [];
  for (const p of providers) {
    const counts = nameCounts(p);
    const byId = (s: ImportedServer) =>
      (counts.get(s.name) ?? 0) > 1 || s.name === "" || fleetLiteral(s.name) === undefined;
    const named = sortServers(p.servers.filter((s) => !byId(s)));
    const names = new ServerNames([...p.servers.map((s) => s.name), ...p.others]);
    for (const server of sortServers(p.servers.filter(byId)))
      units.push({ selector: { id: server.id }, unit: { provider: p.provider, spec: server.spec, members: [server] } });
    for (const members of bySpec(named)) {
      const glob =
        members.length > 1
          ? nameGlob(
              members.map((m) => m.name),
              names,
            )
          : undefined;
      if (glob !== undefined)
        units.push({ group: { glob }, unit: { provider: p.provider, spec: members[0]?.spec ?? {}, members } });
      else
        for (const m of members)
          units.push({ selector: { name: m.name }, unit: { provider: p.provider, spec: m.spec, members: [m] } });
    }
  }
  const defaults = sharedDefaults(units.map((u) => u.unit));
  const order = new Map(providers.map((p, index) => [p.provider, index]));
  const byProvider = (a: Unit, b: Unit) => (order.get(a.provider) ?? 0) - (order.get(b.provider) ?? 0);
  const groups = units
    .flatMap((u) => (u.group ? [{ ...u.unit, spec: withoutDefaults(u.unit.spec, defaults), glob: u.group.glob }] : []))
    .sort((a, b) => byProvider(a, b) || compare(a.glob, b.glob));
  const instances = units
    .flatMap((u) =>
      u.selector ? [{ ...u.unit, spec: withoutDefaults(u.unit.spec, defaults), selector: u.selector }] : [],
    )
    .sort(
      (a, b) =>
        byProvider(a, b) ||
        compare(a.members[0]?.name ?? "", b.members[0]?.name ?? "") ||
        compare(a.members[0]?.id ?? "", b.members[0]?.id ?? ""),
    );
  return { defaults, groups: nameGroups(groups, providers.length > 1), instances };
}

function nameCounts(p: ProviderImport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of [...p.servers.map((s) => s.name), ...p.others]) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function sortServers(servers: readonly ImportedServer[]): ImportedServer[] {
  return [...servers].sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
}

/** Servers with equal specs, in the order of their first member. */
function bySpec(servers: readonly ImportedServer[]): ImportedServer[][] {
  const buckets = new Map<string, ImportedServer[]>();
  for (const server of servers) {
    const key = specKey(server.spec);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(server);
    else buckets.set(key, [server]);
  }
  return [...buckets.values()];
}

/** Equal specs give equal keys (metadata sorted). */
export function specKey(spec: ImportedSpec): string {
  const metadata =
    spec.metadata === undefined ? undefined : Object.entries(spec.metadata).sort(([a], [b]) => compare(a, b));
  return JSON.stringify([spec.image, spec.keyPair, metadata, spec.userData, spec.power].map(valueKey));
}

/** A field `defaults` can carry: one of the spec's own, or one metadata key. */
type Field = "image" | "keyPair" | "userData" | "power" | `metadata.${string}`;

function fieldValue(spec: ImportedSpec, field: Field): unknown {
  if (field.startsWith("metadata.")) {
    const key = field.slice("metadata.".length);
    return spec.metadata && Object.hasOwn(spec.metadata, key) ? spec.metadata[key] : undefined;
  }
  return spec[field as "image" | "keyPair" | "userData" | "power"];
}

function valueKey(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value);
}

/** Values every server states and most servers (and at least two entries) share. */
function sharedDefaults(units: readonly Unit[]): ImportedSpec {
  const servers = units.reduce((n, u) => n + u.members.length, 0);
  const keys = new Set(units.flatMap((u) => Object.keys(u.spec.metadata ?? {})));
  const fields: Field[] = [
    "image",
    "keyPair",
    "userData",
    "power",
    ...[...keys].sort().map((k): Field => `metadata.${k}`),
  ];
  const defaults: Record<string, unknown> = {};
  const metadata: Record<string, string> = {};
  for (const field of fields) {
    const shared = mostShared(units, field);
    if (!shared || shared.servers * 2 <= servers || shared.units < 2) continue;
    if (field.startsWith("metadata.")) metadata[field.slice("metadata.".length)] = shared.value as string;
    else defaults[field] = shared.value;
  }
  return { ...(defaults as ImportedSpec), ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
}

/** The value of `field` most servers have (ties: the smallest key), when every server states the field. */
function mostShared(
  units: readonly Unit[],
  field: Field,
): { readonly value: unknown; readonly servers: number; readonly units: number } | undefined {
  const tally = new Map<string, { value: unknown; servers: number; units: number }>();
  for (const unit of units) {
    const value = fieldValue(unit.spec, field);
    if (value === undefined) return undefined;
    const key = valueKey(value);
    const entry = tally.get(key) ?? { value, servers: 0, units: 0 };
    entry.servers += unit.members.length;
    entry.units += 1;
    tally.set(key, entry);
  }
  const ranked = [...tally.entries()].sort(([ka, a], [kb, b]) => b.servers - a.servers || compare(ka, kb));
  return ranked[0]?.[1];
}

/** The spec minus what `defaults` gives it already (metadata key by key). */
function withoutDefaults(spec: ImportedSpec, defaults: ImportedSpec): ImportedSpec {
  const out: Record<string, unknown> = {};
  for (const field of ["image", "keyPair", "userData", "power"] as const) {
    if (spec[field] !== undefined && valueKey(spec[field]) !== valueKey(defaults[field])) out[field] = spec[field];
  }
  const inherited = defaults.metadata ?? {};
  const metadata = Object.fromEntries(
    Object.entries(spec.metadata ?? {}).filter(
      ([key, value]) => !(Object.hasOwn(inherited, key) && inherited[key] === value),
    ),
  );
  const ordered = {
    image: out["image"],
    keyPair: out["keyPair"],
    metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
    userData: out["userData"],
    power: out["power"],
  };
  return Object.fromEntries(Object.entries(ordered).filter(([, value]) => value !== undefined)) as ImportedSpec;
}

/** Group names from their members' names (`web-01`, `web-02` → `web`), unique, never a reserved name; the provider's name is added where needed. */
function nameGroups<T extends Unit & { readonly glob: string }>(
  groups: readonly T[],
  manyProviders: boolean,
): (T & { readonly name: string })[] {
  const taken = new Set(RESERVED_GROUP_NAMES);
  const next = new Map<string, number>();
  return groups.map((group) => {
    const base = groupNameOf(group.members.map((m) => m.name)) ?? "group";
    const candidates = [base, ...(manyProviders ? [`${group.provider}-${base}`] : [])];
    let name = candidates.find((c) => !taken.has(c));
    for (let n = next.get(base) ?? 2; name === undefined; n++) {
      if (!taken.has(`${base}-${n}`)) name = `${base}-${n}`;
      next.set(base, n + 1);
    }
    taken.add(name);
    return { ...group, name };
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
