import { spawn } from "node:child_process";
import { appendFile, readFile } from "node:fs/promises";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beforeStates, parseJournal, pendingOperations } from "../../src/apply/journal.js";
import type { BeforeStateEntry, StepEntry } from "../../src/apply/journal.js";
import type { TestCloud } from "../support/cloud.js";
import { FAST, startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

const BIN = resolve(import.meta.dirname, "../../bin/reform.js");
const NAMES = ["web-1", "web-2", "web-3"];
const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
${NAMES.map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web, owner: team-a } }`).join("\n")}
`);
const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ubuntu-24.04 }, metadata: { role: web } }
    rollout: { parallelism: 10 }
`;

/** Starts `reform apply` and kills it with `signal` once `count` steps were sent (and journaled). */
function applyKilledMidRebuild(
  cloud: TestCloud,
  count = NAMES.length,
  env: Record<string, string> = {},
  step = "rebuild",
  signal: NodeJS.Signals = "SIGKILL",
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, "apply", "-c", "fleet.yaml", "--auto-approve", "--poll-interval", "30"],
      {
        cwd: cloud.dir,
        env: { PATH: process.env["PATH"] ?? "", HOME: cloud.dir, CI: "true", NO_COLOR: "1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && (stdout.match(new RegExp(`: ${step} started`, "g")) ?? []).length === count) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on("error", reject);
    child.on("close", (code, ended) => {
      clearTimeout(timer);
      // Stopped by SIGINT or SIGTERM, it says so and exits as a shell reports a process the signal ended: 128 + its number.
      const stopped =
        signal === "SIGKILL"
          ? ended === "SIGKILL"
          : code === 128 + constants.signals[signal] && stderr.includes(`Received ${signal}: stopping`);
      if (!stopped)
        reject(new Error(`apply was not stopped by ${signal} (code ${code}, ${ended}):\n${stdout}\n${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

describe("an apply killed with SIGKILL mid-rebuild, then applied again", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    // Long enough that the second run starts while the rebuilds still run, even on a loaded machine.
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 8000 } });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("re-attaches to the rebuilds in flight, reports them, converges, and rebuilds each server exactly once", async () => {
    const killed = await applyKilledMidRebuild(cloud);
    expect(killed).not.toMatch(/converged/);
    const journalPath = join(cloud.dir, ".reform", "journal.jsonl");
    const left = parseJournal(await readFile(journalPath, "utf8"));
    const inFlight = pendingOperations(left.entries);
    expect(inFlight.map((p) => p.address).sort()).toEqual(NAMES.map((n) => `dc1/${n}`));
    expect(inFlight.every((p) => p.handle.requestId?.startsWith("req-"))).toBe(true);
    // As if the kill had also cut a journal write short: the next run must report it and go on.
    await appendFile(journalPath, '{"time":"2026-11-23T10:00:00.000Z","run":"torn","addr');

    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Journal: line \d+ is incomplete \(a write cut short, e\.g\. by kill -9\): ignored/);
    // Planned mid-rebuild: each server is waited out (never sent a second rebuild), planned again, and converged.
    expect(again.stdout).toMatch(/Plan: .*3 wait/);
    expect(again.stdout).toMatch(/Apply: 3 converged, 0 failed, 0 skipped\./);
    for (const p of inFlight) {
      const origin = `rebuild of ${p.address} started ${new Date(p.handle.startedAt).toISOString()} by interrupted run ${p.run} (request ${p.handle.requestId ?? ""})`;
      expect(again.stdout).toContain(`Resumed: re-attached to ${origin}: finished`);
      // Progress says at once what it waits for, and the happy end as news, not as a warning.
      const waiting = again.stdout.indexOf(`Z waiting for ${origin}\n`);
      const finished = again.stdout.indexOf(`Z re-attached to ${origin}: finished\n`);
      expect(waiting).toBeGreaterThan(again.stdout.indexOf("Plan: "));
      expect(finished).toBeGreaterThan(waiting);
    }
    expect(again.stdout).not.toContain("warning: re-attached");
    const ubuntu2404 = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    for (const name of NAMES) {
      expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
      expect(serverByName(cloud.emulator, name)).toMatchObject({
        imageId: ubuntu2404,
        vmState: "active",
        taskState: null,
        metadata: expect.objectContaining({ role: "web", owner: "team-a" }),
      });
    }

    // The journal now has nothing in flight: a third run follows nothing, and the fleet plans clean.
    const after = parseJournal(await readFile(journalPath, "utf8"));
    expect(pendingOperations(after.entries)).toEqual([]);
    const resumedEntries = after.entries.filter((e): e is StepEntry => "resumedBy" in e && e.resumedBy !== undefined);
    expect(resumedEntries.map((e) => e.address).sort()).toEqual(NAMES.map((n) => `dc1/${n}`));
    const third = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(third.code).toBe(0);
    expect(third.stdout).not.toMatch(/Resumed:/);
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"])).code).toBe(0);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
  }, 60_000);
});

