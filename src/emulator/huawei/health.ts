import type { HealthLookup, HealthSubject } from "../health.js";
import type { HuaweiState, HwServer } from "./state.js";
import { runningJob, settle } from "./state.js";
import { states } from "./view.js";

/** The health route's view of ECS servers: running is ACTIVE with no job or task showing. */
export function huaweiHealth(state: HuaweiState, now: () => number): HealthLookup {
  return (key) => {
    const at = now();
    settle(state, at);
    const byId = state.servers.find((s) => s.id === key);
    const matches = byId ? [byId] : state.servers.filter((s) => s.name === key);
    return matches.map((server) => subject(state, server, at));
  };
}

function subject(state: HuaweiState, server: HwServer, now: number): HealthSubject {
  const shown = states(server, runningJob(state, server, now), now);
  const image = state.images.find((i) => i.id === server.imageId);
  return {
    cloud: "huaweicloud",
    id: server.id,
    name: server.name,
    status: shown.task === null ? shown.status : `${shown.status}/${shown.task}`,
    running: shown.status === "ACTIVE" && shown.task === null,
    image: image ? { id: image.id, name: image.name, healthy: image.healthy !== false } : undefined,
  };
}
