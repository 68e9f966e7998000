import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const ROOT = join(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("reform --version (the built binary)", () => {
  // bin/reform.js answers `--version` and `-V` alone before loading the CLI; with other arguments commander answers.
  it.each([["--version"], ["-V"], ["--debug", "--version"]])(
    "prints the package version for %s and exits 0",
    async (...args) => {
      expect(await runCli(args, { cwd: ROOT })).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    },
  );
});
