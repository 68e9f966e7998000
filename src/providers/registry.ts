import { dirname } from "node:path";
import type { DesiredFleet, ProviderConfig } from "../model/desired.js";
import type { ProviderAdapter, ProviderRuntime } from "../model/provider.js";

/**
 * The only place that knows every provider type. Each cloud's code is imported when a fleet uses it: a plan of
 * OpenStack servers does not load the emulator (the `sim` provider's), nor Huawei's or JD Cloud's clients.
 */
export async function createAdapter(
  config: ProviderConfig,
  baseDir: string,
  runtime: ProviderRuntime,
): Promise<ProviderAdapter> {
  switch (config.type) {
    case "openstack": {
      const [{ createOpenStackAdapter }, { startServerPageWorker }] = await Promise.all([
        import("./openstack/adapter.js"),
        import("./page-pool.js"),
      ]);
      return createOpenStackAdapter({
        name: config.name,
        settings: config.options,
        ...runtime,
        pageWorker: () => startServerPageWorker(),
      });
    }
    case "sim": {
      const [{ createSimAdapter }, { createHuaweiAdapter }, { createJdCloudAdapter }] = await Promise.all([
        import("./sim/sim-adapter.js"),
        import("./huawei/adapter.js"),
        import("./jdcloud/adapter.js"),
      ]);
      return createSimAdapter({
        name: config.name,
        settings: config.options,
        baseDir,
        runtime,
        clients: { huaweicloud: createHuaweiAdapter, jdcloud: createJdCloudAdapter },
      });
    }
    case "jdcloud": {
      const { createJdCloudAdapter } = await import("./jdcloud/adapter.js");
      return createJdCloudAdapter({ name: config.name, settings: config.options, ...runtime });
    }
    case "huaweicloud": {
      const { createHuaweiAdapter } = await import("./huawei/adapter.js");
      return createHuaweiAdapter({ name: config.name, settings: config.options, ...runtime });
    }
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
