import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { systemClock } from "../runtime/clock.js";
import { realPathOnDisk } from "../runtime/real-path.js";
import type { CliIo } from "./io.js";
import { main } from "./main.js";

const packageVersion = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

async function reform(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: new PassThrough(),
    env: { CI: "true", NO_COLOR: "1" },
    cwd: process.cwd(),
    homeDir: process.cwd(),
    clock: systemClock,
    readFile: (path) => readFile(path),
    realPath: realPathOnDisk,
  };
  const code = await main(args, io, new AbortController().signal);
  return { code, stdout, stderr };
}

describe("main", () => {
  // bin/reform.js answers `--version` alone before loading main (test/cli-version.test.ts); main answers it through commander.
  it.each([["--version"], ["-V"], ["--debug", "--version"]])("prints the package version for %s", async (...args) => {
    expect(await reform(args)).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: "" });
  });

  it("exits 0 with the help, 1 with a usage error that commander printed", async () => {
    const help = await reform(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: reform");
    const bad = await reform(["plan", "--no-such-option"]);
    expect(bad).toMatchObject({ code: 1, stdout: "" });
    expect(bad.stderr).toContain("unknown option '--no-such-option'");
  });

  it("reports a failing command's error and exits 1", async () => {
    const run = await reform(["validate", "-c", "no-such-fleet.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "Error: 1 error in configuration:\n  cannot read fleet file no-such-fleet.yaml: no such file\n",
    );
  });
});
