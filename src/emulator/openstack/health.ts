import type { HealthLookup, HealthSubject } from "../health.js";
import { novaStatus } from "./lifecycle.js";
import type { ServerState } from "./state-types.js";
import type { OpenStackCloud } from "./state.js";

/** The health route's view of Nova's servers: running is ACTIVE with no task; a volume-backed server runs its root volume's image. */
export function openStackHealth(cloud: OpenStackCloud): HealthLookup {
  return (key) => {
    const byId = cloud.server(key);
    if (byId) return [subject(cloud, byId)];
    const named: HealthSubject[] = [];
    for (const server of cloud.newestFirst()) if (server.name === key) named.push(subject(cloud, server));
    return named;
  };
}

function subject(cloud: OpenStackCloud, server: ServerState): HealthSubject {
  const status = novaStatus(server.vmState, server.taskState);
  const imageId =
    server.rootVolumeId === undefined ? server.imageId : (cloud.volume(server.rootVolumeId)?.imageId ?? "");
  const image = cloud.images.get(imageId);
  return {
    cloud: "openstack",
    id: server.id,
    name: server.name,
    status: server.taskState === null ? status : `${status}/${server.taskState}`,
    running: status === "ACTIVE" && server.taskState === null && server.powerState === 1,
    image: image ? { id: image.id, name: image.name, healthy: image.healthy !== false } : undefined,
  };
}
