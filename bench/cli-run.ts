import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { kill, track } from "./children.js";

const BIN = fileURLToPath(new URL("../../bin/reform.js", import.meta.url));
const GNU_TIME = "/usr/bin/time";

export interface TimedRun {
  readonly code: number | null;
  readonly wallMs: number;
  /** Peak resident set size of the reform process, in MB (GNU time -v; else undefined). */
  readonly maxRssMb: number | undefined;
  readonly stdoutBytes: number;
  readonly stderr: string;
}

/** Runs the built `reform` CLI as a child process, as CI would (no TTY, NO_COLOR), and measures it. */
export function runReformTimed(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 300_000,
): Promise<TimedRun> {
  const useTime = existsSync(GNU_TIME);
  const command = useTime ? GNU_TIME : process.execPath;
  const argv = useTime ? ["-v", process.execPath, BIN, ...args] : [BIN, ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Its own process group, so that a kill reaches reform under /usr/bin/time too.
    const child = track(
      spawn(command, argv, {
        cwd,
        detached: true,
        env: { PATH: process.env["PATH"] ?? "", HOME: cwd, CI: "true", NO_COLOR: "1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
      true,
    );
    let stdoutBytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdoutBytes += chunk.length));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => kill(child), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({
        code,
        wallMs,
        maxRssMb: rss ? Number(rss[1]) / 1024 : undefined,
        stdoutBytes,
        stderr: useTime ? stderr.replace(/\tCommand being timed:[\s\S]*$/, "") : stderr,
      });
    });
  });
}
