import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";

const BIN = resolve(import.meta.dirname, "../../bin/reform.js");

/**
 * `reform` and `npx reform` resolved to this checkout's bin (no npm, no registry), for the shell and the scripts
 * it starts.
 */
export const PRELUDE = `reform() { "${process.execPath}" "${BIN}" "$@"; }
npx() { if [ "$1" = reform ]; then shift; reform "$@"; else command npx "$@"; fi; }
export -f reform npx
`;

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ShellOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The environment a reader's terminal would have here: this node first on PATH, no colours, CI-like, HOME = the workspace. */
export function shellEnv(home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
    HOME: home,
    CI: "true",
    NO_COLOR: "1",
    LANG: "C.UTF-8",
    ...extra,
  };
}

/**
 * One bash, fed commands one at a time like a reader's terminal: `cd` and `export` carry over from one command
 * (and one block) to the next. Each command's exit code, stdout and stderr are told apart by markers; its
 * standard input is /dev/null (no terminal). The shell runs in its own process group, ended on close.
 */
export class ShellSession {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #marker = `@@doc-test-${randomBytes(6).toString("hex")}`;
  #stdout = "";
  #stderr = "";
  #exited = false;
  #wake: () => void = () => undefined;

  constructor(options: ShellOptions) {
    this.#child = spawn("bash", ["--noprofile", "--norc"], {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child.stdout.on("data", (chunk: Buffer) => {
      this.#stdout += chunk.toString();
      this.#wake();
    });
    this.#child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
      this.#wake();
    });
    this.#child.on("close", () => {
      this.#exited = true;
      this.#wake();
    });
    this.#child.stdin.write(PRELUDE);
  }

  /** Runs one command; rejects (ending the shell) when it has not finished within `timeoutMs`. */
  async run(command: string, timeoutMs = 60_000): Promise<CommandRun> {
    this.#child.stdin.write(
      `{ ${command}\n} </dev/null\n__doc_test_status=$?\nprintf '\\n%s %d\\n' '${this.#marker}' "$__doc_test_status"\nprintf '\\n%s\\n' '${this.#marker}' >&2\n`,
    );
    const outEnd = new RegExp(`\\n${this.#marker} (\\d+)\\n`);
    const errEnd = `\n${this.#marker}\n`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = outEnd.exec(this.#stdout);
      const err = this.#stderr.indexOf(errEnd);
      if (out && err >= 0) {
        const run = {
          code: Number(out[1]),
          stdout: this.#stdout.slice(0, out.index),
          stderr: this.#stderr.slice(0, err),
        };
        this.#stdout = this.#stdout.slice(out.index + out[0].length);
        this.#stderr = this.#stderr.slice(err + errEnd.length);
        return run;
      }
      if (this.#exited)
        throw new Error(`the shell ended during \`${command}\`\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
      if (Date.now() > deadline) {
        this.#kill("SIGKILL");
        throw new Error(
          `\`${command}\` did not finish within ${timeoutMs / 1000} s\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`,
        );
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, 250);
        this.#wake = () => {
          clearTimeout(timer);
          wake();
        };
      });
    }
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const closed = new Promise<void>((done) => this.#child.once("close", () => done()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#kill("SIGKILL"), 5_000);
    await closed;
    clearTimeout(timer);
  }

  #kill(signal: NodeJS.Signals): void {
    if (this.#child.pid !== undefined && !this.#exited) process.kill(-this.#child.pid, signal);
  }
}

/**
 * A command that runs until interrupted (`reform sim`), as in a second terminal: its own bash and process group,
 * ready once its stdout shows `ready`; `stop()` sends SIGINT, as Ctrl-C would, and resolves with its exit code.
 */
export class Background {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #closed: Promise<number>;
  stdout = "";
  stderr = "";

  constructor(command: string, options: ShellOptions) {
    this.#child = spawn("bash", ["--noprofile", "--norc", "-c", `${PRELUDE}${command}`], {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child.stdin.end();
    this.#child.stdout.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.#child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#closed = new Promise((done) => this.#child.on("close", (code, signal) => done(code ?? (signal ? 128 : 1))));
  }

  /** Resolves once stdout contains `text`; rejects if the command ends first or `timeoutMs` passes. */
  async ready(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.#closed.then(() => (ended = true));
    while (!this.stdout.includes(text)) {
      if (ended)
        throw new Error(`it ended before printing "${text}"\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(
          `it did not print "${text}" within ${timeoutMs / 1000} s\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      await new Promise((wake) => setTimeout(wake, 50));
    }
  }

  /** Ctrl-C: SIGINT to its process group; SIGKILL if it is still there after 10 s. Resolves with the exit code. */
  async stop(): Promise<number> {
    const pid = this.#child.pid;
    if (pid !== undefined && this.#child.exitCode === null) {
      try {
        process.kill(-pid, "SIGINT");
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => {
      if (pid !== undefined && this.#child.exitCode === null) process.kill(-pid, "SIGKILL");
    }, 10_000);
    const code = await this.#closed;
    clearTimeout(timer);
    return code;
  }
}
