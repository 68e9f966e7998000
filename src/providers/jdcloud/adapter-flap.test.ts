import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { followStep, testRuntime } from "../test-support.js";
import { createJdCloudAdapter } from "./adapter.js";

const AK = "FLAPAK";
const SK = "Flap-Secret-Key-Never-Shown";
const WORLD = `jdcloud:
  region: cn-east-2
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: ubuntu-22.04, id: img-old }, { name: ubuntu-24.04, id: img-new }]
  keypairs: [{ name: kp1 }]
  instances:
    - { name: web-1, id: i-web1, image: img-old, keyPair: kp1, metadata: { role: web } }
    - { name: boot-1, id: i-boot1, image: img-old, keyPair: kp1 }
`;
/** Every action flaps for 600 ms after its op: the transitional status shows in [150, 300) and [450, 600) ms. */
const FLAP_MS = 600;
/**
 * The confirmation spans the whole flap: JD shows no update time to tell two settled spells of one flap apart, and a
 * loaded machine's polls (over 100 ms apart) can miss the toggle between them.
 */
const SETTLE_MS = FLAP_MS;

const signal = new AbortController().signal;
let emulator: Emulator;
let adapter: ProviderAdapter;

beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    seed: 11,
    timings: { stop: 60, start: 60, reboot: 60, rebuild: 120 },
    faults: { flapRate: 1, flapMs: FLAP_MS },
  });
  adapter = createJdCloudAdapter({
    name: "jd",
    settings: { region: "cn-east-2", endpoint: emulator.urls.jdcloud, settleMs: SETTLE_MS },
    ...testRuntime({ JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK }),
    settleGraceMs: 1000,
  });
});
afterAll(async () => {
  await adapter.close();
  await emulator.close();
});

/** The VM as the emulator holds it now: a flap in progress shows as `flap`. */
function held(id: string) {
  const vm = emulator.snapshot().jdcloud?.instances.find((i) => i.id === id);
  if (!vm) throw new Error(`no ${id}`);
  return vm;
}

async function one(id: string): Promise<ObservedInstance> {
  const [found] = await adapter.listInstances({ selectors: [{ id }] }, signal);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

describe("JD Cloud adapter on VMs whose status flaps after every action", () => {
  it("stop → rebuild → start: each step is done only once the VM has settled, and each is sent once", async () => {
    const steps: Step[] = [
      { kind: "stop", impact: "reboot", params: { reason: "prerequisite" } },
      {
        kind: "rebuild",
        impact: "reprovision",
        params: { imageId: "img-new", metadata: { set: {}, remove: [], full: { role: "web" } }, keepStopped: false },
      },
      { kind: "start", impact: "reboot", params: { reason: "prerequisite" } },
    ];
    let instance = await one("i-web1");
    for (const step of steps) {
      const handle = await adapter.startStep(
        { instance, step, inputs: { password: new Secret("Rebuild-Pa55-Never-Shown") } },
        signal,
      );
      const { final, shown } = await followStep(adapter, handle, signal);
      expect(final.type).toBe("done");
      // the flap was seen (the status went back to the transitional one after looking done) and waited out
      expect(shown.filter((s) => s.endsWith("(settling)")).length).toBeGreaterThanOrEqual(2);
      expect(held("i-web1").flap).toBeUndefined();
      if (final.type === "done") instance = final.instance;
    }
    expect(instance).toMatchObject({ status: "active", imageId: "img-new", metadata: { role: "web" } });
    expect(emulator.stats.actions.filter((a) => a.serverId === "i-web1").map((a) => a.action)).toEqual([
      "stop",
      "rebuild",
      "start",
    ]);
  });

  it("reboot: rebooting, running, rebooting again…: done after the last toggle, not at the first running", async () => {
    const flapsBefore = emulator.stats.faults.flaps;
    const handle = await adapter.startStep(
      {
        instance: await one("i-boot1"),
        step: { kind: "reboot", impact: "reboot", params: { type: "SOFT" } },
        inputs: {},
      },
      signal,
    );
    const { final, shown } = await followStep(adapter, handle, signal);
    expect(final.type).toBe("done");
    expect(shown[0]).toBe("rebooting");
    expect(shown).toContain("running (settling)");
    expect(shown.lastIndexOf("rebooting")).toBeGreaterThan(shown.indexOf("running (settling)"));
    expect(held("i-boot1")).toMatchObject({ status: "running", op: null });
    expect(held("i-boot1").flap).toBeUndefined();
    expect(emulator.stats.faults.flaps).toBe(flapsBefore + 1);
    expect(emulator.stats.actions.filter((a) => a.serverId === "i-boot1").map((a) => a.action)).toEqual(["reboot"]);
  });
});
