/**
 * Child-process entry: runs the emulator on a generated world so that the benchmark's clients and the
 * emulator do not share an event loop. Speaks to its parent over IPC (see emulator-host.ts).
 */
import { startEmulator } from "../src/emulator/index.js";
import type { BenchCloud } from "./cloud-worlds.js";
import { generateCloudWorld } from "./cloud-worlds.js";
import { generateWorld } from "./world.js";

export interface EmulatorChildConfig {
  readonly servers: number;
  readonly latencyMs: number;
  readonly rebuildMs: number;
  /** Which cloud holds the generated servers. @default "openstack" */
  readonly cloud?: BenchCloud;
}

export interface EmulatorUrls {
  readonly identity: string;
  readonly compute: string;
  readonly image: string;
  readonly huaweicloud: string;
  readonly jdcloud: string;
}

export type ChildRequest = { readonly type: "stats" } | { readonly type: "close" };
export type ChildMessage =
  | { readonly type: "ready"; readonly urls: EmulatorUrls }
  | {
      readonly type: "stats";
      readonly requests: number;
      readonly byRoute: Record<string, number>;
      readonly actions: number;
      readonly rss: number;
      /** The emulator process's CPU time so far (user + system), in µs. */
      readonly cpuMicros: number;
    };

async function main(): Promise<void> {
  const config = JSON.parse(process.env["BENCH_EMULATOR"] ?? "{}") as EmulatorChildConfig;
  const emulator = await startEmulator({
    world:
      config.cloud === undefined || config.cloud === "openstack"
        ? generateWorld(config.servers, { rebuildMs: config.rebuildMs })
        : generateCloudWorld(config.cloud, config.servers),
    faults: { latencyMs: config.latencyMs },
    timings: { rebuild: config.rebuildMs },
  });
  const send = (message: ChildMessage) => process.send?.(message);
  process.on("message", (message: ChildRequest) => {
    if (message.type === "stats") {
      const { stats } = emulator;
      const cpu = process.cpuUsage();
      send({
        type: "stats",
        requests: stats.requests,
        byRoute: { ...stats.byRoute },
        actions: stats.actions.length,
        rss: process.memoryUsage().rss,
        cpuMicros: cpu.user + cpu.system,
      });
    } else {
      void emulator.close().then(() => process.exit(0));
    }
  });
  process.on("disconnect", () => void emulator.close().then(() => process.exit(0)));
  send({ type: "ready", urls: { ...emulator.urls } });
}

void main();
