import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { nova, tokenFor, waitFor } from "../../src/emulator/test-client.js";
import type { CliRun } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { ADMIN_PASSWORD, startTestCloud, worldWith } from "../support/cloud.js";
import { serverByName } from "../support/world.js";

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: legacy-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: db } }
`);

const fleet = (webRole: string) => `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ubuntu-24.04 }, metadata: { role: ${webRole}, monitoring: "on" } }
instances:
  - { provider: dc1, name: legacy-1, spec: { metadata: { role: db } } }
`;

/** Requests that could change something. Keystone's token POST creates a token, never touches a server. */
function mutatingRequests(emulator: Emulator): number {
  return Object.entries(emulator.stats.byRoute)
    .filter(([route]) => /^(POST|PUT|PATCH|DELETE) /.test(route) && !route.startsWith("POST /identity/"))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe("reform drift", () => {
  let cloud: TestCloud;
  let runs = 0;

  /** Every drift run is checked to send no mutating request and to start no action. */
  async function driftRun(...args: string[]): Promise<CliRun> {
    const before = mutatingRequests(cloud.emulator);
    const actions = cloud.emulator.stats.actions.length;
    const run = await cloud.reform(["drift", "-c", "fleet.yaml", ...args]);
    expect(mutatingRequests(cloud.emulator) - before).toBe(0);
    expect(cloud.emulator.stats.actions.length).toBe(actions);
    runs += 1;
    return run;
  }

  async function outOfBand(name: string, path: string, body: unknown): Promise<void> {
    const token = await tokenFor(cloud.emulator, "admin", ADMIN_PASSWORD);
    const reply = await nova(
      cloud.emulator,
      token,
      "2.57",
    )(`/servers/${serverByName(cloud.emulator, name).id}${path}`, { method: "POST", body });
    expect(reply.status).toBeLessThan(300);
    await waitFor(
      async () => serverByName(cloud.emulator, name),
      (s) => s.taskState === null && s.vmState === "active",
    );
  }

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(fleet("web"));
  });
  afterAll(async () => cloud.close());

  it("reports servers reform never applied as unknown, not drift (exit 0)", async () => {
    const run = await driftRun();
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Unknown: never applied by reform/);
    expect(run.stdout).toMatch(/dc1\/legacy-1/);
    expect(run.stdout).toMatch(/No drift\. 0 servers in sync \(3 never applied by reform\)/);
  });

  it("is in sync after an apply (exit 0)", async () => {
    expect((await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--target", "dc1/web-*"])).code).toBe(0);
    const run = await driftRun("--output", "json");
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      format_version: string;
      summary: Record<string, number>;
      servers: { address: string; status: string }[];
    };
    expect(doc.format_version).toBe("1.0");
    expect(doc.summary).toEqual({ drift: 0, unapplied: 0, "in-sync": 2, unknown: 1 });
    expect(doc.servers.find((s) => s.address === "dc1/legacy-1")?.status).toBe("unknown");
  });

  it("reports a server rebuilt and re-tagged outside reform as drift (exit 2), naming server and fields", async () => {
    const old = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-22.04");
    await outOfBand("web-1", "/action", { rebuild: { imageRef: old?.id } });
    await outOfBand("web-2", "/metadata", { metadata: { monitoring: "off" } });
    expect(serverByName(cloud.emulator, "web-1").imageId).toBe(old?.id);
    const run = await driftRun();
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Drift: changed outside reform/);
    expect(run.stdout).toMatch(/dc1\/web-1 [^\n]*image changed outside reform/);
    expect(run.stdout).toMatch(/~ image: "ubuntu-22\.04" → "ubuntu-24\.04"/);
    expect(run.stdout).toMatch(/~ metadata\.monitoring: "off" → "on"/);
    expect(run.stdout).toMatch(/Drift: 2 drifted, 0 unapplied, 0 in sync, 1 unknown\./);
  });

  it("renders markdown for an issue", async () => {
    const run = await driftRun("--output", "markdown");
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^## reform drift/);
    expect(run.stdout).toMatch(/\| drift \| 2 \|/);
    expect(run.stdout).toMatch(/<details><summary><b>drift<\/b> <code>dc1\/web-1<\/code><\/summary>/);
  });

  it("--ignore silences a field or an address", async () => {
    const fields = await driftRun("--ignore", "metadata.monitoring");
    expect(fields.code).toBe(2);
    expect(fields.stdout).not.toMatch(/dc1\/web-2 [^\n]*changed outside/);
    expect(fields.stdout).toMatch(/dc1\/web-1/);
    const both = await driftRun("--ignore", "metadata.monitoring", "--ignore", "image");
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/Ignored: metadata\.monitoring, image/);
    const address = await driftRun("--ignore", "dc1/web-1", "--ignore", "metadata.*");
    expect(address.code).toBe(0);
    expect(address.stdout).not.toMatch(/dc1\/web-1 \(id/);
    expect(address.stdout).toMatch(/No drift\. 1 server in sync/);
  });

  it("warns on stderr about --ignore and --target values that select nothing, and still reports", async () => {
    const quiet = await driftRun(
      "--ignore",
      "keypair",
      "--ignore",
      "metadata.*",
      "--ignore",
      "dc1/web-*",
      "--target",
      "dc1/*",
    );
    expect(quiet.stderr).toBe("");
    const run = await driftRun(
      "--ignore",
      "keypiar",
      "--ignore",
      "dc9/*",
      "--target",
      "nomatch/*",
      "--target",
      "dc1/web-1",
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/dc1\/web-1/);
    expect(run.stderr.split("\n")).toEqual([
      "Warning: --target 'nomatch/*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/legacy-1): it selects nothing",
      "Warning: --ignore 'keypiar' is not a field (image, keyPair, userData, reboot, power, status, metadata.KEY (globs allowed)) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing; did you mean 'keypair'?",
      "Warning: --ignore 'dc9/*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/legacy-1): it selects nothing",
      "",
    ]);
  });

  it("exits 1 with one readable error when the fleet names a server that does not exist", async () => {
    await cloud.writeFleet(
      `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: nowhere-1, spec: { metadata: { role: db } } }
