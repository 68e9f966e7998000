import type { DesiredFleet, ImageRef, SpecLayer } from "../model/desired.js";
import { groupsFor } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ImageResolution, ProviderAdapter, ProviderCapabilities } from "../model/provider.js";

/** Everything read from the clouds for one plan: capabilities and servers, per provider. */
export interface FleetObservation {
  readonly capabilities: ReadonlyMap<string, ProviderCapabilities>;
  readonly servers: ReadonlyMap<string, readonly ObservedInstance[]>;
}

/** Sees a reading as it goes: each provider's capabilities once known, and the pages of its listing. */
export interface ObservationListener {
  capabilities(provider: string, capabilities: ProviderCapabilities): void;
  page(provider: string, servers: readonly ObservedInstance[]): void;
}

/**
 * Reads each provider the fleet uses: capabilities and its servers, in bulk. Providers are read concurrently. A
 * provider whose servers the fleet file gives no metadata, user_data or reboot to (and whose groups match no metadata)
 * is listed without metadata (`ListInstancesRequest.metadata`), unless `wholeServers`. `listener` sees the reading as
 * it goes (what an adapter offers of it: `ListInstancesRequest.onPage`).
 */
export async function observeFleet(
  fleet: DesiredFleet,
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
  wholeServers = true,
  listener?: ObservationListener,
): Promise<FleetObservation> {
  const used = usedProviders(fleet);
  const entries = await Promise.all(
    used.map(async (name) => {
      const adapter = adapterFor(adapters, name);
      const [capabilities, servers] = await Promise.all([
        adapter.capabilities(signal).then((capabilities) => {
          listener?.capabilities(name, capabilities);
          return capabilities;
        }),
        adapter.listInstances(
          {
            selectors: selectorsFor(fleet, name),
            metadata: wholeServers || needsMetadata(fleet, name),
            ...(listener ? { onPage: (servers: readonly ObservedInstance[]) => listener.page(name, servers) } : {}),
          },
          signal,
        ),
      ]);
      return { name, capabilities, servers };
    }),
  );
  return {
    capabilities: new Map(entries.map((e) => [e.name, e.capabilities])),
    servers: new Map(entries.map((e) => [e.name, e.servers])),
  };
}

/** Resolves each provider's distinct image refs once. */
export async function resolveFleetImages(
  refsByProvider: ReadonlyMap<string, readonly ImageRef[]>,
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
): Promise<ReadonlyMap<string, ReadonlyMap<string, ImageResolution>>> {
  const entries = await Promise.all(
    [...refsByProvider].map(async ([name, refs]) => {
      const unique = [...new Map(refs.map((r) => [imageRefKey(r), r])).values()];
      const resolved = unique.length === 0 ? [] : await adapterFor(adapters, name).resolveImages(unique, signal);
      return [name, new Map(resolved.map((r) => [imageRefKey(r.ref), r]))] as const;
    }),
  );
  return new Map(entries);
}

export function imageRefKey(ref: ImageRef): string {
  return "id" in ref ? `id:${ref.id}` : `name:${ref.name}`;
}

export function usedProviders(fleet: DesiredFleet): string[] {
  const names = new Set<string>(fleet.instances.map((i) => i.provider));
  for (const group of fleet.groups) {
    if (group.provider) names.add(group.provider);
    else for (const p of fleet.providers) names.add(p.name);
  }
  return [...names].sort();
}

/**
 * Whether planning this provider's servers reads their metadata, user_data or reform's annotations: a layer of the
 * fleet file that applies to them (defaults, a group, an instance) manages metadata, user_data or reboots, or a group
 * matches servers by metadata.
 */
export function needsMetadata(fleet: DesiredFleet, provider: string): boolean {
  return (
    groupsFor(fleet, provider).some((g) => g.match.metadata !== undefined) ||
    layersFor(fleet, provider).some(
      ({ spec }) =>
        spec.metadata !== undefined ||
        spec.metadataPolicy !== undefined ||
        spec.userData !== undefined ||
        spec.reboot !== undefined,
    )
  );
}

/** The layers of the fleet file that may apply to a provider's servers: defaults, its groups, its declared instances. */
export function layersFor(fleet: DesiredFleet, provider: string): SpecLayer[] {
  return [fleet.defaults, ...groupsFor(fleet, provider), ...fleet.instances.filter((i) => i.provider === provider)];
}

function selectorsFor(fleet: DesiredFleet, provider: string) {
  return groupsFor(fleet, provider).length > 0
    ? []
    : fleet.instances.filter((i) => i.provider === provider).map((i) => i.selector);
}

function adapterFor(adapters: ReadonlyMap<string, ProviderAdapter>, name: string): ProviderAdapter {
  const adapter = adapters.get(name);
  if (!adapter) throw new TypeError(`no adapter for provider "${name}"`);
  return adapter;
}
