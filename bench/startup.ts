import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { track } from "./children.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/reform.js", import.meta.url));

/** One command line measured as a whole process, and how it compares with a bare `node -e 0` of the same rounds. */
export interface StartupCommand {
  readonly label: string;
  readonly medianMs: number;
  readonly ratio: number;
  /** At most this many times `node -e 0` (DESIGN §12.6). */
  readonly target: number;
}

export interface StartupFigures {
  readonly rounds: number;
  readonly nodeMs: number;
  readonly commands: readonly StartupCommand[];
  /** The 1-minute load average before and after the measurement. */
  readonly load: readonly [number, number];
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function timeProcess(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = track(
      spawn(process.execPath, args, {
        cwd: ROOT,
        env: { PATH: process.env["PATH"] ?? "", HOME: ROOT, CI: "true", NO_COLOR: "1" },
        stdio: "ignore",
      }),
    );
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(" ")} exited ${code}`)),
    );
  });
}

/**
 * `reform --version` and `reform validate -c examples/quickstart.yaml` as whole processes (spawn to exit), against a
 * bare `node -e 0`. The three run in turn in each round, so that the machine's load weighs on all of them alike;
 * each figure is the median of the rounds.
 */
export async function runStartup(rounds: number): Promise<StartupFigures> {
  const lines: { label: string; args: string[]; target: number }[] = [
    { label: "reform --version", args: [BIN, "--version"], target: 1.3 },
    {
      label: "reform validate -c examples/quickstart.yaml",
      args: [BIN, "validate", "-c", "examples/quickstart.yaml"],
      target: 2.5,
    },
  ];
  const loadBefore = loadavg()[0] ?? 0;
  const node: number[] = [];
  const times = lines.map(() => [] as number[]);
  await timeProcess(["-e", "0"]); // the first start reads files from disk; every later one finds them cached
  for (let round = 0; round < rounds; round += 1) {
    node.push(await timeProcess(["-e", "0"]));
    for (const [i, line] of lines.entries()) times[i]?.push(await timeProcess(line.args));
  }
  const nodeMs = median(node);
  const commands = lines.map((line, i) => {
    const medianMs = median(times[i] ?? []);
    return { label: line.label, medianMs, ratio: medianMs / nodeMs, target: line.target };
  });
  return { rounds, nodeMs, commands, load: [loadBefore, loadavg()[0] ?? 0] };
}
