import { readFile } from "node:fs/promises";
import { parseOpenStackWorld } from "./openstack/world.js";
import { parseHuaweiWorld } from "./huawei/index.js";
import { parseJdWorld } from "./jdcloud/index.js";
import { parseWorldFaults } from "./faults.js";
import type { Timings, World } from "./types.js";
import { YamlReader } from "./yaml-reader.js";

const TIMING_KEYS = [
  "rebuild",
  "reinstall",
  "reboot",
  "stop",
  "start",
  "build",
] as const satisfies readonly (keyof Timings)[];

/**
 * Parses a world file (YAML). One section per cloud, every section optional; unknown keys and bad
 * references throw an Error whose message starts with `file:line:col:`.
 */
export function parseWorld(text: string, file: string): World {
  const { reader, root } = YamlReader.parse(text, file);
  if (root === null || root === undefined) return { file, timings: {} };
  const entries = reader.entries(root, "world", ["openstack", "huaweicloud", "jdcloud", "timings", "faults"]);
  const openstack = entries.get("openstack");
  const huaweicloud = entries.get("huaweicloud");
  const jdcloud = entries.get("jdcloud");
  const timingsEntry = entries.get("timings");
  const timings: Partial<Record<keyof Timings, number>> = {};
  if (timingsEntry) {
    for (const [key, entry] of reader.entries(timingsEntry.value, "timings", TIMING_KEYS)) {
      timings[key as keyof Timings] = reader.duration(entry.value, `timings.${key}`);
    }
  }
  const faultsEntry = entries.get("faults");
  const faults = faultsEntry ? { faults: parseWorldFaults(reader, faultsEntry.value) } : {};
  return {
    file,
    timings,
    ...faults,
    ...(openstack ? { openstack: parseOpenStackWorld(reader, openstack.value) } : {}),
    ...(huaweicloud ? { huaweicloud: parseHuaweiWorld(reader, huaweicloud.value) } : {}),
    ...(jdcloud ? { jdcloud: parseJdWorld(reader, jdcloud.value) } : {}),
  };
}

export async function loadWorldFile(path: string): Promise<World> {
  return parseWorld(await readFile(path, "utf8"), path);
}
