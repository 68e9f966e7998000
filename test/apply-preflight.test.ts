import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleetText } from "../src/config/load.js";
import type { Emulator } from "../src/emulator/index.js";
import { parseWorld, startEmulator } from "../src/emulator/index.js";
import type { ApplyEvent } from "../src/model/events.js";
import type { ProviderAdapter } from "../src/model/provider.js";
import { createJdCloudAdapter } from "../src/providers/jdcloud/adapter.js";
import { testRuntime } from "../src/providers/test-support.js";
import { toApplyReportDocument } from "../src/render/apply-report.js";
import { toPlanDocument } from "../src/render/plan-document.js";
import { systemClock } from "../src/runtime/clock.js";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { apply } from "../src/workflow/apply.js";
import { plan } from "../src/workflow/plan.js";

const AK = "PREFLIGHTAK";
const SK = "Preflight-Secret-Key-Never-Shown";
const STRONG = "Preflight-Pa55-Never-Shown";
const WEAK = "weakpass-never-shown";
const FILE_SECRET = "From-A-File-Pa55-Never-Shown";
const SECRETS = [SK, STRONG, WEAK, FILE_SECRET];

const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: old, id: img-old }, { name: new, id: img-new }]
  keypairs: [{ name: kp1 }]
  instances:
    - { name: env-1, id: i-env1, image: old }
    - { name: file-1, id: i-file1, image: old }
    - { name: meta-1, id: i-meta1, image: old, keyPair: kp1 }
    - { name: run-1, id: i-run1, image: old }
    - { name: park-1, id: i-park1, image: old }
    - { name: cold-1, id: i-cold1, image: old, status: stopped }
    - { name: kp-1, id: i-kp1, image: old, keyPair: kp1 }
