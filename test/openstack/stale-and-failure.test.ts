import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus } from "./support/api.js";
import type { CloudFixture } from "./support/fixture.js";
import { address, fleetYaml } from "./support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "./support/suite.js";
import type { Workspace } from "./support/workspace.js";
import { changeOf, describeRun, planChanges } from "./support/workspace.js";

// A saved plan refused after an out-of-band rebuild, a rebuild Nova's scheduler rejects caught by
// verification, and (on the harness, where nova-compute can be frozen) a busy server planned as wait.
let cloud: CloudFixture;
let work: Workspace;
let imageA: { id: string; name: string };
let imageBad: { id: string; name: string };
let kp: string;
const ids: Record<string, string> = {};
const name = (s: string) => `${cloud.prefix}-${s}`;
const imageOf = (doc: { image: { id: string } | "" }) => (doc.image === "" ? "" : doc.image.id);

/** The harness's nova-compute process group (test/nova/run.sh exports NOVA_HARNESS_DIR): frozen to hold a task in flight. */
function harnessComputePid(): number | undefined {
  const dir = process.env["NOVA_HARNESS_DIR"];
  const file = dir ? join(dir, "pids", "nova-compute.pid") : "";
  return file && existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
}

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  // An image whose architecture no compute host of the fake driver (x86_64) offers: Nova's API accepts
  // the rebuild, then the scheduler's ImagePropertiesFilter finds no valid host.
  [imageA, imageBad, kp] = await Promise.all([
    cloud.image("a", { fromEnv: "A" }),
    cloud.image("aarch64", { properties: { hw_architecture: "aarch64" } }),
    cloud.keyPair("kp"),
  ]);
  for (const suffix of ["stale", "fail", "busy"])
    ids[suffix] = await cloud.boot(suffix, {
      image: imageA.id,
      keyName: kp,
      metadata: { role: suffix, owner: "team-s" },
    });
  for (const id of Object.values(ids)) await cloud.settle(id);
});

afterAll(async () => {
  const pid = harnessComputePid();
  if (pid) process.kill(-pid, "SIGCONT");
  await closeSuite(cloud, work);
});

describe("stale plans, failed rebuilds and busy servers on a real Nova", () => {
  it("a saved plan is refused as stale after an out-of-band rebuild through Nova's API, and sends nothing", async () => {
    await work.write(
      "stale.yaml",
      fleetYaml(cloud.cloud.name, [
        { name: name("stale"), spec: { image: { id: imageA.id }, keyPair: kp, metadata: { role: "stale-v2" } } },
      ]),
    );
    const planned = await work.reform(["plan", "-c", "stale.yaml", "--out", "stale.plan.json"]);
    expect(planned.code, describeRun(planned)).toBe(0);
    expectStatus(
      await cloud.api.nova("POST", `/servers/${ids["stale"]}/action`, { rebuild: { imageRef: imageA.id } }),
      [202],
      "out-of-band rebuild",
    );
    await cloud.settle(ids["stale"]!);
    const applied = await work.reform(["apply", "stale.plan.json"]);
    expect(applied.code, describeRun(applied)).not.toBe(0);
    expect(`${applied.stdout}${applied.stderr}`, describeRun(applied)).toMatch(/stale/i);
    expect(`${applied.stdout}${applied.stderr}`).toContain(address(name("stale")));
    const doc = await cloud.settle(ids["stale"]!);
    expect(doc.metadata).toEqual({ role: "stale", owner: "team-s" });
    expect(await cloud.actions(ids["stale"]!)).toEqual(["create", "rebuild"]);
  });

  it("verification catches a rebuild that Nova's scheduler rejects: apply fails, naming the server", async () => {
    await work.write(
      "fail.yaml",
      fleetYaml(cloud.cloud.name, [
        { name: name("fail"), spec: { image: { id: imageBad.id }, keyPair: kp, metadata: { role: "fail" } } },
      ]),
    );
    const run = await work.reform(["apply", "-c", "fail.yaml", "--auto-approve"]);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.code, describeRun(run)).not.toBe(2);
    expect(run.stdout, describeRun(run)).toContain(address(name("fail")));
    expect(run.stdout, describeRun(run)).not.toContain(`${address(name("fail"))}: converged`);
    expect(`${run.stdout}${run.stderr}`, describeRun(run)).toMatch(/ERROR|No valid host/i);
    // What Nova did: the conductor put the server in ERROR and rolled its image back.
    const doc = await cloud.server(ids["fail"]!);
    expect([doc.status, imageOf(doc)]).toEqual(["ERROR", imageA.id]);
    expect(doc.fault?.message ?? "").toMatch(/No valid host/i);
    // ...keeping what the API wrote before casting the rebuild (metadata: the full merged set reform sent)
    expect(doc.metadata).toMatchObject({ role: "fail", owner: "team-s" });
  });

  it.runIf(harnessComputePid() !== undefined)(
    "[harness only: freezes nova-compute] a server rebuilding in Nova plans as wait, then converges",
    async () => {
      const pid = harnessComputePid()!;
      await work.write(
        "busy.yaml",
        fleetYaml(cloud.cloud.name, [
          { name: name("busy"), spec: { image: { id: imageA.id }, keyPair: kp, metadata: { role: "busy" } } },
        ]),
      );
      process.kill(-pid, "SIGSTOP");
      try {
        expectStatus(
          await cloud.api.nova("POST", `/servers/${ids["busy"]}/action`, { rebuild: { imageRef: imageA.id } }),
          [202],
          "out-of-band rebuild",
        );
        const change = changeOf(
          planChanges(await work.reform(["plan", "-c", "busy.yaml", "--output", "json"])),
          address(name("busy")),
        );
        expect([change.action, change.steps]).toEqual(["wait", []]);
      } finally {
        process.kill(-pid, "SIGCONT");
      }
      await cloud.settle(ids["busy"]!);
      const run = await work.reform(["plan", "-c", "busy.yaml", "--detailed-exitcode"]);
      expect(run.code, describeRun(run)).toBe(0);
    },
  );

  it("no password, token or credential secret appears in anything reform printed or wrote", async () => {
    expect(await work.filesWritten()).toContain("stale.plan.json");
    expect(await findLeakedSecrets(cloud, work)).toEqual([]);
  });
});
