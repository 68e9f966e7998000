import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadFleetText } from "../src/config/load.js";
import type { Emulator } from "../src/emulator/index.js";
import { parseWorld, startEmulator } from "../src/emulator/index.js";
import type { ProviderAdapter } from "../src/model/provider.js";
import { createJdCloudAdapter } from "../src/providers/jdcloud/adapter.js";
import { testRuntime } from "../src/providers/test-support.js";
import type { PlanDocument } from "../src/render/plan-document.js";
import { toPlanDocument } from "../src/render/plan-document.js";
import { renderPlanText } from "../src/render/text.js";
import { systemClock } from "../src/runtime/clock.js";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { drift } from "../src/workflow/drift.js";
import { plan } from "../src/workflow/plan.js";

const AK = "CUSTOMDATAAK";
const SK = "Custom-Data-Secret-Never-Shown";
const VMS = 25;
const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: old, id: img-old }, { name: new, id: img-new }]
  keypairs: [{ name: kp1 }]
  instances:
${Array.from({ length: VMS }, (_, n) => `    - { name: vm-${n}, id: i-${String(n).padStart(3, "0")}, image: img-old, keyPair: kp1, metadata: { owner: team-${n} } }`).join("\n")}
`;

/**
 * JD answers metadata and user data only through describeInstancesCustomData, 10 VMs per request: a plan reads it only
 * for the VMs whose fleet file manages metadata, user_data or reboots, and for the VMs it acts on.
 */
describe("JD custom data read only when the plan needs it (emulated JD API over loopback)", { timeout: 60_000 }, () => {
  let emulator: Emulator;
  let dir: string;
  const adapters: ProviderAdapter[] = [];
  const signal = new AbortController().signal;

  beforeAll(async () => {
    emulator = await startEmulator({ world: parseWorld(WORLD, "world.yaml") });
    dir = await mkdtemp(join(tmpdir(), "reform-custom-data-"));
  });
  afterAll(async () => {
    for (const a of adapters) await a.close();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const key of Object.keys(emulator.stats.byRoute))
      delete (emulator.stats.byRoute as Record<string, number>)[key];
  });

  const customDataReads = () => emulator.stats.byRoute["GET /jdcloud/v1/regions/cn-north-1/instancesCustomData"] ?? 0;

  function jd(): Map<string, ProviderAdapter> {
    const adapter = createJdCloudAdapter({
      ...testRuntime({ JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK }),
      name: "jd",
      settings: { region: "cn-north-1", endpoint: emulator.urls.jdcloud },
    });
    adapters.push(adapter);
    return new Map([["jd", adapter]]);
  }

  async function fleetOf(body: string) {
    const text = `providers:\n  jd: { type: jdcloud, region: cn-north-1 }\n${body}`;
    return loadFleetText(text, join(dir, "fleet.yaml"), {
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      env: {},
      cwd: dir,
    });
  }

  async function planOf(body: string, wholeServers: boolean) {
    const planned = await plan({
      fleet: await fleetOf(body),
      adapters: jd(),
      clock: systemClock,
      signal,
      wholeServers,
    });
    return { ...toPlanDocument(planned.plan), created_at: "" };
  }

  /**
   * Lean and whole plans are the same plan: the same text, the same document, except the fingerprints of servers
   * they leave alone (a fingerprint digests what was read; apply checks it only for servers it acts on).
   */
  function expectSamePlan(lean: PlanDocument, whole: PlanDocument) {
    const text = (doc: PlanDocument) => renderPlanText(doc, { color: false, width: 120, verbose: true });
    expect(text(lean)).toEqual(text(whole));
    const acted = (doc: PlanDocument) => ({
      ...doc,
      changes: doc.changes.map((c) => (c.action === "no-op" ? { ...c, fingerprint: "" } : c)),
    });
    expect(acted(lean)).toEqual(acted(whole));
  }

  const imageOnly = `groups:\n  - name: all\n    match: { name: "vm-*" }\n    spec: { image: { name: old }, keyPair: kp1 }\n`;

  it("a fleet of image and key pair only: no custom data read, the same plan as reading it all", async () => {
    const lean = await planOf(imageOnly, false);
    expect(customDataReads()).toBe(0);
    expect(lean.changes).toHaveLength(VMS);
    expect(lean.changes.every((c) => c.action === "no-op")).toBe(true);
    const whole = await planOf(imageOnly, true);
    expect(customDataReads()).toBe(Math.ceil(VMS / 10));
    expectSamePlan(lean, whole);
  });

  it("servers the plan rebuilds are read whole first: their rebuild writes their real metadata back", async () => {
    const body = `${imageOnly}instances:\n  - { provider: jd, name: vm-3, spec: { image: { name: new } } }\n  - { provider: jd, name: vm-17, spec: { image: { name: new } } }\n`;
    const lean = await planOf(body, false);
    expect(customDataReads()).toBe(1); // vm-3 and vm-17, one request
    const whole = await planOf(body, true);
    expectSamePlan(lean, whole);
    const rebuilt = lean.changes.filter((c) => c.action !== "no-op");
    expect(rebuilt.map((c) => c.address)).toEqual(["jd/vm-17", "jd/vm-3"].sort());
    for (const change of rebuilt) {
      const step = change.steps.find((s) => s.kind === "rebuild");
      const n = change.address.slice("jd/vm-".length);
      expect(JSON.stringify(step)).toContain(`team-${n}`);
    }
  });

  it("a fleet that manages metadata reads every VM's custom data", async () => {
    const body = `groups:\n  - name: all\n    match: { name: "vm-*" }\n    spec: { image: { name: old }, metadata: { owner: team-0 } }\n`;
    const planned = await planOf(body, false);
    expect(customDataReads()).toBe(Math.ceil(VMS / 10));
    expect(planned.changes.filter((c) => c.action === "update-metadata")).toHaveLength(VMS - 1);
  });

  it("a group matching by metadata reads custom data, and drift always does (the applied digest)", async () => {
    await planOf(
      `groups:\n  - name: all\n    match: { metadata: { owner: team-4 } }\n    spec: { image: { name: old } }\n`,
      false,
    );
    expect(customDataReads()).toBe(Math.ceil(VMS / 10));
    const report = await drift({ fleet: await fleetOf(imageOnly), adapters: jd(), clock: systemClock, signal });
    expect(customDataReads()).toBe(2 * Math.ceil(VMS / 10));
    expect(report.entries).toHaveLength(VMS);
  });
});
