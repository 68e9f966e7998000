import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../src/config/load.js";
import { DEFAULT_CHANGE_POLICY } from "../src/model/desired.js";
import { ConfigError, formatDiagnostic } from "../src/model/errors.js";
import { userDataSha256 } from "../src/model/user-data.js";
import { realPathOnDisk } from "../src/runtime/real-path.js";

const root = dirname(fileURLToPath(import.meta.url));
const fixtures = join(root, "fixtures", "fleets");
const cwd = dirname(root);
const env = { REFORM_TEST_REGION: "RegionOne" };
const deps = {
  readFile: (path: string) => readFile(path),
  realPath: realPathOnDisk,
  env,
  allowEnv: ["REFORM_TEST_REGION"],
  cwd,
};

/** `# expect: LINE:COL message fragment` on the first line of each broken fleet file. */
function expectation(path: string): { line: number; column: number; fragment: string } {
  const first = readFileSync(path, "utf8").split("\n")[0] ?? "";
  const match = /^# expect: (\d+):(\d+) (.+)$/.exec(first);
  if (!match) throw new Error(`${path}: the first line must be "# expect: LINE:COL fragment"`);
  return { line: Number(match[1]), column: Number(match[2]), fragment: match[3] as string };
}

async function loadError(path: string): Promise<ConfigError> {
  try {
    await loadFleet(path, deps);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without error`);
}

const badFiles = readdirSync(join(fixtures, "bad"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("broken fleet files", () => {
  it("has a corpus of at least 50 files", () => {
    expect(badFiles.length).toBeGreaterThanOrEqual(50);
  });

  it.each(badFiles)("%s is rejected with a located, readable error", async (name) => {
    const path = join(fixtures, "bad", name);
    const { line, column, fragment } = expectation(path);
    const error = await loadError(path);
    const shown = relative(cwd, path);
    const located = error.diagnostics.filter((d) => d.location?.line === line && d.location.column === column);
    expect(located.map(formatDiagnostic).join("\n"), String(error.message)).toContain(fragment);
    for (const d of located) expect(d.location?.file).toBe(shown);
    expect(String(error.message)).toContain(`${shown}:${line}:${column}: `);
    expect(String(error.message)).not.toContain("    at ");
    expect(error.code).toBe("CONFIG_INVALID");
  });

  it("never echoes a literal password", async () => {
    const error = await loadError(join(fixtures, "bad", "literal-password.yaml"));
    expect(String(error.message)).not.toContain("Hunter2-literal-secret");
  });

  it("names the fleet file when it cannot be read", async () => {
    const error = await loadError(join(fixtures, "bad", "no-such-fleet.yaml"));
    expect(error.message).toContain("cannot read fleet file test/fixtures/fleets/bad/no-such-fleet.yaml: no such file");
  });
});

describe("good fleet files", () => {
  it("loads the minimal fleet", async () => {
    const fleet = await loadFleet("test/fixtures/fleets/good/minimal.yaml", deps);
    expect(fleet.file).toBe(join(fixtures, "good", "minimal.yaml"));
    // Paths a provider uses are handed over checked and absolute: here the default state file.
    const state = join(fixtures, "good", ".reform", "sim-local.json");
    expect(fleet.providers).toEqual([
      {
        name: "local",
        type: "sim",
        options: { state },
        source: { file: "test/fixtures/fleets/good/minimal.yaml", line: 3, column: 3 },
      },
    ]);
    expect(fleet.instances).toEqual([
      {
        provider: "local",
        selector: { name: "web-1" },
        spec: { image: { name: "ubuntu-24.04" } },
        rollout: {},
        source: { file: "test/fixtures/fleets/good/minimal.yaml", line: 5, column: 5 },
      },
    ]);
    expect(fleet.groups).toEqual([]);
    expect(fleet.defaults).toEqual({ spec: {}, rollout: {} });
    expect(fleet.journal).toBe(join(fixtures, "good", ".reform", "journal.jsonl"));
    expect(fleet.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("loads every feature of the full fleet", async () => {
    const fleet = await loadFleet(join(fixtures, "good", "full.yaml"), deps);
    const [dc1, local] = fleet.providers;
    expect(dc1?.options).toEqual({
      cloud: "dc1",
      region: "RegionOne",
      interface: "internal",
      computeApiVersion: "2.79",
      insecure: false,
      cacert: join(fixtures, "good", "ca.pem"),
    });
    expect(local?.options).toEqual({
      world: join(fixtures, "good", "worlds", "quickstart.yaml"),
      state: join(fixtures, "good", ".reform", "sim.json"),
      timings: { rebuild: "2s", reboot: 500 },
    });
    expect(fleet.journal).toBe(join(fixtures, "good", "state", "journal.jsonl"));
    expect(fleet.defaults.rollout).toEqual({ parallelism: 5, maxUnavailable: "25%" });
    expect(fleet.defaults.spec.changePolicy).toEqual({
      onImageChange: "rebuild",
      onUserDataChange: "ignore",
      maxDisruption: "reboot",
      minDisruption: "reboot",
    });
    expect(fleet.limits).toEqual({ reprovision: "10%" });
    const [web, everything] = fleet.groups;
    expect(web?.match).toEqual({ name: "web-*", metadata: { role: "web" } });
    expect(web?.provider).toBe("dc1");
    expect(web?.spec.changePolicy).toEqual({ onKeyPairChange: "fail", protect: true });
    expect(web?.spec.userData).toEqual({
      content: "#cloud-config\npackages: [nginx]\n",
      sha256: userDataSha256("#cloud-config\npackages: [nginx]\n"),
      sensitive: false,
      origin: "file",
    });
    expect(everything?.provider).toBeUndefined();
    const [byName, byId, db] = fleet.instances;
    expect(byName?.spec.metadata).toEqual({ tier: "2", note: "costs ${env:NOT_A_VAR}" });
    expect(byName?.spec.reboot).toEqual({ token: "2026-11-22", type: "SOFT" });
    expect(byName?.spec.password).toEqual({ env: "JD_ROOT_PASSWORD" });
    expect(byId?.selector).toEqual({ id: "7c1f5a52-0000-4000-8000-000000000001" });
    expect(byId?.spec.keyPair).toBeNull();
    expect(byId?.spec.userData).toMatchObject({
      content: "#cloud-config\nruncmd: [reboot]\n",
      sensitive: true,
      origin: "base64",
    });
    expect(byId?.spec.changePolicy).toEqual({ onImageChange: "fail" });
    expect(db?.spec).toEqual({ userData: null, image: { id: "img-123" } });
    expect(DEFAULT_CHANGE_POLICY.onImageChange).toBe("rebuild");
  });
});
