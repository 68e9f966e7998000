import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const ROOT = join(import.meta.dirname, "..");
const REPORT_BUILTINS = join(import.meta.dirname, "support/report-builtins.cjs");

/** The built-in modules a run of the binary loaded (test/support/report-builtins.cjs). */
function builtinsOf(stderr: string): string[] {
  const line = stderr.split("\n").find((l) => l.startsWith("builtins: "));
  if (line === undefined) throw new Error(`no builtins line in:\n${stderr}`);
  return line.slice("builtins: ".length).split(" ");
}

// bin/reform.js runs the command line bundled by scripts/bundle-cli.js (npm run build), not dist/cli/.
describe("the bundled command line (the built binary)", () => {
  it.each([
    ["fleet", "fleet.schema.json"],
    ["plan", "plan.schema.json"],
  ])("reform schema %s prints schemas/%s, found from the bundle's own location", async (which, file) => {
    const run = await runCli(["schema", which], { cwd: ROOT });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, "schemas", file), "utf8")));
  });

  it("reform validate loads neither HTTP (undici, the providers) nor node:child_process (commander's, made lazy)", async () => {
    const run = await runCli(["validate", "-c", "examples/quickstart.yaml"], {
      cwd: ROOT,
      env: { NODE_OPTIONS: `--require=${REPORT_BUILTINS}` },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("examples/quickstart.yaml is valid");
    const builtins = builtinsOf(run.stderr);
    expect(builtins).toContain("crypto"); // hashes the fleet file: what is listed is what was loaded
    expect(builtins).not.toContain("tls");
    expect(builtins).not.toContain("http2");
    expect(builtins).not.toContain("child_process");
  });

  // The bundle takes yaml's ES module build with its Node build's log.js (scripts/bundle-cli.js): yaml's warnings
  // still reach stderr through process.emitWarning, as "(node:PID) Warning: ...", not through console.warn.
  it("yaml's warnings are Node process warnings, as with yaml's Node build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reform-bundle-"));
    try {
      const fleet =
        "providers:\n  local: { type: sim }\ninstances:\n  - provider: local\n    name: a\n    spec:\n      metadata:\n        ? [x, y]\n        : z\n";
      writeFileSync(join(dir, "fleet.yaml"), fleet);
      const run = await runCli(["validate", "-c", "fleet.yaml"], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^\(node:\d+\) Warning: Keys with collection values will be stringified/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
