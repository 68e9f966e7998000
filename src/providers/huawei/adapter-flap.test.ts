import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { REBOOT_STOP_START, followStep, followSteps, testRuntime } from "../test-support.js";
import { createHuaweiAdapter } from "./adapter.js";
import { HW_PROJECT, huaweiEnv, huaweiWorld } from "./test-world.js";

const ENV = huaweiEnv("AKFLAP", "SK-flap-secret");
const WORLD = huaweiWorld(ENV, { "app-1": "hw-app1", "boot-1": "hw-boot1", "native-1": "hw-native1" });
/** Every job's server flaps for 600 ms after the job ends SUCCESS: its task shows in [150, 300) and [450, 600) ms. */
const FLAP_MS = 600;
/**
 * The confirmation spans the whole flap: ECS's `updated` has whole seconds, so two settled spells of one flap can show
 * the same `updated`, and a loaded machine's polls (over 150 ms apart) can miss the toggle between them.
 */
const SETTLE_MS = FLAP_MS;

const signal = new AbortController().signal;
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    seed: 5,
    timings: { reinstall: 150, rebuild: 150, reboot: 60, stop: 60, start: 60 },
    faults: { flapRate: 1, flapMs: FLAP_MS },
  });
});
afterAll(async () => emulator.close());

function adapterWith(settings: Record<string, unknown>): ProviderAdapter {
  return createHuaweiAdapter({
    name: "hw",
    settings: {
      region: "r",
      projectId: HW_PROJECT,
      endpoint: emulator.urls.huaweicloud,
      pollIntervalMs: 20,
      settleMs: SETTLE_MS,
      ...settings,
    },
    ...testRuntime(ENV),
  });
}

/** The server's flap is over (the emulator keeps it until the next request moves it on, so its end is compared with now). */
function settledFor(id: string): boolean {
  const flap = emulator.snapshot().huaweicloud?.servers.find((s) => s.id === id)?.flap;
  return flap === undefined || flap.from + flap.ms <= Date.now();
}

async function one(adapter: ProviderAdapter, id: string): Promise<ObservedInstance> {
  const [found] = await adapter.listInstances({ selectors: [{ id }] }, signal);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

const jobReads = () => emulator.stats.byRoute[`GET /huaweicloud/v1/{id}/jobs/{id}`] ?? 0;
const actionsOn = (id: string) => emulator.stats.actions.filter((a) => a.serverId === id).map((a) => a.action);

describe("Huawei adapter on servers that flap after their jobs", () => {
  it("changeos: the job ends SUCCESS while the server still toggles powering-on; the step is done once it settled, the job read once", async () => {
    const adapter = adapterWith({});
    try {
      const step: Step = {
        kind: "changeos",
        impact: "reprovision",
        params: {
          imageId: "img-euler-2",
          keyPair: "ops-2",
          metadata: { set: {}, remove: [], full: {} },
          keepStopped: false,
        },
      };
      const handle = await adapter.startStep(
        { instance: await one(adapter, "hw-app1"), step, inputs: { userData: "#!/bin/sh\n" } },
        signal,
      );
      const reads = jobReads();
      const { final, shown } = await followStep(adapter, handle, signal);
      expect(final).toMatchObject({
        type: "done",
        instance: { status: "active", task: null, imageId: "img-euler-2", keyPair: "ops-2" },
      });
      expect(settledFor("hw-app1")).toBe(true);
      expect(shown).toContain("ACTIVE (settling)");
      expect(shown).toContain("ACTIVE/powering-on");
      expect(shown.lastIndexOf("ACTIVE/powering-on")).toBeGreaterThan(shown.indexOf("ACTIVE (settling)"));
      expect(jobReads() - reads).toBe(1);
      expect(actionsOn("hw-app1")).toHaveLength(1);
    } finally {
      await adapter.close();
    }
  });

  it("reboot (a batch job): REBOOT, ACTIVE, REBOOT again…: done after the last toggle; stop and start alike, one action each", async () => {
    const adapter = adapterWith({});
    try {
      const flapsBefore = emulator.stats.faults.flaps;
      await followSteps(
        adapter,
        () => one(adapter, "hw-boot1"),
        REBOOT_STOP_START,
        ({ final, shown }) => {
          expect([final.type, settledFor("hw-boot1")]).toEqual(["done", true]);
          expect(shown.filter((s) => s.endsWith("(settling)")).length).toBeGreaterThanOrEqual(2);
        },
        signal,
      );
      expect(emulator.stats.faults.flaps).toBe(flapsBefore + 3);
      expect(actionsOn("hw-boot1")).toEqual(["rebootServer", "stopServer", "startServer"]);
    } finally {
      await adapter.close();
    }
  });

  it("the native rebuild (no job id) is done once the server settled too", async () => {
    const adapter = adapterWith({ imageChange: "rebuild" });
    try {
      const step: Step = {
        kind: "rebuild",
        impact: "reprovision",
        params: { imageId: "img-euler-2", metadata: { set: {}, remove: [], full: {} }, keepStopped: false },
      };
      const handle = await adapter.startStep({ instance: await one(adapter, "hw-native1"), step, inputs: {} }, signal);
      expect(handle.jobId).toBeUndefined();
      const { final } = await followStep(adapter, handle, signal);
      expect(final).toMatchObject({ type: "done", instance: { status: "active", imageId: "img-euler-2" } });
      expect(settledFor("hw-native1")).toBe(true);
      expect(actionsOn("hw-native1")).toEqual(["rebuild"]);
    } finally {
      await adapter.close();
    }
  });
});
