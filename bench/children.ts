import type { ChildProcess } from "node:child_process";

/** Every process the benchmark started and that is still running, with whether it leads its own process group. */
const live = new Map<ChildProcess, boolean>();

/**
 * Registers a child so that `killAll` ends it. `group`: the child was spawned `detached` (its own process group),
 * so that its own children (reform under /usr/bin/time) end with it.
 */
export function track<T extends ChildProcess>(child: T, group = false): T {
  live.set(child, group);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Ends one tracked child (and its group) at once. */
export function kill(child: ChildProcess): void {
  const group = live.get(child) ?? false;
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  } catch {
    // already gone
  }
}

/** Ends every child still running: on exit, on a signal, and when the time limit is reached. */
export function killAll(): void {
  for (const child of [...live.keys()]) kill(child);
}

/** How many tracked children are still running (the benchmark checks it is 0 at the end). */
export function running(): number {
  return live.size;
}

/** Installs the clean-up: children end with the benchmark, and the whole run ends after `limitMs`. */
export function installCleanup(limitMs: number, log: (line: string) => void): void {
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`benchmark: ${signal}, stopping every process it started`);
      killAll();
      process.exit(130);
    });
  }
  setTimeout(() => {
    log(`benchmark: over its time limit of ${Math.round(limitMs / 1000)} s, stopping every process it started`);
    killAll();
    process.exit(1);
  }, limitMs).unref();
}
