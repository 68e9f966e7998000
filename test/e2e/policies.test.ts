import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverByName } from "../support/world.js";

const OLD_USER_DATA = "#cloud-config\npackages: [nginx]\n";
const SECRET = "s3cr3t-Hunter2-in-user-data";

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
${["web-1", "web-2", "web-3"].map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: ${JSON.stringify(OLD_USER_DATA)} }`).join("\n")}
`);

/** One group over every server, with `spec` and `policy` as given (flow YAML), plus optional instance entries. */
function fleet(spec: string, policy: string, instances = ""): string {
  return `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: ${spec}
    policy: ${policy}
${instances === "" ? "" : `instances:\n${instances}`}`;
}

interface PlanJson {
  readonly applyable: boolean;
  readonly summary: Record<string, number>;
  readonly changes: readonly { address: string; action: string; reasons: { field?: string; message: string }[] }[];
}

describe("change policies fail closed", { timeout: 90_000 }, () => {
  let cloud: TestCloud;
  /** Mutating actions the emulator accepted so far: every refused plan must leave this unchanged. */
  const accepted = () => cloud.emulator.stats.actions.filter((a) => a.action !== "create").length;

  async function plan(file: string, ...args: string[]): Promise<CliRun> {
    return cloud.reform(["plan", "-c", file, ...args]);
  }

  /** Plans as JSON and returns the document. */
  async function planJson(file: string): Promise<{ run: CliRun; doc: PlanJson }> {
    const run = await plan(file, "--output", "json");
    return { run, doc: JSON.parse(run.stdout) as PlanJson };
  }

  /** A refused plan: exit 1, not applyable; apply (direct or from a saved plan) sends nothing. */
  async function expectRefused(file: string): Promise<CliRun> {
    const before = accepted();
    const run = await plan(file, "-out", `${file}.plan.json`);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/The plan has errors: it is shown, but it cannot be applied\./);
    const apply = await cloud.reform(["apply", "-c", file, "--auto-approve"]);
    expect(apply.code).toBe(1);
    const saved = await cloud.reform(["apply", `${file}.plan.json`]);
    expect(saved.code).toBe(1);
    expect(accepted()).toBe(before);
    return run;
  }

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(fleet("{ image: { name: ubuntu-24.04 } }", "{ onImageChange: fail }"), "image-fail.yaml");
    await cloud.writeFleet(fleet("{ keyPair: ops-2026 }", "{ onKeyPairChange: fail }"), "key-fail.yaml");
    await cloud.writeFleet(
      fleet(`{ userData: { inline: "#cloud-config\\npackages: [nginx, jq]\\n" } }`, "{ onUserDataChange: fail }"),
      "user-data-fail.yaml",
    );
    await cloud.writeFleet(
      fleet(
        `{ userData: { inline: "#cloud-config\\nchpasswd: ${SECRET}\\n", sensitive: true } }`,
        "{ onUserDataChange: fail }",
      ),
      "sensitive-fail.yaml",
    );
    await cloud.writeFleet(
      fleet(`{ userData: { inline: "#cloud-config\\npackages: [nginx, jq]\\n" } }`, "{ onUserDataChange: ignore }"),
      "user-data-ignore.yaml",
    );
    await cloud.writeFleet(
      fleet(
        "{ image: { name: ubuntu-24.04 }, keyPair: ops-2026 }",
        "{ onImageChange: rebuild, onKeyPairChange: rebuild, onUserDataChange: rebuild }",
      ),
      "rebuild.yaml",
    );
    await cloud.writeFleet(
      fleet(
        "{ image: { name: ubuntu-22.04 }, metadata: { role: frontend } }",
        "{ onImageChange: fail, onKeyPairChange: fail, onUserDataChange: fail }",
      ),
      "unchanged.yaml",
    );
    await cloud.writeFleet(
      fleet(
        "{ image: { name: ubuntu-24.04 } }",
        "{ onImageChange: fail }",
        "  - { provider: dc1, name: web-2, policy: { onImageChange: rebuild } }\n",
      ),
      "override.yaml",
    );
    await cloud.writeFleet(
      `providers: { dc1: { type: openstack, cloud: test } }
defaults:
  policy: { onKeyPairChange: fail }
instances:
  - { provider: dc1, name: web-3, spec: { keyPair: ops-2026 } }
`,
      "defaults.yaml",
    );
  });
  afterAll(async () => cloud.close());

  it("onImageChange: fail refuses the plan, naming each server and the image field", async () => {
    const run = await expectRefused("image-fail.yaml");
    for (const n of ["web-1", "web-2", "web-3"])
      expect(run.stdout).toMatch(new RegExp(`dc1/${n} has an error \\(the plan cannot be applied\\)`));
    expect(run.stdout).toMatch(/refused by policy onImageChange:\s+fail/);
    expect(run.stdout).toMatch(/Plan: 3 error\./);
    expect((await plan("image-fail.yaml", "--detailed-exitcode")).code).toBe(1);
    const { doc } = await planJson("image-fail.yaml");
    expect(doc.changes[0]?.reasons[0]?.message).toMatch(
      /^dc1\/web-1: image change ubuntu-22\.04 \([0-9a-f-]{36}\) → ubuntu-24\.04 \([0-9a-f-]{36}\) refused by policy onImageChange: fail$/,
    );
    expect(doc.applyable).toBe(false);
    expect(doc.changes.map((c) => [c.address, c.action, c.reasons.map((r) => r.field)])).toEqual([
      ["dc1/web-1", "error", ["image"]],
      ["dc1/web-2", "error", ["image"]],
      ["dc1/web-3", "error", ["image"]],
    ]);
    expect(serverByName(cloud.emulator, "web-1").imageId).toBe(
      cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-22.04")?.id,
    );
  });

  it("onKeyPairChange: fail refuses the plan, naming each server and the key pair", async () => {
    const run = await expectRefused("key-fail.yaml");
    expect(run.stdout).toMatch(
      /dc1\/web-1: key pair change ops-2025 → ops-2026 refused by policy\s+onKeyPairChange: fail/,
    );
    const { doc } = await planJson("key-fail.yaml");
    expect(doc.changes.every((c) => c.action === "error" && c.reasons[0]?.field === "key_pair")).toBe(true);
    expect(serverByName(cloud.emulator, "web-2").keyPair).toBe("ops-2025");
  });

  it("onUserDataChange: fail refuses the plan, naming each server and user_data", async () => {
    const run = await expectRefused("user-data-fail.yaml");
    expect(run.stdout).toMatch(
      /dc1\/web-3: user_data change \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\) refused by policy\s+onUserDataChange: fail/,
    );
    // The refused change is still shown as a reviewable line diff.
    expect(run.stdout).toMatch(/-packages: \[nginx\]\n\s+\+packages: \[nginx, jq\]/);
    const { doc } = await planJson("user-data-fail.yaml");
    expect(doc.changes.every((c) => c.action === "error" && c.reasons[0]?.field === "user_data")).toBe(true);
  });

  it("a refused sensitive user_data change names server and field but neither content nor digest", async () => {
    const run = await expectRefused("sensitive-fail.yaml");
    expect(run.stdout).toMatch(/dc1\/web-1: user_data change \(sensitive\) refused by policy\s+onUserDataChange: fail/);
    const markdown = await plan("sensitive-fail.yaml", "--output", "markdown");
    const json = await plan("sensitive-fail.yaml", "--output", "json");
    for (const out of [run.stdout, markdown.stdout, json.stdout]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toMatch(/sha256 [0-9a-f]{12}/);
    }
  });

  it("onUserDataChange: ignore plans nothing and says why", async () => {
    const before = accepted();
    const run = await plan("user-data-ignore.yaml", "--detailed-exitcode");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/No changes\./);
    const { doc } = await planJson("user-data-ignore.yaml");
    expect(doc.applyable).toBe(true);
    expect(doc.changes.every((c) => c.action === "no-op")).toBe(true);
    expect(doc.changes[0]?.reasons.map((r) => r.message).join("\n")).toMatch(
      /user_data differs \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\) but is ignored by policy onUserDataChange: ignore/,
    );
    expect((await cloud.reform(["apply", "-c", "user-data-ignore.yaml", "--auto-approve"])).code).toBe(0);
    expect(accepted()).toBe(before);
  });

  it("a fail policy on a field that does not change refuses nothing", async () => {
    const run = await plan("unchanged.yaml", "--detailed-exitcode");
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Plan: 3 update-metadata\./);
    expect(run.stdout).not.toMatch(/refused by policy/);
  });

  it("an instance's policy overrides its group's; one refused server still refuses the whole plan", async () => {
    const run = await expectRefused("override.yaml");
    expect(run.stdout).toMatch(/Plan: 1 rebuild, 2 error\./);
    const { doc } = await planJson("override.yaml");
    expect(doc.changes.map((c) => [c.address, c.action])).toEqual([
      ["dc1/web-1", "error"],
      ["dc1/web-2", "rebuild"],
      ["dc1/web-3", "error"],
    ]);
    expect(doc.changes[2]?.reasons[0]?.message).toMatch(
      /^dc1\/web-3: image change .+ refused by policy onImageChange: fail$/,
    );
  });

  it("a policy in defaults applies to every server", async () => {
    const run = await expectRefused("defaults.yaml");
    expect(run.stdout).toMatch(
      /dc1\/web-3: key pair change ops-2025 → ops-2026 refused by policy\s+onKeyPairChange: fail/,
    );
  });

  it("onImageChange and onKeyPairChange: rebuild plan the rebuild, which applies and converges", async () => {
    const run = await plan("rebuild.yaml", "--detailed-exitcode");
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Plan: 3 rebuild\./);
    expect((await cloud.reform(["apply", "-c", "rebuild.yaml", "--auto-approve"])).code).toBe(0);
    expect(serverByName(cloud.emulator, "web-1").keyPair).toBe("ops-2026");
    expect((await plan("rebuild.yaml", "--detailed-exitcode")).code).toBe(0);
  });
});
