import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import type { Clock } from "../../model/clock.js";
import type { OperationStatus, ProviderAdapter } from "../../model/provider.js";
import { systemClock } from "../../runtime/clock.js";
import { CloudError } from "../../model/errors.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { createHuaweiAdapter } from "./adapter.js";

const P = "0123456789abcdef0123456789abcdef";
const ENV = { HW_ACCESS_KEY: "AKADAPTER", HW_SECRET_KEY: "SK-adapter-secret", HW_USER_ID: "u-1" };
const SERVERS = 230;
/** Two more servers than the numbered ones: a busy one and one in ERROR. */
const TOTAL = SERVERS + 2;

function world(): string {
  const servers = Array.from({ length: SERVERS }, (_, i) => `    - { name: vm-${String(i).padStart(3, "0")}, id: vm-${i}, image: euler, keyPair: ops }`).join("\n");
  return `huaweicloud:
  projectId: ${P}
  userId: u-1
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${ENV.HW_SECRET_KEY} }]
  images: [{ name: euler, id: img-euler }, { name: legacy, id: img-legacy, cloudInit: false }]
  keypairs: [{ name: ops }, { name: ops-2 }]
  servers:
${servers}
    - { name: busy, id: busy-1, image: euler, keyPair: ops, busyFor: 1h }
    - { name: broken, id: err-1, image: euler, keyPair: ops, status: ERROR, fault: boom }
`;
}

function adapterWith(clock: Clock, settings: Record<string, unknown>, debug?: (line: string) => void): ProviderAdapter {
  return createHuaweiAdapter({
    name: "hw",
    settings: { region: "r", projectId: P, endpoint: emulator.urls.huaweicloud, ...settings },
    env: ENV,
    cwd: "/",
    homeDir: "/",
    readFile: () => Promise.reject(new Error("no files")),
    clock,
    warn: () => undefined,
    ...(debug ? { debug } : {}),
  });
}

let emulator: Emulator;

describe("Huawei adapter against the emulator", () => {
  let adapter: ProviderAdapter;
  const lines: string[] = [];
  const signal = new AbortController().signal;
  const requests = (pattern: RegExp) => lines.filter((l) => pattern.test(l));

  beforeAll(async () => {
    emulator = await startEmulator({ world: parseWorld(world(), "world.yaml"), timings: { reinstall: 200, reboot: 50, stop: 30, start: 30, rebuild: 200 } });
    adapter = adapterWith(systemClock, { pollIntervalMs: 20 }, (line) => lines.push(line));
  });
  afterAll(async () => {
    await adapter.close();
    await emulator.close();
  });

  it("reads every server in pages of 100, offset being the page number", async () => {
    lines.length = 0;
    const servers = await adapter.listInstances({ selectors: [] }, signal);
    expect(servers).toHaveLength(TOTAL);
    const pages = requests(/cloudservers\/detail/);
    expect(pages).toHaveLength(Math.ceil(TOTAL / 100));
    expect(pages.map((l) => /offset=(\d+)/.exec(l)?.[1])).toEqual(["1", "2", "3"]);
  });

  it("reads servers named by id with repeated server_id filters, 100 per call", async () => {
    lines.length = 0;
    const ids = Array.from({ length: 150 }, (_, i) => ({ id: `vm-${i}` }));
    const servers = await adapter.listInstances({ selectors: ids }, signal);
    expect(servers.map((s) => s.id).sort()).toEqual(ids.map((s) => s.id).sort());
    const calls = requests(/cloudservers\/detail/);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.match(/server_id=/g)).toHaveLength(100);
  });

  it("polls many operations with one bulk server read, asking about jobs only once servers look settled", async () => {
    const targets = (await adapter.listInstances({ selectors: Array.from({ length: 20 }, (_, i) => ({ id: `vm-${i}` })) }, signal)).slice();
    const step: Step = { kind: "reinstall", impact: "reprovision", params: { imageId: "img-euler", keyPair: "ops-2", metadata: { set: {}, remove: [], full: {} }, keepStopped: false } };
    const handles = await Promise.all(targets.map((instance) => adapter.startStep({ instance, step, inputs: {} }, signal)));
    expect(handles.filter((h) => typeof h.jobId !== "string")).toEqual([]);
    lines.length = 0;
    let pending = handles;
    let polls = 0;
    const done: OperationStatus[] = [];
    while (pending.length > 0 && polls < 200) {
      const statuses = await adapter.pollOperations(pending, signal);
      polls++;
      done.push(...statuses.filter((s) => s.type !== "running"));
      pending = statuses.filter((s) => s.type === "running").map((s) => s.handle);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(polls).toBeGreaterThan(1);
    expect(done.map((s) => s.type)).toEqual(handles.map(() => "done"));
    // One bulk server read per poll, whatever the number of operations; each job read once, when its server settled.
    expect(requests(/cloudservers\/detail/)).toHaveLength(polls);
    expect(requests(/\/jobs\//)).toHaveLength(handles.length);
    for (const status of done) if (status.type === "done") expect(status.instance.keyPair).toBe("ops-2");
  });

  it("declares its capabilities: changeos for images, reinstall for key pair and user_data, no reinstall in ERROR, Huawei's system keys", async () => {
    const caps = await adapter.capabilities(signal);
    expect(caps).toMatchObject({ imageChangeStep: "changeos", sameImageStep: "reinstall", reprovisionInError: false, reprovisionStartsStopped: true, reprovisionRequiresStopped: false });
    expect(caps.systemMetadataKeys).toEqual(expect.arrayContaining(["image_name", "metering.*", "virtual_env_type"]));
    expect(caps.description).toMatch(/__support_cloudinit/);
  });

  it("resolves images by name with their properties, and tells a missing one", async () => {
    const [found, missing] = await adapter.resolveImages([{ name: "legacy" }, { name: "nope" }], signal);
    expect(found?.result).toMatchObject({ type: "found", id: "img-legacy", properties: { __support_cloudinit: "false" } });
    expect(missing?.result).toEqual({ type: "error", message: "no image with name nope" });
  });

  it("waits out a busy server (400 Ecs.0100) with exponential backoff, and gives up after busyTimeoutMs", async () => {
    const clock = instantClock(Date.now());
    const patient = adapterWith(clock, { pollIntervalMs: 100, busyTimeoutMs: 5000 });
    try {
      const [busy] = await patient.listInstances({ selectors: [{ id: "busy-1" }] }, signal);
      const step: Step = { kind: "reboot", impact: "reboot", params: { type: "SOFT" } };
      const error = await patient.startStep({ instance: busy!, step, inputs: {} }, signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudError);
      expect((error as CloudError).details.cloudCode).toBe("Ecs.0100");
      expect(clock.slept).toEqual([100, 200, 400, 800, 1600]);
    } finally {
      await patient.close();
    }
  });

  it("does not wait when the server is in ERROR: Ecs.0100 there is final", async () => {
    const clock = instantClock(Date.now());
    const patient = adapterWith(clock, { pollIntervalMs: 100 });
    try {
      const [broken] = await patient.listInstances({ selectors: [{ id: "err-1" }] }, signal);
      expect(broken?.status).toBe("error");
      const step: Step = { kind: "reinstall", impact: "reprovision", params: { imageId: "img-euler", keyPair: "ops-2", metadata: { set: {}, remove: [], full: {} }, keepStopped: false } };
      const error = await patient.startStep({ instance: broken!, step, inputs: {} }, signal).catch((e: unknown) => e);
      expect((error as CloudError).details.cloudCode).toBe("Ecs.0100");
      expect(clock.slept).toEqual([]);
    } finally {
      await patient.close();
    }
  });
});
