import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const run = promisify(execFile);

/** What `npm pack` would put in the tarball, as `npm pack --dry-run --json` lists it. */
async function packedFiles(dir: string): Promise<string[]> {
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: dir,
    env: { ...process.env, npm_config_loglevel: "silent" },
  });
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((f) => f.path).sort();
}

/** The package ships code, schemas, docs and examples: never local state, journals or test fixtures. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^bin\/(reform\.js|package\.json)$/,
  /^dist\/.+\.(js|d\.ts)$/,
  /^dist\/cli-bundle\/reform\.cjs(\.cache|\.LEGAL\.txt)?$/,
  /^schemas\/[a-z]+\.schema\.json$/,
  /^docs\/[a-z0-9-]+\.(md|svg)$/,
  /^examples\/[^/]+\.(yaml|sh)$/,
  /^examples\/(cloud-init|worlds|github-actions)\/[^/]+\.ya?ml$/,
];
const FORBIDDEN = [/\.reform\//, /\.jsonl$/, /(^|\/)test-[^/]*$/, /\.test\./, /^test\//, /\.map$/];

describe("package contents", () => {
  const scratch: string[] = [];
  afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("leave out local state, journals, test files and source maps even when they lie next to what ships", async () => {
    // A copy of package.json over a tree with every kind of file that must not ship planted where a demo, a test
    // run or a build leaves them.
    const dir = await mkdtemp(join(tmpdir(), "reform-pack-"));
    scratch.push(dir);
    await cp(join(ROOT, "package.json"), join(dir, "package.json"));
    const files = [
      "bin/reform.js",
      "bin/package.json",
      "dist/cli-bundle/reform.cjs",
      "dist/cli-bundle/reform.cjs.cache",
      "dist/cli-bundle/reform.cjs.LEGAL.txt",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/index.js.map",
      "dist/config/load.test.js",
      "dist/providers/test-support.js",
      "schemas/fleet.schema.json",
      "docs/security.md",
      "README.md",
      "examples/quickstart.yaml",
      "examples/quickstart.sh",
      "examples/worlds/openstack.yaml",
      "examples/.reform/journal.jsonl",
      "examples/.reform/quickstart-sim.json",
      "examples/worlds/.reform/sim-local.json",
      "examples/journal.jsonl",
      "test/fixtures/secrets/pw.txt",
    ];
    for (const file of files) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), "x\n");
    }
    expect(await packedFiles(dir)).toEqual(
      [
        "README.md",
        "bin/package.json",
        "bin/reform.js",
        "dist/cli-bundle/reform.cjs",
        "dist/cli-bundle/reform.cjs.LEGAL.txt",
        "dist/cli-bundle/reform.cjs.cache",
        "dist/index.d.ts",
        "dist/index.js",
        "docs/security.md",
        "examples/quickstart.sh",
        "examples/quickstart.yaml",
        "examples/worlds/openstack.yaml",
        "package.json",
        "schemas/fleet.schema.json",
      ].sort(),
    );
  }, 60_000);

  it("of this checkout are only code, schemas, docs and examples", async () => {
    const packed = await packedFiles(ROOT);
    expect(packed).toContain("bin/reform.js");
    // bin/reform.js is CommonJS because of bin/package.json, and runs the bundle with its code cache.
    expect(packed).toContain("bin/package.json");
    expect(packed).toContain("dist/cli-bundle/reform.cjs");
    expect(packed).toContain("dist/cli-bundle/reform.cjs.cache");
    // The license notices of the dependencies bundled into the command line.
    expect(packed).toContain("dist/cli-bundle/reform.cjs.LEGAL.txt");
    expect(packed).toContain("dist/index.js");
    expect(packed).toContain("schemas/fleet.schema.json");
    expect(packed.filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(packed.filter((path) => FORBIDDEN.some((pattern) => pattern.test(path)))).toEqual([]);
  }, 60_000);
});
