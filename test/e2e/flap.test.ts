import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";

const PROJECT = "0123456789abcdef0123456789abcdef";
const HW_SECRET = "Hw-Flap-Secret-Key-Kn0wn";
const JD_SECRET = "Jd-Flap-Secret-Key-Kn0wn";
const JD_PASSWORD = "Rebuild-Pa55w0rd-Kn0wn";
const ENV = {
  HW_ACCESS_KEY: "HWFLAPACCESSKEY",
  HW_SECRET_KEY: HW_SECRET,
  HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e",
  JDC_ACCESS_KEY: "JDFLAPACCESSKEY",
  JDC_SECRET_KEY: JD_SECRET,
  JD_ROOT_PASSWORD: JD_PASSWORD,
};

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: os-web, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: os-rb, image: ubuntu-22.04, keyPair: ops-2025, metadata: { reform.reboot.token: t0 } }
huaweicloud:
  projectId: ${PROJECT}
  userId: ${ENV.HW_USER_ID}
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${HW_SECRET} }]
  images: [{ name: euler-1 }, { name: euler-2 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: hw-cos, image: euler-1, keyPair: ops-2025, metadata: { role: web } }
    - { name: hw-rb, image: euler-1, keyPair: ops-2025, metadata: { reform.reboot.token: t0 } }
jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${ENV.JDC_ACCESS_KEY}, secretKey: ${JD_SECRET} }]
  images: [{ name: ubuntu-22.04, id: img-2204 }, { name: ubuntu-24.04, id: img-2404 }]
  keypairs: [{ name: ops-2025 }]
  instances:
    - { name: jd-web, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: jd-rb, image: ubuntu-22.04, keyPair: ops-2025, metadata: { reform.reboot.token: t0 } }
`);

/** Every action flaps for 800 ms after it ends: the transitional status shows in its second and fourth 200 ms. */
const FLAP_MS = 800;

function fleet(cloud: TestCloud): string {
  const { huaweicloud, jdcloud } = cloud.emulator.urls;
  // settleMs covers a settled spell of the flap (200 ms): a step is done only once the server stayed settled that long
  return `providers:
  os: { type: openstack, cloud: test, settleMs: 300 }
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${PROJECT}", endpoint: "${huaweicloud}", pollIntervalMs: 30, settleMs: 300 }
  jd: { type: jdcloud, region: cn-north-1, endpoint: "${jdcloud}", settleMs: 300 }
instances:
  - { provider: os, name: os-web, spec: { image: { name: ubuntu-24.04 } } }
  - { provider: os, name: os-rb, spec: { reboot: { token: t1, type: SOFT } } }
  - { provider: hw, name: hw-cos, spec: { image: { name: euler-2 } } }
  - { provider: hw, name: hw-rb, spec: { reboot: { token: t1, type: SOFT } } }
  - { provider: jd, name: jd-web, spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2025, metadata: { role: web }, password: { env: JD_ROOT_PASSWORD } } }
  - { provider: jd, name: jd-rb, spec: { reboot: { token: t1, type: SOFT } } }
`;
}

describe(
  "servers whose status flaps after every action (OpenStack Nova, Huawei ECS, JD Cloud VM)",
  { timeout: 120_000 },
  () => {
    let cloud: TestCloud;
    const outputs: string[] = [];
    const run = async (args: readonly string[]): Promise<CliRun> => {
      const result = await cloud.reform(args, ENV);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    const actionsOf = (name: string) =>
      cloud.emulator.stats.actions.filter((a) => a.serverName === name && a.action !== "modify").map((a) => a.action);
    /** Servers the emulator still shows flapping now (a Huawei flap is dropped at the next request, so its end is compared with now). */
    const stillFlapping = (): string[] => {
      const now = Date.now();
      const state = cloud.emulator.snapshot();
      const hw = (state.huaweicloud?.servers ?? [])
        .filter((s) => s.flap && s.flap.from + s.flap.ms > now)
        .map((s) => s.name);
      const jd = (state.jdcloud?.instances ?? []).filter((i) => i.flap !== undefined).map((i) => i.name);
      // Nova's flap is stages of the operation, applied when a request comes: one still ahead is a flap still going on.
      const os = state.openstack.servers
        .filter((s) => s.operation?.stages.some((stage) => stage.at > now))
        .map((s) => s.name);
      return [...os, ...hw, ...jd];
    };

    beforeAll(async () => {
      cloud = await startTestCloud(WORLD, {
        timings: { reinstall: 150, rebuild: 150, reboot: 60, stop: 40, start: 40 },
        faults: { flapRate: 1, flapMs: FLAP_MS },
      });
      await cloud.writeFleet(fleet(cloud));
    });
    afterAll(async () => {
      for (const secret of [HW_SECRET, JD_SECRET, JD_PASSWORD]) expect(outputs.join("\n")).not.toContain(secret);
      await cloud.close();
    });

    it("OpenStack alone: apply is done with its servers only once their flap is over (it exits with none still flapping)", async () => {
      const applied = await run(["apply", "--auto-approve", "--target", "os/os-web", "--target", "os/os-rb"]);
      expect(stillFlapping()).toEqual([]);
      expect(applied.stderr).toBe("");
      expect(applied.stdout).toMatch(/2 converged, 0 failed/);
      expect(actionsOf("os-web")).toEqual(["rebuild"]);
      expect(actionsOf("os-rb")).toEqual(["reboot"]);
      expect(cloud.emulator.stats.faults.flaps).toBe(2);
    });

    it("apply converges every server, verified only once it settled; one action per step; the plan afterwards is empty", async () => {
      const applied = await run(["apply", "--auto-approve"]);
      // Done means settled: when apply exits, no server is still flapping (each step waited its flap out, the last one too).
      expect(stillFlapping()).toEqual([]);
      expect(applied.stderr).toBe("");
      expect(applied.stdout).toMatch(/4 converged, 0 failed/);
      expect(applied.code).toBe(0);
      // Every asynchronous action flapped, and none was sent twice because of it.
      expect(actionsOf("os-web")).toEqual(["rebuild"]);
      expect(actionsOf("os-rb")).toEqual(["reboot"]);
      expect(actionsOf("hw-cos")).toEqual(["v2 changeOS withStopServer"]);
      expect(actionsOf("hw-rb")).toEqual(["rebootServer"]);
      expect(actionsOf("jd-web")).toEqual(["stop", "rebuild", "start"]);
      expect(actionsOf("jd-rb")).toEqual(["reboot"]);
      expect(cloud.emulator.stats.faults.flaps).toBe(8);
      expect(cloud.emulator.stats.duplicates).toEqual([]);
      const again = await run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toMatch(/No changes/);
      expect(again.code).toBe(0);
    });
  },
);
