import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { isAscii } from "node:buffer";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

  // bin/reform.js compiles the bundle with V8's code cache that `npm run build` made (scripts/bundle-cli.js).
  const cacheUse = (root: string) =>
    execFileSync(
      process.execPath,
      [
        "-e",
        "const { loadBundle } = require(process.argv[1]); const { script } = loadBundle(); process.stdout.write(String(script.cachedDataRejected))",
        join(root, "bin/reform.js"),
      ],
      { encoding: "utf8" },
    );

  it("compiles the bundle with the build's code cache, which V8 accepts", () => {
    expect(cacheUse(ROOT)).toBe("false");
  });

  it("is ASCII (bin/reform.js then reads it without UTF-8 decoding), the license notices kept beside it", () => {
    expect(isAscii(readFileSync(join(ROOT, "dist/cli-bundle/reform.cjs")))).toBe(true);
    expect(readFileSync(join(ROOT, "dist/cli-bundle/reform.cjs.LEGAL.txt"), "utf8")).toContain("MIT");
  });

  it("does not offer V8 a code cache made from another text of the bundle, and runs as well without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reform-bundle-"));
    try {
      cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
      cpSync(join(ROOT, "dist/cli-bundle"), join(dir, "dist/cli-bundle"), { recursive: true });
      cpSync(join(ROOT, "schemas"), join(dir, "schemas"), { recursive: true });
      symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
      // Another build of the same length would pass V8's own check (the text's length): the digest does not.
      const bundle = join(dir, "dist/cli-bundle/reform.cjs");
      writeFileSync(bundle, readFileSync(bundle, "utf8").replace("reform", "REFORM"));
      expect(cacheUse(dir)).toBe("undefined");
      appendFileSync(bundle, "\n");
      expect(cacheUse(dir)).toBe("undefined");
      rmSync(`${bundle}.cache`);
      expect(cacheUse(dir)).toBe("undefined");
      const run = await runCli(["schema", "fleet"], { cwd: dir });
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(run.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, "schemas/fleet.schema.json"), "utf8")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

  // src/providers/http/client.ts imports undici's Agent and request from their files, not undici's entry, which also
  // loads fetch, WebSocket, the caches and the mocks: Node's own fetch, web streams, zlib and perf_hooks with them.
  it("reform plan of an OpenStack fleet loads undici's dispatcher, not the rest of undici", async () => {
    const keystone = createServer((req, res) => {
      req.resume();
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"error":{"code":401,"message":"The request you have made requires authentication."}}');
    });
    keystone.listen(0, "127.0.0.1");
    await once(keystone, "listening");
    const dir = mkdtempSync(join(tmpdir(), "reform-bundle-"));
    try {
      const { port } = keystone.address() as AddressInfo;
      writeFileSync(
        join(dir, "fleet.yaml"),
        "providers:\n  dc1: { type: openstack, identityEndpoint: 'http://127.0.0.1:" +
          port +
          "/v3' }\ngroups:\n  - name: web\n    provider: dc1\n    match: { name: 'web-*' }\n    spec: { keyPair: ops }\n",
      );
      const run = await runCli(["plan", "-c", "fleet.yaml"], {
        cwd: dir,
        env: {
          NODE_OPTIONS: `--require=${REPORT_BUILTINS}`,
          OS_AUTH_TYPE: "password",
          OS_USERNAME: "u",
          OS_PASSWORD: "p",
          OS_PROJECT_NAME: "p",
          OS_AUTH_URL: `http://127.0.0.1:${port}/v3`,
        },
      });
      // Keystone refused the token: the HTTP stack was loaded and used.
      expect(run.stderr).toContain("401");
      const builtins = builtinsOf(run.stderr);
      expect(builtins).toContain("http");
      for (const unused of ["internal/deps/undici/undici", "zlib", "perf_hooks", "internal/webstreams/readablestream"])
        expect(builtins).not.toContain(unused);
    } finally {
      keystone.close();
      rmSync(dir, { recursive: true, force: true });
    }
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
