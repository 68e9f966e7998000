import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverByName, serverActions } from "../support/world.js";

const WORLD = worldWith(`  images:
    - { name: ubuntu-22.04 }
    - { name: ubuntu-24.04 }
    - { name: broken-image, fail: "No valid host was found. There are not enough hosts available." }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web, owner: team-web }, userData: "#cloud-config\\npackages: [nginx]\\n" }
    - { name: api-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: api, tier: "1", owner: team-api } }
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: db, "reform.reboot.token": "t1" } }
    - { name: busy-1, image: ubuntu-22.04, keyPair: ops-2025, task: rebuilding, busyFor: 60s }
    - { name: bad-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: bad } }
`);

const FLEET = `providers:
  dc1: { type: openstack, cloud: test }
instances:
  - provider: dc1
    name: web-1
    spec:
      image: { name: ubuntu-24.04 }
      keyPair: ops-2026
      metadata: { role: web }
      userData: { inline: "#cloud-config\\npackages: [nginx, curl]\\n" }
  - provider: dc1
    name: api-1
    spec:
      image: { name: ubuntu-22.04 }
      metadata: { role: api, tier: "2" }
  - provider: dc1
    name: db-1
    spec:
      reboot: { token: t2, type: SOFT }
`;

describe("plan, apply and verify against the emulated OpenStack over loopback", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("plans a reprovision, a metadata update and a reboot, with impacts", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json", "--detailed-exitcode"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { changes: { address: string; action: string; impact: string }[] };
    const byAddress = Object.fromEntries(doc.changes.map((c) => [c.address, c]));
    expect(byAddress["dc1/web-1"]).toMatchObject({ action: "rebuild", impact: "reprovision" });
    expect(byAddress["dc1/api-1"]).toMatchObject({ action: "update-metadata", impact: "none" });
    expect(byAddress["dc1/db-1"]).toMatchObject({ action: "reboot", impact: "reboot" });
  });

  it("applies in place, verifies, keeps unmanaged keys, and plans nothing afterwards", async () => {
    const web = serverByName(cloud.emulator, "web-1");
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 converged/);

    const after = serverByName(cloud.emulator, "web-1");
    expect(after.id).toBe(web.id);
    expect(after.metadata).toMatchObject({ role: "web", owner: "team-web" });
    expect(after.keyPair).toBe("ops-2026");
    expect(serverByName(cloud.emulator, "api-1").metadata).toMatchObject({ tier: "2", owner: "team-api" });
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
    expect(serverActions(cloud.emulator, "api-1")).toEqual([]);
    expect(serverActions(cloud.emulator, "db-1")).toEqual(["reboot"]);

    const again = await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
    // Nothing left to do: a pipeline that parses `apply --output json` still gets a report, with no results.
    const idle = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(idle.code).toBe(0);
    expect(JSON.parse(idle.stdout)).toMatchObject({ results: [], summary: { converged: 0, failed: 0, skipped: 0 } });
  });

  it("plans a server that is mid-operation as wait", async () => {
    await cloud.writeFleet(
      `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: busy-1, spec: { image: { name: ubuntu-24.04 } } }
`,
      "busy.yaml",
    );
    const run = await cloud.reform(["plan", "-c", "busy.yaml", "--output", "json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { changes: { action: string; steps: unknown[] }[] };
    expect(doc.changes[0]).toMatchObject({ action: "wait", steps: [] });
  });

  it("reports a rebuild that ends in ERROR as failed, with the fault and the request id, and exits 1", async () => {
    await cloud.writeFleet(
      `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: bad-1, spec: { image: { name: broken-image } } }
`,
      "bad.yaml",
    );
    const run = await cloud.reform(["apply", "-c", "bad.yaml", "--auto-approve"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/dc1\/bad-1[^\n]*No valid host was found/);
    expect(run.stdout).toMatch(/req-[0-9a-f-]{36}/);
    expect(run.stdout).toMatch(/1 failed/);
  });

  it("refuses to apply without --auto-approve when there is no terminal", async () => {
    const run = await cloud.reform(["apply", "-c", "bad.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--auto-approve/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("restricts the plan to --target addresses", async () => {
    const run = await cloud.reform(["plan", "-c", "busy.yaml", "--output", "json", "--target", "dc1/nothing-*"]);
    const doc = JSON.parse(run.stdout) as { changes: unknown[] };
    expect(doc.changes).toEqual([]);
  });
});

describe("what the cloud cannot do or show", () => {
  it("marks a key pair change unsupported below compute microversion 2.54, never replacing the server", async () => {
    const cloud = await startTestCloud(WORLD, { maxMicroversion: "2.53" });
    try {
      await cloud.writeFleet(`providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: api-1, spec: { keyPair: ops-2026 } }
`);
      const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
      const doc = JSON.parse(run.stdout) as { changes: { action: string; reasons: { message: string }[] }[] };
      expect(doc.changes[0]?.action).toBe("unsupported");
      expect(doc.changes[0]?.reasons.map((r) => r.message).join(" ")).toMatch(/2\.54/);
    } finally {
      await cloud.close();
    }
  });

  it("lists user_data as unknown to a non-admin, then records it with --adopt", async () => {
    const cloud = await startTestCloud(WORLD, { user: "alice", password: "alice-pw" });
    try {
      await cloud.writeFleet(`providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: web-1, spec: { userData: { inline: "#cloud-config\\npackages: [nginx]\\n" } } }
`);
      const first = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
      const doc = JSON.parse(first.stdout) as { changes: { action: string; unknowns: { field: string }[] }[] };
      expect(doc.changes[0]?.action).toBe("no-op");
      expect(doc.changes[0]?.unknowns.map((u) => u.field)).toContain("user_data");
      const adopt = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--adopt"]);
      expect(adopt.code).toBe(0);
      expect(serverActions(cloud.emulator, "web-1")).toEqual([]);
      expect(Object.keys(serverByName(cloud.emulator, "web-1").metadata)).toContain("reform.user_data.sha256");
      const again = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
      const after = JSON.parse(again.stdout) as { changes: { action: string; unknowns: unknown[] }[] };
      expect(after.changes[0]).toMatchObject({ action: "no-op", unknowns: [] });
    } finally {
      await cloud.close();
    }
  });
});

describe("a server busy at plan time", () => {
  it("is waited out by apply, planned again from its settled state, then changed and verified", async () => {
    const cloud = await startTestCloud(
      worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers: [{ name: busy-1, image: ubuntu-22.04, keyPair: ops-2025, task: rebuilding, busyFor: 6s }]
`),
    );
    try {
      await cloud.writeFleet(`providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: busy-1, spec: { image: { name: ubuntu-24.04 } } }
`);
      const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
      expect(run.stdout).toMatch(/busy-1 .*wait/i);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/1 converged/);
      expect(serverActions(cloud.emulator, "busy-1")).toEqual(["rebuild"]);
    } finally {
      await cloud.close();
    }
  });
});