`,
      "broken.yaml",
    );
    const before = mutatingRequests(cloud.emulator);
    const run = await cloud.reform(["drift", "-c", "broken.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nowhere-1/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(mutatingRequests(cloud.emulator)).toBe(before);
    expect(runs).toBeGreaterThan(5);
  });
});

describe("reform drift on configuration changes not applied yet", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(fleet("web"));
    expect((await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"])).code).toBe(0);
  });
  afterAll(async () => cloud.close());

  it("reports an edited but unapplied configuration as unapplied (exit 3), not drift", async () => {
    await cloud.writeFleet(fleet("frontend"));
    const before = mutatingRequests(cloud.emulator);
    const run = await cloud.reform(["drift", "-c", "fleet.yaml", "--output", "json"]);
    expect(mutatingRequests(cloud.emulator)).toBe(before);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as {
      summary: Record<string, number>;
      servers: { address: string; status: string; fields: { path: string }[] }[];
    };
    expect(doc.summary).toEqual({ drift: 0, unapplied: 2, "in-sync": 0, unknown: 1 });
    expect(doc.servers.find((s) => s.address === "dc1/web-1")?.fields.map((f) => f.path)).toEqual(["metadata.role"]);
  });

  it("reports drift when a server also moved away from what was applied (exit 2)", async () => {
    const token = await tokenFor(cloud.emulator, "admin", ADMIN_PASSWORD);
    const reply = await nova(cloud.emulator, token)(`/servers/${serverByName(cloud.emulator, "web-2").id}/metadata`, {
      method: "POST",
      body: { metadata: { monitoring: "off" } },
    });
    expect(reply.status).toBe(200);
    const run = await cloud.reform(["drift", "-c", "fleet.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Drift: 1 drifted, 1 unapplied, 0 in sync, 1 unknown\./);
    expect(run.stdout).toMatch(/dc1\/web-2 [^\n]*no longer matches what reform last applied/);
  });
});
