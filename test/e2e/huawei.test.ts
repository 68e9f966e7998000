import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud } from "../support/cloud.js";

const PROJECT = "0123456789abcdef0123456789abcdef";
const ENV = { HW_ACCESS_KEY: "QTWAOYTTINDUT2QVKYUC", HW_SECRET_KEY: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e" };

const WORLD = `huaweicloud:
  projectId: ${PROJECT}
  userId: ${ENV.HW_USER_ID}
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${ENV.HW_SECRET_KEY} }]
  images:
    - { name: euler-1, id: 11111111-0000-4000-8000-000000000001 }
    - { name: euler-2, id: 11111111-0000-4000-8000-000000000002 }
    - { name: legacy, id: 11111111-0000-4000-8000-000000000003, cloudInit: false }
    - { name: broken, id: 11111111-0000-4000-8000-000000000004, fail: "the image's system disk is larger than the flavor allows" }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: euler-1, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: euler-1, keyPair: ops-2025, metadata: { role: web } }
    - { name: db-1, image: euler-1, keyPair: ops-2025, metadata: { role: db } }
    - { name: old-1, image: legacy, keyPair: ops-2025, status: SHUTOFF }
    - { name: bad-1, image: euler-1, keyPair: ops-2025 }
    - { name: busy-1, image: euler-1, keyPair: ops-2025, busyFor: 2s }
`;

function fleet(cloud: TestCloud, instances: string): string {
  return `# yaml-language-server: $schema=../schemas/fleet.schema.json
providers:
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${PROJECT}", endpoint: "${cloud.emulator.urls.huaweicloud}", pollIntervalMs: 30 }
instances:
${instances}`;
}

describe("huaweicloud end to end", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { timings: { reinstall: 150, reboot: 60, stop: 40, start: 40, rebuild: 120, build: 40 } });
  });
  afterAll(async () => cloud.close());

  it("waits out a busy server, reinstalls with a new key and user_data, changes OS, reboots, updates metadata; re-plan is empty", async () => {
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hw, name: busy-1, spec: { keyPair: ops-2026 } }
  - { provider: hw, name: web-1, spec: { keyPair: ops-2026, userData: { inline: "#cloud-config\\nruncmd: [echo hi]\\n" } } }
  - { provider: hw, name: web-2, spec: { image: { name: euler-2 } } }
  - { provider: hw, name: db-1, spec: { reboot: { token: "t1", type: SOFT }, metadata: { tier: gold } } }
  - { provider: hw, name: old-1, spec: { keyPair: ops-2026, metadata: { role: legacy } } }
`,
      ),
    );
    const plan = await cloud.reform(["plan", "--detailed-exitcode"], ENV);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/changeos/);
    expect(plan.stdout).toMatch(/reinstall/);
    const applied = await cloud.reform(["apply", "--auto-approve"], ENV);
    expect(applied.stdout).toContain("0 failed");
    expect(applied.code).toBe(0);
    const again = await cloud.reform(["plan", "--detailed-exitcode"], ENV);
    expect(again.stdout + again.stderr).toMatch(/no changes|0 to change|Plan: 0|unchanged/i);
    expect(again.code).toBe(0);
    const actions = cloud.emulator.stats.actions.map((a) => `${a.serverName}:${a.action}`);
    expect(actions).toEqual(expect.arrayContaining(["busy-1:reinstallServer", "web-1:reinstallServer", "web-2:changeOS", "old-1:reinstallServer"]));
    expect(actions.filter((a) => a.startsWith("db-1:"))).toEqual([]);
    const routes = Object.keys(cloud.emulator.stats.byRoute).join("\n");
    expect(routes).toMatch(/v1\/\{id\}\/cloudservers\/\{id\}\/reinstallos/);
    expect(routes).toMatch(/v2\/\{id\}\/cloudservers\/\{id\}\/reinstallos/);
  });

  it("reboots when the token changes (the metadata-only change above reinstalled nothing)", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: db-1, spec: { reboot: { token: "t2", type: HARD }, metadata: { tier: gold } } }\n`));
    const applied = await cloud.reform(["apply", "--auto-approve"], ENV);
    expect(applied.stdout).toContain("0 failed");
    expect(cloud.emulator.stats.actions.filter((a) => a.serverName === "db-1").map((a) => a.action)).toEqual(["rebootServer"]);
    const again = await cloud.reform(["plan", "--detailed-exitcode"], ENV);
    expect(again.code).toBe(0);
  });

  it("reports a failed job with its fail_reason and exits non-zero", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: bad-1, spec: { image: { name: broken } } }\n`));
    const applied = await cloud.reform(["apply", "--auto-approve"], ENV);
    expect(applied.code).not.toBe(0);
    expect(applied.stdout + applied.stderr).toContain("larger than the flavor allows");
  });

  it("refuses wrongly signed requests with Huawei's 401", async () => {
    const plan = await cloud.reform(["plan"], { ...ENV, HW_SECRET_KEY: "wrong-secret" });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("APIGW.0301");
    expect(plan.stderr).not.toContain("wrong-secret");
  });
});
