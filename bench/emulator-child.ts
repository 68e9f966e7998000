/**
 * Child-process entry: runs the emulator on a generated world so that the benchmark's clients and the
 * emulator do not share an event loop. Speaks to its parent over IPC (see emulator-host.ts).
 */
import { startEmulator } from "../src/emulator/index.js";
import { generateWorld } from "./world.js";

export interface EmulatorChildConfig {
  readonly servers: number;
  readonly latencyMs: number;
  readonly rebuildMs: number;
}

export type ChildRequest = { readonly type: "stats" } | { readonly type: "close" };
export type ChildMessage =
  | { readonly type: "ready"; readonly urls: { identity: string; compute: string; image: string } }
  | { readonly type: "stats"; readonly requests: number; readonly byRoute: Record<string, number>; readonly actions: number; readonly rss: number };

async function main(): Promise<void> {
  const config = JSON.parse(process.env["BENCH_EMULATOR"] ?? "{}") as EmulatorChildConfig;
  const emulator = await startEmulator({
    world: generateWorld(config.servers, { rebuildMs: config.rebuildMs }),
    faults: { latencyMs: config.latencyMs },
    timings: { rebuild: config.rebuildMs },
  });
  const send = (message: ChildMessage) => process.send?.(message);
  process.on("message", (message: ChildRequest) => {
    if (message.type === "stats") {
      const { stats } = emulator;
      send({ type: "stats", requests: stats.requests, byRoute: { ...stats.byRoute }, actions: stats.actions.length, rss: process.memoryUsage().rss });
    } else {
      void emulator.close().then(() => process.exit(0));
    }
  });
  process.on("disconnect", () => void emulator.close().then(() => process.exit(0)));
  send({ type: "ready", urls: { ...emulator.urls } });
}

void main();