`;

/** The apply-time preflight and the restart after a failed step, through the library (plan, apply) and the real JD client. */
describe("preflight and restart against the emulated JD API", { timeout: 60_000 }, () => {
  let emulator: Emulator;
  let dir: string;
  const adapters: ProviderAdapter[] = [];
  const printed: string[] = [];
  const signal = new AbortController().signal;

  beforeAll(async () => {
    emulator = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { stop: 30, start: 30, rebuild: 60, reboot: 30 },
    });
    dir = await mkdtemp(join(tmpdir(), "reform-preflight-"));
    await writeFile(join(dir, "root-password"), `${FILE_SECRET}\n`);
  });
  afterAll(async () => {
    for (const a of adapters) await a.close();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
    // every plan document, event and report these tests produced: no secret in any of them
    const everything = printed.join("\n");
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  function jd(): Map<string, ProviderAdapter> {
    const adapter = createJdCloudAdapter({
      ...testRuntime({ JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK }),
      name: "jd",
      settings: { region: "cn-north-1", endpoint: emulator.urls.jdcloud, pollIntervalMs: 20 },
      settleGraceMs: 500,
    });
    adapters.push(adapter);
    return new Map([["jd", adapter]]);
  }

  async function fleetOf(specs: Readonly<Record<string, string>>) {
    const instances = Object.entries(specs).map(([name, spec]) => `  - { provider: jd, name: ${name}, spec: ${spec} }`);
    const text = `providers:\n  jd: { type: jdcloud, region: cn-north-1 }\ninstances:\n${instances.join("\n")}\n`;
    return loadFleetText(text, join(dir, "fleet.yaml"), {
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      env: {},
      cwd: dir,
    });
  }

  const sources = (env: Record<string, string>) => ({
    env,
    readFile: (p: string) => readFile(p),
    realPath: realPathOnDisk,
  });
  const actionsOf = (name: string) => emulator.stats.actions.filter((a) => a.serverName === name).map((a) => a.action);
  const vm = (name: string) => emulator.snapshot().jdcloud?.instances.find((i) => i.name === name);

  async function applyRecorded(
    planned: Awaited<ReturnType<typeof plan>>,
    adapterMap: Map<string, ProviderAdapter>,
    env: Record<string, string>,
  ) {
    const events: ApplyEvent[] = [];
    const report = await apply({
      planned,
      adapters: adapterMap,
      clock: systemClock,
      reporter: { report: (e) => events.push(e) },
      signal,
      ...sources(env),
      options: { pollIntervalMs: 20 },
    });
    printed.push(JSON.stringify(events), JSON.stringify(toApplyReportDocument(report)));
    return { report, events };
  }

  it("plan: a server whose steps need a secret that is missing is an error naming the server, the field and the variable or file; the rest is planned", async () => {
    const fleet = await fleetOf({
      "env-1": "{ image: { name: new }, password: { env: ROOT_PW } }",
      "file-1": "{ image: { name: new }, password: { file: missing-password } }",
      // a password is declared but no step needs it: metadata only
      "meta-1": "{ metadata: { role: meta }, password: { env: ROOT_PW } }",
    });
    const adapterMap = jd();
    const planned = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal, inputs: sources({}) });
    const doc = toPlanDocument(planned.plan);
    printed.push(JSON.stringify(doc));
    const by = new Map(doc.changes.map((c) => [c.address, c]));
    expect(doc.applyable).toBe(false);
    expect(by.get("jd/env-1")).toMatchObject({ action: "error", steps: [], impact: "none" });
    expect(by.get("jd/env-1")?.reasons[0]?.message).toMatch(
      /^fleet\.yaml:\d+:\d+: environment variable ROOT_PW is not set \(spec\.password of jd\/env-1, needed by its rebuild\)$/,
    );
    expect(by.get("jd/file-1")).toMatchObject({ action: "error", steps: [] });
    expect(by.get("jd/file-1")?.reasons[0]?.message).toMatch(
      /cannot read secret file 'missing-password': no such file \(spec\.password of jd\/file-1, needed by its rebuild\)/,
    );
    expect(by.get("jd/meta-1")?.action).toBe("update-metadata");
    expect(doc.summary).toMatchObject({ error: 2, "update-metadata": 1 });

    // without the inputs to check (drift never applies) the same fleet plans the rebuilds
    const unchecked = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal });
    expect(unchecked.plan.changes.map((c) => c.action)).toEqual(["rebuild", "rebuild", "update-metadata"]);

    // with the variable set and the file present (read relative to the fleet file), every server is planned
    const fileFleet = await fleetOf({
      "env-1": "{ image: { name: new }, password: { env: ROOT_PW } }",
      "file-1": "{ image: { name: new }, password: { file: root-password } }",
    });
    const ok = await plan({
      fleet: fileFleet,
      adapters: adapterMap,
      clock: systemClock,
      signal,
      inputs: sources({ ROOT_PW: STRONG }),
    });
    expect(ok.plan.applyable).toBe(true);
    expect(ok.plan.changes.map((c) => c.steps.map((s) => s.kind).join(" → "))).toEqual([
      "stop → rebuild → start",
      "stop → rebuild → start",
    ]);
  });

  it("apply: a server whose secret is missing in the apply environment fails before its first step, untouched; the others go on", async () => {
    const fleet = await fleetOf({
      "env-1": "{ image: { name: new }, password: { env: ROOT_PW } }",
      "meta-1": "{ metadata: { role: meta } }",
    });
    const adapterMap = jd();
    // planned where the variable was set (a plan job), applied where it is not
    const planned = await plan({
      fleet,
      adapters: adapterMap,
      clock: systemClock,
      signal,
      inputs: sources({ ROOT_PW: STRONG }),
    });
    expect(planned.plan.applyable).toBe(true);
    const { report, events } = await applyRecorded(planned, adapterMap, {});
    const env1 = report.results.find((r) => r.address === "jd/env-1");
    expect(env1?.result).toEqual({
      type: "failed",
      why: expect.stringMatching(
        /^not started: fleet\.yaml:\d+:\d+: environment variable ROOT_PW is not set \(spec\.password of jd\/env-1, needed by its rebuild\); nothing was sent to the server$/,
      ) as unknown as string,
    });
    expect(events.filter((e) => "address" in e && e.address === "jd/env-1").map((e) => e.type)).toEqual([
      "instance-done",
    ]);
    expect(actionsOf("env-1")).toEqual([]);
    expect(vm("env-1")).toMatchObject({ status: "running", imageId: "img-old" });
    expect(report.results.find((r) => r.address === "jd/meta-1")?.result.type).toBe("converged");
  });

  it("a key pair the cloud does not have: a plan error naming it; a plan made without the check fails that server before its first step", async () => {
    const fleet = await fleetOf({ "kp-1": "{ keyPair: kp-gone }" });
    const adapterMap = jd();
    const planned = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal, inputs: sources({}) });
    const [change] = planned.plan.changes;
    expect(change).toMatchObject({ action: "error", steps: [] });
    expect(change?.reasons[0]).toEqual({
      field: "keyPair",
      message: expect.stringMatching(
        /^fleet\.yaml:\d+:\d+: key pair "kp-gone" does not exist on provider jd \(spec\.keyPair of jd\/kp-1, needed by its rebuild\)$/,
      ) as unknown as string,
    });

    // planned elsewhere, without the check: apply looks the key pair up itself before the stop
    const unchecked = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal });
    expect(unchecked.plan.changes[0]?.steps.map((s) => s.kind)).toEqual(["stop", "rebuild", "start"]);
    const { report } = await applyRecorded(unchecked, adapterMap, {});
    const result = report.results[0]?.result;
    expect(result?.type === "failed" ? result.why : "").toMatch(
      /^not started: fleet\.yaml:\d+:\d+: key pair "kp-gone" does not exist on provider jd .*; nothing was sent to the server$/,
    );
    expect(actionsOf("kp-1")).toEqual([]);

    // an existing key pair passes both checks
    const good = await fleetOf({ "kp-1": "{ keyPair: kp1, metadata: { k: v } }" });
    expect(
      (await plan({ fleet: good, adapters: adapterMap, clock: systemClock, signal, inputs: sources({}) })).plan
        .applyable,
    ).toBe(true);
  });

  it("a mistyped key pair names the one meant, at plan and at apply", async () => {
    const fleet = await fleetOf({ "kp-1": "{ keyPair: kp-1 }" });
    const adapterMap = jd();
    const planned = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal, inputs: sources({}) });
    expect(planned.plan.changes[0]?.reasons[0]?.message).toMatch(
      /key pair "kp-1" does not exist on provider jd \(spec\.keyPair of jd\/kp-1, needed by its rebuild\); did you mean 'kp1'\?$/,
    );
    const unchecked = await plan({ fleet, adapters: adapterMap, clock: systemClock, signal });
    const { report } = await applyRecorded(unchecked, adapterMap, {});
    const result = report.results[0]?.result;
    expect(result?.type === "failed" ? result.why : "").toMatch(
      /key pair "kp-1" does not exist on provider jd .*; did you mean 'kp1'\?; nothing was sent to the server$/,
    );
    expect(actionsOf("kp-1")).toEqual([]);
  });

  it("a rebuild refused after the stop: the VM, running before, is started again; the events say so in order", async () => {
    const fleet = await fleetOf({ "run-1": "{ image: { name: new }, password: { env: ROOT_PW } }" });
    const adapterMap = jd();
    const planned = await plan({
      fleet,
      adapters: adapterMap,
      clock: systemClock,
      signal,
      inputs: sources({ ROOT_PW: WEAK }),
    });
    const { report, events } = await applyRecorded(planned, adapterMap, { ROOT_PW: WEAK });
    const kinds = events
      .filter((e) => "address" in e && e.address === "jd/run-1")
      .map((e) => (e.type === "step-started" || e.type === "step-finished" ? `${e.type} ${e.step}` : e.type));
    expect(kinds.filter((k) => k !== "waiting")).toEqual([
      "step-started stop",
      "step-finished stop",
      "restarting",
      "step-started start",
      "step-finished start",
      "instance-done",
    ]);
    expect(events.find((e) => e.type === "restarting")).toEqual({
      type: "restarting",
      address: "jd/run-1",
      failedStep: "rebuild",
    });
    const result = report.results[0]?.result;
    expect(result).toMatchObject({
      type: "failed",
      step: "rebuild",
      restart: { outcome: "started" },
      requestId: expect.stringMatching(/^req-/) as unknown as string,
    });
    expect(result?.type === "failed" ? result.why : "").toMatch(
      /password does not meet the rules.*after the refusal the VM i-run1 is stopped with image img-old.*; the server, running before and stopped by the failed sequence, was started again$/,
    );
    expect(actionsOf("run-1")).toEqual(["stop", "start"]);
    expect(vm("run-1")).toMatchObject({ status: "running", imageId: "img-old" });
  });

  it("no restart where the server is to stay stopped (power: stopped) or was stopped before its steps", async () => {
    const fleet = await fleetOf({
      "park-1": "{ image: { name: new }, password: { env: ROOT_PW }, power: stopped }",
      "cold-1": "{ image: { name: new }, password: { env: ROOT_PW } }",
    });
    const adapterMap = jd();
    const planned = await plan({
      fleet,
      adapters: adapterMap,
      clock: systemClock,
      signal,
      inputs: sources({ ROOT_PW: WEAK }),
    });
    expect(planned.plan.changes.map((c) => c.steps.map((s) => s.kind).join(" → "))).toEqual([
      "rebuild",
      "stop → rebuild",
    ]);
    const { report, events } = await applyRecorded(planned, adapterMap, { ROOT_PW: WEAK });
    for (const r of report.results) {
      expect(r.result).toMatchObject({ type: "failed", step: "rebuild" });
      expect(r.result.type === "failed" && r.result.restart).toBe(undefined);
    }
    expect(events.some((e) => e.type === "restarting")).toBe(false);
    expect(actionsOf("park-1")).toEqual(["stop"]);
    expect(actionsOf("cold-1")).toEqual([]);
    expect(vm("park-1")?.status).toBe("stopped");
    expect(vm("cold-1")?.status).toBe("stopped");
  });
});
