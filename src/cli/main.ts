import { setMaxListeners } from "node:events";
import { constants } from "node:os";
import { ConfigError, ReformError } from "../model/errors.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { processIo } from "./io.js";
import { runProgram } from "./program.js";

/**
 * The CLI: argv in, exit code out. The one place where errors become messages and exit codes.
 * Each command is imported when it runs, so `reform validate` does not load the emulator or the HTTP stack;
 * bin/reform.js answers `--version` alone before it loads this module.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  signal: AbortSignal = processSignal(),
): Promise<number> {
  const debug = argv.includes("--debug");
  let exitCode: number = EXIT.ok;
  let endsOnSignal = false;
  try {
    await runProgram(argv, io, signal, (code, end) => {
      exitCode = code;
      endsOnSignal = end?.onSignal ?? false;
    });
  } catch (error) {
    exitCode = reportError(io, error, debug);
  }
  // A command that runs until it is stopped (`reform sim`) ends normally on a signal: its own code stands (DESIGN §11).
  return signal.aborted && signal.reason instanceof Interrupted && !endsOnSignal ? signal.reason.exitCode : exitCode;
}

function reportError(io: CliIo, error: unknown, debug: boolean): number {
  if (error instanceof ConfigError) io.stderr.write(`Error: ${error.message}\n`);
  else if (error instanceof ReformError) io.stderr.write(`Error: ${error.message}\n`);
  else if (error instanceof Error && error.name === "AbortError") io.stderr.write("Error: interrupted\n");
  else io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT.error;
}

/**
 * Why a run was stopped: a signal. A run it stops exits 128 + the signal's number (SIGINT 130, SIGTERM 143), as a
 * shell reports a process the signal killed, so a pipeline tells "cancelled" from "failed". Named AbortError: what
 * was waiting on the signal rejects with it.
 */
class Interrupted extends Error {
  readonly exitCode: number;

  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "AbortError";
    this.exitCode = 128 + (constants.signals[signal] ?? 0);
  }
}

/** Aborts on the first SIGINT or SIGTERM, so running steps stop cleanly; a second signal exits at once. */
function processSignal(): AbortSignal {
  const controller = new AbortController();
  // Every wait, poll and HTTP request in flight listens on this one signal (hundreds in a large apply): no listener limit.
  setMaxListeners(0, controller.signal);
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(new Interrupted(name).exitCode);
    process.stderr.write(
      `\nReceived ${name}: stopping; servers already changing finish in the cloud, the next plan shows where they are.\n`,
    );
    controller.abort(new Interrupted(name));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return controller.signal;
}
