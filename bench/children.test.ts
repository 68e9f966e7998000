import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { killAll, running, track } from "./children.js";

/** Running (a zombie waiting for a parent that does not reap it counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("tracked children", () => {
  it("killAll ends a tracked process group, grandchildren included (reform under /usr/bin/time)", async () => {
    // sh prints the pid of its own child (a sleep), then waits for it.
    const child = track(
      spawn("sh", ["-c", "sleep 30 & echo $!; wait"], { detached: true, stdio: ["ignore", "pipe", "ignore"] }),
      true,
    );
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    const grandchild = Number(line.toString().trim());
    expect(alive(grandchild)).toBe(true);
    expect(running()).toBe(1);
    const exited = once(child, "exit");
    killAll();
    await exited;
    expect(running()).toBe(0);
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(grandchild)).toBe(false);
  });
});