describe("a saved plan with nothing to change, applied after an apply was killed mid-rebuild", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 3000 } });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("still follows the operations the killed run left, reports them and closes them in the journal", async () => {
    await applyKilledMidRebuild(cloud);
    const journalPath = join(cloud.dir, ".reform", "journal.jsonl");
    const left = pendingOperations(parseJournal(await readFile(journalPath, "utf8")).entries);
    expect(left).toHaveLength(NAMES.length);
    // The rebuilds end on their own: planned now, every server is as the fleet file says, so the saved plan is empty.
    const ubuntu2404 = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    const deadline = Date.now() + 30_000;
    const rebuilt = (name: string) => {
      const server = serverByName(cloud.emulator, name);
      return server?.vmState === "active" && server.taskState === null && server.imageId === ubuntu2404;
    };
    while (!NAMES.every(rebuilt)) {
      if (Date.now() > deadline) throw new Error("the rebuilds did not end within 30 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json", "--detailed-exitcode"])).code).toBe(0);

    const run = await cloud.reform(["apply", "plan.json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    for (const p of left) expect(run.stdout).toContain(`Resumed: re-attached to rebuild of ${p.address} started`);
    expect(pendingOperations(parseJournal(await readFile(journalPath, "utf8")).entries)).toEqual([]);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
  }, 60_000);
});

describe("the before-state of a server an apply was killed on", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, stop: 8000 } });
    // Stopped, then rebuilt: killed during the stop, the next run finds the server stopped and still has the rebuild to send.
    await cloud.writeFleet(`providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.04 }, power: stopped } }
`);
  });
  afterAll(async () => cloud.close());

  it("is kept by the run that finishes it: the resumed run copies the original record, never the half-done state", async () => {
    await applyKilledMidRebuild(cloud, 1, {}, "stop");
    const journalPath = join(cloud.dir, ".reform", "journal.jsonl");
    const killedRun = pendingOperations(parseJournal(await readFile(journalPath, "utf8")).entries)[0]?.run ?? "";
    expect(killedRun).not.toBe("");
    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(again.stdout).toMatch(/Apply: 1 converged/);
    const entries = parseJournal(await readFile(journalPath, "utf8")).entries;
    const records = entries.filter((e): e is BeforeStateEntry => e.event === "before-state");
    expect(
      records.map((r) => [
        r.run === killedRun ? "killed" : "resumed",
        r.firstRun === killedRun,
        r.state.image,
        r.state.power,
      ]),
    ).toEqual([
      ["killed", true, expect.objectContaining({ name: "ubuntu-22.04" }), "running"],
      ["resumed", true, expect.objectContaining({ name: "ubuntu-22.04" }), "running"],
    ]);
    expect(beforeStates(entries).get("dc1/web-1")).toMatchObject({
      run: killedRun,
      state: { power: "running", image: { name: "ubuntu-22.04" } },
    });
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["stop", "rebuild"]);
  }, 60_000);
});

describe.each(["SIGTERM", "SIGINT"] as const)("an apply stopped with %s mid-rebuild", (signal) => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 1500 } });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("leaves the rebuilds open in the journal; the next apply re-attaches, reports them and sends nothing twice", async () => {
    const stopped = await applyKilledMidRebuild(cloud, NAMES.length, {}, "rebuild", signal);
    expect(stopped).not.toMatch(/: converged/);
    expect(
      stopped.match(
        /FAILED: interrupted: the rebuild was sent and goes on in the cloud; the next apply follows it to its end/g,
      ),
    ).toHaveLength(NAMES.length);
    const left = pendingOperations(
      parseJournal(await readFile(join(cloud.dir, ".reform", "journal.jsonl"), "utf8")).entries,
    );
    expect(left.map((p) => p.address).sort()).toEqual(NAMES.map((n) => `dc1/${n}`));
    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/Resumed: re-attached to rebuild of dc1\/web-\d .*: finished/g)).toHaveLength(
      NAMES.length,
    );
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
  }, 60_000);
});

const HW_PROJECT = "0123456789abcdef0123456789abcdef";
const HW_ENV = {
  HW_ACCESS_KEY: "QTWAOYTTINDUT2QVKYUC",
  HW_SECRET_KEY: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
  HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e",
};
const HW_WORLD = `huaweicloud:
  projectId: ${HW_PROJECT}
  userId: ${HW_ENV.HW_USER_ID}
  credentials: [{ accessKey: ${HW_ENV.HW_ACCESS_KEY}, secretKey: ${HW_ENV.HW_SECRET_KEY} }]
  images: [{ name: euler-1 }, { name: euler-2 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: cos-1, image: euler-1, keyPair: ops-2025, metadata: { role: web } }
`;

describe("a Huawei changeos interrupted by SIGKILL", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(HW_WORLD, { timings: { ...FAST, reinstall: 8000 } });
    await cloud.writeFleet(`providers:
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW_PROJECT}", endpoint: "${cloud.emulator.urls.huaweicloud}", pollIntervalMs: 30 }
instances:
  - { provider: hw, name: cos-1, spec: { image: { name: euler-2 } } }
`);
  });
  afterAll(async () => cloud.close());

  it("is followed by the next apply through its job id to the end, reported, and never sent twice", async () => {
    await applyKilledMidRebuild(cloud, 1, HW_ENV, "changeos");
    const left = pendingOperations(
      parseJournal(await readFile(join(cloud.dir, ".reform", "journal.jsonl"), "utf8")).entries,
    );
    expect(left).toHaveLength(1);
    const jobId = left[0]?.handle.jobId ?? "";
    expect(jobId).not.toBe("");
    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], HW_ENV);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `Resumed: re-attached to changeos of hw/cos-1 started \\S+ by interrupted run \\S+ \\(request [^,]+, job ${jobId}\\): finished`,
      ),
    );
    expect(serverActions(cloud.emulator, "cos-1")).toEqual(["v2 changeOS withStopServer"]);
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], HW_ENV)).code).toBe(0);
  }, 60_000);
});
