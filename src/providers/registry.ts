import { dirname } from "node:path";
import type { DesiredFleet, ProviderConfig } from "../model/desired.js";
import type { ProviderAdapter, ProviderRuntime } from "../model/provider.js";
import { createJdCloudAdapter } from "./jdcloud/adapter.js";
import { createHuaweiAdapter } from "./huawei/adapter.js";
import { createOpenStackAdapter } from "./openstack/adapter.js";
import { startServerPageWorker } from "./page-pool.js";
import { createSimAdapter } from "./sim/sim-adapter.js";

/** The only place that knows every provider type. */
export async function createAdapter(
  config: ProviderConfig,
  baseDir: string,
  runtime: ProviderRuntime,
): Promise<ProviderAdapter> {
  switch (config.type) {
    case "openstack":
      return createOpenStackAdapter({
        name: config.name,
        settings: config.options,
        ...runtime,
        pageWorker: () => startServerPageWorker(),
      });
    case "sim":
      return createSimAdapter({
        name: config.name,
        settings: config.options,
        baseDir,
        runtime,
        clients: { huaweicloud: createHuaweiAdapter, jdcloud: createJdCloudAdapter },
      });
    case "jdcloud":
      return createJdCloudAdapter({ name: config.name, settings: config.options, ...runtime });
    case "huaweicloud":
      return createHuaweiAdapter({ name: config.name, settings: config.options, ...runtime });
  }
}

/** Adapters for every provider of the fleet; on failure, those already created are closed. */
export async function createAdapters(
  fleet: DesiredFleet,
  runtime: ProviderRuntime,
): Promise<Map<string, ProviderAdapter>> {
  const adapters = new Map<string, ProviderAdapter>();
  try {
    for (const config of fleet.providers)
      adapters.set(config.name, await createAdapter(config, dirname(fleet.file), runtime));
    return adapters;
  } catch (error) {
    for (const adapter of adapters.values()) await adapter.close();
    throw error;
  }
}
