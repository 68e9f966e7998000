import type { ChildProcess } from "node:child_process";
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { kill, track } from "./children.js";
import type { ChildMessage, EmulatorChildConfig, EmulatorUrls } from "./emulator-child.js";

export type EmulatorStatsMessage = Extract<ChildMessage, { type: "stats" }>;

export interface EmulatorProcess {
  readonly urls: EmulatorUrls;
  readonly pid: number;
  stats(): Promise<EmulatorStatsMessage>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./emulator-child.js", import.meta.url));

/** Starts the emulator in its own process on 127.0.0.1:0 with a generated world of `config.servers` servers. */
export async function spawnEmulator(config: EmulatorChildConfig): Promise<EmulatorProcess> {
  const child: ChildProcess = track(
    fork(CHILD, [], {
      env: { ...process.env, BENCH_EMULATOR: JSON.stringify(config) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const exited = once(child, "exit");
  const ready = await nextMessage(child, "ready");
  if (ready.type !== "ready") throw new Error("emulator child did not start");
  return {
    urls: ready.urls,
    pid: child.pid ?? 0,
    async stats() {
      const answer = nextMessage(child, "stats");
      child.send({ type: "stats" });
      const message = await answer;
      if (message.type !== "stats") throw new Error("unexpected message from the emulator child");
      return message;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.send({ type: "close" });
      const timer = setTimeout(() => kill(child), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function nextMessage(child: ChildProcess, type: ChildMessage["type"]): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`emulator child exited with code ${code}`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Requests counted by the emulator between two stats snapshots, in total and per route. */
export function requestsBetween(
  before: EmulatorStatsMessage,
  after: EmulatorStatsMessage,
): { total: number; byRoute: Record<string, number> } {
  const byRoute: Record<string, number> = {};
  for (const [route, count] of Object.entries(after.byRoute)) {
    const delta = count - (before.byRoute[route] ?? 0);
    if (delta > 0) byRoute[route] = delta;
  }
  return { total: after.requests - before.requests, byRoute };
}
