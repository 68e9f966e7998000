import { formatAddress } from "../model/address.js";
import type { InstanceAddress } from "../model/address.js";
import { DEFAULT_CHANGE_POLICY, groupsFor } from "../model/desired.js";
import type {
  DesiredFleet,
  DesiredGroup,
  DesiredInstance,
  DesiredSpec,
  InstanceSelector,
  PartialSpec,
  RolloutPolicy,
  SpecLayer,
} from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import type { SourceLocation } from "../model/source.js";
import { formatLocation } from "../model/source.js";
import { globMatcher } from "../model/globs.js";
import { mergeRollout } from "./rollout.js";

/** What expansion needs of a live server. */
export interface ListedServer {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ResolvedInstances<S extends ListedServer = ListedServer> {
  readonly instances: DesiredInstance[];
  /** The live server of each instance, at the same index. */
  readonly servers: S[];
  /** The instances by address (the first of an address, when two have one: a diagnostic says so). */
  readonly byAddress: Map<InstanceAddress, DesiredInstance>;
  readonly diagnostics: Diagnostic[];
}

/** The rollout group of servers that match no fleet group. */
export const DEFAULT_GROUP = "default";

interface Member<S extends ListedServer = ListedServer> {
  readonly provider: string;
  /** The provider's index in the fleet file: members are ordered by it. */
  readonly providerRank: number;
  readonly server: S;
  readonly groups: DesiredGroup[];
  declared?: { readonly layer: SpecLayer; readonly selector: InstanceSelector; readonly source: SourceLocation };
  /** Resolved already (`known`): a server that only groups select. */
  known?: DesiredInstance;
}

/**
 * The desired instance `GroupMembership.desiredOf` gave a listed server, when it gave one: a server that only
 * groups select, resolved while the listing went (workflow/early-plans.ts).
 */
export type KnownDesired = (provider: string, server: ListedServer) => DesiredInstance | undefined;

/**
 * Matches the fleet to live servers (pure): each declared instance to its server, each group to the servers it
 * selects, and merges defaults → matching groups (file order) → instance into one complete desired state per server.
 * Servers matched only by groups are instances too (address `provider/<server name>`). A server `known` gives a
 * desired instance for takes that one (the same object) instead of being matched again: it is what this function
 * would give it, since GroupMembership decides nothing a declared instance or another listed server could change.
 */
export function resolveInstances<S extends ListedServer>(
  fleet: DesiredFleet,
  listed: ReadonlyMap<string, readonly S[]>,
  known?: KnownDesired,
): ResolvedInstances<S> {
  const diagnostics: Diagnostic[] = [];
  const ranks = new Map(fleet.providers.map((p, index) => [p.name, index]));
  /** Each provider's members by server id. */
  const members = new Map<string, Map<string, Member<S>>>();
  const membersOf = (provider: string): Map<string, Member<S>> => {
    let ofProvider = members.get(provider);
    if (!ofProvider) members.set(provider, (ofProvider = new Map()));
    return ofProvider;
  };
  const member = (provider: string, server: S): Member<S> => {
    const ofProvider = membersOf(provider);
    const existing = ofProvider.get(server.id);
    if (existing) return existing;
    const created: Member<S> = { provider, providerRank: ranks.get(provider) ?? 0, server, groups: [] };
    ofProvider.set(server.id, created);
    return created;
  };
  const lookups = new Map<string, ServerLookup<S>>();
  const lookupOf = (provider: string): ServerLookup<S> => {
    let lookup = lookups.get(provider);
    if (!lookup) lookups.set(provider, (lookup = serverLookup(listed.get(provider) ?? [])));
    return lookup;
  };
  for (const instance of fleet.instances) {
    const server = findServer(
      instance.provider,
      instance.selector,
      lookupOf(instance.provider),
      instance.source,
      diagnostics,
    );
    if (!server) continue;
    const m = member(instance.provider, server);
    if (m.declared) {
      diagnostics.push({
        location: instance.source,
        message: `${instance.provider} server '${server.name}' (id ${server.id}) is declared twice: here and at ${formatLocation(m.declared.source)}`,
      });
      continue;
    }
    m.declared = { layer: instance, selector: instance.selector, source: instance.source };
  }
  for (const [providerRank, provider] of fleet.providers.map((p) => p.name).entries()) {
    const groups = groupMatchersFor(fleet, provider);
    const ofProvider = membersOf(provider);
    for (const server of listed.get(provider) ?? []) {
      // A server listed twice under one id is matched as before, each time: its first listing is the member.
      const resolved = ofProvider.has(server.id) ? undefined : known?.(provider, server);
      if (resolved) {
        ofProvider.set(server.id, { provider, providerRank, server, groups: [], known: resolved });
        continue;
      }
      for (const { group, matches } of groups) if (matches(server)) member(provider, server).groups.push(group);
    }
  }
  const all: Member<S>[] = [];
  for (const ofProvider of members.values()) for (const m of ofProvider.values()) all.push(m);
  const specs = groupSpecsOf(fleet);
  const ordered = orderMembers(all, fleet);
  const instances = ordered.map((m) => desiredInstance(fleet, m, specs));
  const byAddress = checkAddresses(instances, diagnostics);
  return { instances, servers: ordered.map((m) => m.server), byAddress, diagnostics };
}

/** A provider's listed servers by id (the first listed of an id) and by name (all of a name, in listing order). */
interface ServerLookup<S extends ListedServer> {
  readonly byId: ReadonlyMap<string, S>;
  readonly byName: ReadonlyMap<string, readonly S[]>;
}

/** Built once per provider: declaring N instances among M servers costs N + M, not N × M. */
function serverLookup<S extends ListedServer>(servers: readonly S[]): ServerLookup<S> {
  const byId = new Map<string, S>();
  const byName = new Map<string, S[]>();
  for (const server of servers) {
    if (!byId.has(server.id)) byId.set(server.id, server);
    const named = byName.get(server.name);
    if (named) named.push(server);
    else byName.set(server.name, [server]);
  }
  return { byId, byName };
}

function findServer<S extends ListedServer>(
  provider: string,
  selector: InstanceSelector,
  servers: ServerLookup<S>,
  source: SourceLocation,
  diagnostics: Diagnostic[],
): S | undefined {
  if ("id" in selector) {
    const found = servers.byId.get(selector.id);
    if (!found)
      diagnostics.push({ location: source, message: `no server with id ${selector.id} in provider ${provider}` });
    return found;
  }
  const found = servers.byName.get(selector.name) ?? [];
  if (found.length === 0)
    diagnostics.push({ location: source, message: `no server named ${selector.name} in provider ${provider}` });
  if (found.length > 1) {
    const ids = found.map((s) => s.id).join(", ");
    diagnostics.push({
      location: source,
      message: `server name ${selector.name} is ambiguous in provider ${provider}: ids ${ids}; declare it by id`,
    });
  }
  return found.length === 1 ? found[0] : undefined;
}

/** The groups that may select a provider's servers (`groupsFor`), in file order, each with its predicate. */
function groupMatchersFor(fleet: DesiredFleet, provider: string): GroupMatcher[] {
  return groupsFor(fleet, provider).map((group) => ({ group, matches: groupMatcher(group) }));
}

interface GroupMatcher {
  readonly group: DesiredGroup;
  readonly matches: (server: ListedServer) => boolean;
}

/** A predicate for the servers a group selects: name glob and metadata equality, both when given. */
export function groupMatcher(group: Pick<DesiredGroup, "match">): (server: ListedServer) => boolean {
  const glob = group.match.name;
  const nameMatches = glob === undefined ? () => true : globMatcher([glob]);
  const wanted = Object.entries(group.match.metadata ?? {});
  return (server) => nameMatches(server.name) && wanted.every(([key, value]) => server.metadata[key] === value);
}

/** Declared instances in file order first, then servers matched only by groups, by provider then name and id. */
function orderMembers<M extends Member>(members: readonly M[], fleet: DesiredFleet): M[] {
  const declaredOrder = new Map(fleet.instances.map((instance, index) => [instance.source, index]));
  const declared = members
    .filter((m) => m.declared)
    .sort(
      (a, b) =>
        (declaredOrder.get(a.declared?.source as SourceLocation) ?? 0) -
        (declaredOrder.get(b.declared?.source as SourceLocation) ?? 0),
    );
  const matched = members
    .filter((m) => !m.declared)
    .sort(
      (a, b) =>
        a.providerRank - b.providerRank || compare(a.server.name, b.server.name) || compare(a.server.id, b.server.id),
    );
  return [...declared, ...matched];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The complete spec and rollout policy of the servers that only groups select, one per combination of groups: a
 * `match` that selects 100,000 servers merges its layers once, and its servers share the (read-only) result.
 */
class GroupSpecs {
  readonly #fleet: DesiredFleet;
  readonly #index: Map<DesiredGroup, number>;
  /** By the groups' indexes: one number for one group (most servers, and no string to build), else "i,j,…". */
  readonly #known = new Map<number | string, { readonly spec: DesiredSpec; readonly rollout: RolloutPolicy }>();

  constructor(fleet: DesiredFleet) {
    this.#fleet = fleet;
    this.#index = new Map(fleet.groups.map((group, i) => [group, i]));
  }

  of(groups: readonly DesiredGroup[]): { readonly spec: DesiredSpec; readonly rollout: RolloutPolicy } {
    const key =
      groups.length === 1
        ? (this.#index.get(groups[0] as DesiredGroup) ?? -1)
        : groups.map((group) => this.#index.get(group)).join(",");
    let found = this.#known.get(key);
    if (!found) {
      found = merged(this.#fleet, groups, undefined);
      this.#known.set(key, found);
    }
    return found;
  }
}

const groupSpecsByFleet = new WeakMap<DesiredFleet, GroupSpecs>();

/** One GroupSpecs per fleet: every resolution of a fleet's servers shares its merged (read-only) specs. */
function groupSpecsOf(fleet: DesiredFleet): GroupSpecs {
  let specs = groupSpecsByFleet.get(fleet);
  if (!specs) groupSpecsByFleet.set(fleet, (specs = new GroupSpecs(fleet)));
  return specs;
}

/**
 * What resolveInstances makes of a server that only groups select, one server at a time: for planning the pages of a
 * listing while the next is read (workflow/early-plans.ts). `desiredOf` gives the desired instance resolveInstances
 * would give the server (the same spec and rollout objects), or undefined when no group selects it or when a declared
 * instance may be this server (its id or name is a declared selector of the provider): only the whole listing decides
 * those.
 */
export class GroupMembership {
  readonly #fleet: DesiredFleet;
  /** Each provider's groups with their predicates, made when its first server is asked about. */
  readonly #groups = new Map<string, readonly GroupMatcher[]>();
  readonly #declared = new Set<string>();

  constructor(fleet: DesiredFleet) {
    this.#fleet = fleet;
    for (const { provider, selector } of fleet.instances)
      this.#declared.add(`${provider}\u0000${"id" in selector ? `id:${selector.id}` : `name:${selector.name}`}`);
  }

  desiredOf(provider: string, server: ListedServer): DesiredInstance | undefined {
    if (this.#declared.size > 0) {
      if (this.#declared.has(`${provider}\u0000id:${server.id}`)) return undefined;
      if (this.#declared.has(`${provider}\u0000name:${server.name}`)) return undefined;
    }
    let matchers = this.#groups.get(provider);
    if (!matchers) this.#groups.set(provider, (matchers = groupMatchersFor(this.#fleet, provider)));
    const groups: DesiredGroup[] = [];
    for (const { group, matches } of matchers) if (matches(server)) groups.push(group);
    if (groups.length === 0) return undefined;
    return desiredInstance(this.#fleet, { provider, server, groups }, groupSpecsOf(this.#fleet));
  }
}

function merged(
  fleet: DesiredFleet,
  groups: readonly DesiredGroup[],
  declared: SpecLayer | undefined,
): { readonly spec: DesiredSpec; readonly rollout: RolloutPolicy } {
  const layers: SpecLayer[] = [fleet.defaults, ...groups, ...(declared ? [declared] : [])];
  return {
    spec: completeSpec(mergeSpecs(layers.map((l) => l.spec))),
    rollout: mergeRollout(fleet.defaults, groups[groups.length - 1]),
  };
}

function desiredInstance(fleet: DesiredFleet, m: Omit<Member, "providerRank">, specs: GroupSpecs): DesiredInstance {
  if (m.known) return m.known;
  const last = m.groups[m.groups.length - 1];
  const selector = m.declared?.selector ?? { id: m.server.id };
  const key = m.declared && "id" in m.declared.selector ? m.declared.selector.id : m.server.name;
  const { spec, rollout } = m.declared ? merged(fleet, m.groups, m.declared.layer) : specs.of(m.groups);
  return {
    address: formatAddress(m.provider, key),
    provider: m.provider,
    selector,
    spec,
    group: last?.name ?? DEFAULT_GROUP,
    rollout,
    source: m.declared?.source ?? last?.source ?? { file: fleet.file, line: 1, column: 1 },
  };
}

/** Later layers win; metadata maps merge key by key and change policies field by field. */
export function mergeSpecs(specs: readonly PartialSpec[]): PartialSpec {
  let merged: PartialSpec = {};
  for (const spec of specs) {
    const metadata = spec.metadata || merged.metadata ? { ...merged.metadata, ...spec.metadata } : undefined;
    const changePolicy =
      spec.changePolicy || merged.changePolicy ? { ...merged.changePolicy, ...spec.changePolicy } : undefined;
    merged = {
      ...merged,
      ...definedOnly(spec),
      ...(metadata ? { metadata } : {}),
      ...(changePolicy ? { changePolicy } : {}),
    };
  }
  return merged;
}

function definedOnly(spec: PartialSpec): PartialSpec {
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined)) as PartialSpec;
}

/** Applies the defaults for what no layer set. */
export function completeSpec(spec: PartialSpec): DesiredSpec {
  return {
    ...spec,
    metadataPolicy: spec.metadataPolicy ?? "merge",
    ignoreMetadata: spec.ignoreMetadata ?? [],
    changePolicy: { ...DEFAULT_CHANGE_POLICY, ...spec.changePolicy },
  };
}

/** The rollout policy of every group, and of "default" (servers in no group): built-in defaults ← `defaults` ← group. */
export function rolloutPolicies(fleet: DesiredFleet): Record<string, RolloutPolicy> {
  const policies: Record<string, RolloutPolicy> = { [DEFAULT_GROUP]: mergeRollout(fleet.defaults, undefined) };
  for (const group of fleet.groups) policies[group.name] = mergeRollout(fleet.defaults, group);
  return policies;
}

function checkAddresses(
  instances: readonly DesiredInstance[],
  diagnostics: Diagnostic[],
): Map<InstanceAddress, DesiredInstance> {
  const byAddress = new Map<InstanceAddress, DesiredInstance>();
  for (const instance of instances) {
    const first = byAddress.get(instance.address);
    if (!first) {
      byAddress.set(instance.address, instance);
      continue;
    }
    const ids = [first, instance].map((i) => ("id" in i.selector ? i.selector.id : i.selector.name)).join(", ");
    diagnostics.push({
      location: instance.source,
      message: `two servers have the address ${instance.address} (${ids}): addresses must be unique; rename a server or declare it by id`,
    });
  }
  return byAddress;
}
