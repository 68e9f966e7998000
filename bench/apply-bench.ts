import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ApplyChildResult } from "./apply-child.js";
import { kill, track } from "./children.js";
import { requestsBetween, spawnEmulator } from "./emulator-host.js";
import { benchDir } from "./session.js";
import { NEW_IMAGE } from "./world.js";

export interface ApplyFigures extends ApplyChildResult {
  readonly servers: number;
  readonly parallelism: number;
  readonly rebuildMs: number;
  readonly idealMs: number;
  readonly ratio: number;
  /** Emulator requests during plan + apply. */
  readonly requests: number;
  readonly listRequests: number;
  readonly byRoute: Record<string, number>;
  /** CPU time (user + system) of the emulator process during plan + apply, ms. */
  readonly emulatorCpuMs: number;
}

const CHILD = fileURLToPath(new URL("./apply-child.js", import.meta.url));

/** Rebuilds every server of a generated world of `servers` to a new image through the library's plan + apply. */
export async function runApplyBench(servers: number, parallelism: number, rebuildMs: number): Promise<ApplyFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs: 0, rebuildMs });
  const dir = await benchDir(emulator.urls.identity, NEW_IMAGE.name, parallelism);
  try {
    const before = await emulator.stats();
    const result = await runChild({ dir: dir.dir, fleetPath: dir.fleetPath, parallelism, rebuildMs });
    const after = await emulator.stats();
    const requests = requestsBetween(before, after);
    const idealMs = Math.ceil(servers / parallelism) * rebuildMs;
    return {
      ...result,
      servers,
      parallelism,
      rebuildMs,
      idealMs,
      ratio: result.applyMs / idealMs,
      requests: requests.total,
      listRequests: requests.byRoute["GET /compute/v2.1/servers/detail"] ?? 0,
      byRoute: requests.byRoute,
      emulatorCpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
    };
  } finally {
    await dir.remove();
    await emulator.close();
  }
}

function runChild(config: {
  dir: string;
  fleetPath: string;
  parallelism: number;
  rebuildMs: number;
}): Promise<ApplyChildResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(CHILD, [], {
        env: { ...process.env, BENCH_APPLY: JSON.stringify(config) },
        stdio: ["ignore", "pipe", "inherit", "ipc"],
      }),
    );
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => kill(child), 600_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`apply child exited with code ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as ApplyChildResult);
    });
  });
}
