import type { HealthLookup } from "../health.js";
import type { JdCloud } from "./state.js";

/** The health route's view of JD VMs: running is the status `running` (a flap's transitional status is not). */
export function jdHealth(cloud: JdCloud): HealthLookup {
  return (key) => {
    const instances = cloud.instances();
    const byId = instances.find((i) => i.id === key);
    const matches = byId ? [byId] : instances.filter((i) => i.name === key);
    return matches.map((instance) => {
      const image = cloud.images().find((i) => i.id === instance.imageId);
      return {
        cloud: "jdcloud" as const,
        id: instance.id,
        name: instance.name,
        status: instance.status,
        running: instance.status === "running",
        image: image ? { id: image.id, name: image.name, healthy: image.healthy !== false } : undefined,
      };
    });
  };
}
