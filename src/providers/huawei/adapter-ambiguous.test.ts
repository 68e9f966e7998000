import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import { AmbiguousError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { followStep, testRuntime } from "../test-support.js";
import { createHuaweiAdapter } from "./adapter.js";
import { HW_PROJECT, huaweiEnv, huaweiWorld } from "./test-world.js";

const ENV = huaweiEnv("AKLOST", "SK-lost-secret");
const WORLD = huaweiWorld(ENV, { "app-1": "hw-app1", "app-2": "hw-app2" });

const signal = new AbortController().signal;
let emulator: Emulator;

// Every mutation is carried out and its answer lost (the connection closes before a byte of it).
beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    seed: 7,
    timings: { reinstall: 150, rebuild: 150, reboot: 60, stop: 60, start: 60 },
    faults: { ambiguousRate: 1 },
  });
});
afterAll(async () => emulator.close());

function adapter(): ProviderAdapter {
  return createHuaweiAdapter({
    name: "hw",
    settings: { region: "r", projectId: HW_PROJECT, endpoint: emulator.urls.huaweicloud, pollIntervalMs: 20 },
    ...testRuntime(ENV),
  });
}

describe("Huawei adapter when a mutation's answer is lost", () => {
  it("reads the server once: taken, the step is followed from the server's state (no job id), never sent twice", async () => {
    const a = adapter();
    try {
      const [before] = (await a.listInstances({ selectors: [{ id: "hw-app1" }] }, signal)) as ObservedInstance[];
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
      const handle = await a.startStep({ instance: before!, step, inputs: { userData: "#!/bin/sh\n" } }, signal);
      expect(handle.jobId).toBeUndefined();
      expect(emulator.stats.faults.ambiguous).toBe(1);
      const { final } = await followStep(a, handle, signal);
      expect(final).toMatchObject({
        type: "done",
        instance: { status: "active", imageId: "img-euler-2", keyPair: "ops-2" },
      });
      expect(emulator.stats.actions.filter((x) => x.serverId === "hw-app1")).toHaveLength(1);
    } finally {
      await a.close();
    }
  });

  it("a lost reboot is followed the same way; a server that shows nothing keeps the lost answer an AmbiguousError", async () => {
    const a = adapter();
    try {
      // ECS's updated has whole seconds: app-2 was last updated an hour ago, so the reboot visibly moves it.
      const [before] = (await a.listInstances({ selectors: [{ id: "hw-app2" }] }, signal)) as ObservedInstance[];
      const step: Step = { kind: "reboot", impact: "reboot", params: { type: "SOFT" } };
      const handle = await a.startStep({ instance: before!, step, inputs: {} }, signal);
      expect((await followStep(a, handle, signal)).final.type).toBe("done");
      expect(emulator.stats.actions.filter((x) => x.serverId === "hw-app2")).toHaveLength(1);
      // ECS answers an unknown id with only its id and a fault: nothing shows the step, so it is not taken as accepted.
      const ghost = { ...before!, id: "hw-missing" };
      await expect(a.startStep({ instance: ghost, step, inputs: {} }, signal)).rejects.toBeInstanceOf(AmbiguousError);
    } finally {
      await a.close();
    }
  });
});
