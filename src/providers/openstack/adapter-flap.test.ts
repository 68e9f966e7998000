import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { REBOOT_STOP_START, followStep, followSteps, testRuntime } from "../test-support.js";
import { createOpenStackAdapter } from "./adapter.js";

const PASSWORD = "Flap-Adm1n-Pa55";
const WORLD = `openstack:
  region: RegionOne
  users: [{ name: admin, password: ${PASSWORD}, project: demo, roles: [admin] }]
  images: [{ name: jammy }, { name: noble }]
  keypairs: [{ name: ops }]
  servers:
    - { name: web-1, image: jammy, keyPair: ops, metadata: { role: web } }
    - { name: boot-1, image: jammy, keyPair: ops }
`;
/** Every action flaps for 600 ms after it ends: its task shows in [150, 300) and [450, 600) ms, `updated` moving at each toggle. */
const FLAP_MS = 600;
/** The confirmation spans more than one settled spell of the flap (150 ms); `updated` tells two spells apart. */
const SETTLE_MS = 200;

const signal = new AbortController().signal;
let emulator: Emulator;
let adapter: ProviderAdapter;

beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    seed: 7,
    timings: { rebuild: 120, reboot: 60, stop: 40, start: 40 },
    faults: { flapRate: 1, flapMs: FLAP_MS },
  });
  adapter = createOpenStackAdapter({
    name: "os",
    settings: { settleMs: SETTLE_MS },
    connection: {
      authUrl: emulator.urls.identity,
      auth: {
        type: "password",
        username: "admin",
        password: new Secret(PASSWORD),
        projectName: "demo",
        userDomainName: "Default",
        projectDomainName: "Default",
      },
      regionName: "RegionOne",
    },
    ...testRuntime({}),
  });
});
afterAll(async () => {
  await adapter.close();
  await emulator.close();
});

async function named(name: string): Promise<ObservedInstance> {
  const [found] = await adapter.listInstances({ selectors: [{ name }] }, signal);
  if (!found) throw new Error(`no ${name}`);
  return found;
}

/** Nova applies the flap's stages when a request comes: a stage still ahead is a flap still going on. */
function flapping(name: string): boolean {
  const server = emulator.snapshot().openstack.servers.find((s) => s.name === name);
  return server?.operation?.stages.some((stage) => stage.at > Date.now()) ?? false;
}

const actionsOn = (name: string) => emulator.stats.actions.filter((a) => a.serverName === name).map((a) => a.action);

describe("OpenStack adapter on servers whose task flaps after every action", () => {
  it("rebuild: done only once the server stopped flapping, after seeing it settle and flap back; sent once", async () => {
    const image = emulator.snapshot().openstack.images.find((i) => i.name === "noble")!.id;
    const step: Step = {
      kind: "rebuild",
      impact: "reprovision",
      params: { imageId: image, metadata: { set: {}, remove: [], full: { role: "web" } }, keepStopped: false },
    };
    const handle = await adapter.startStep({ instance: await named("web-1"), step, inputs: {} }, signal);
    const { final, shown } = await followStep(adapter, handle, signal);
    expect(final).toMatchObject({ type: "done", instance: { status: "active", task: null, imageId: image } });
    expect(flapping("web-1")).toBe(false);
    expect(shown).toContain("ACTIVE (settling)");
    expect(shown.lastIndexOf("REBOOT/rebooting")).toBeGreaterThan(shown.indexOf("ACTIVE (settling)"));
    expect(actionsOn("web-1")).toEqual(["rebuild"]);
  });

  it("reboot, stop and start alike: each done after its flap, one action each", async () => {
    const flapsBefore = emulator.stats.faults.flaps;
    await followSteps(
      adapter,
      () => named("boot-1"),
      REBOOT_STOP_START,
      ({ final, shown }) => {
        expect([final.type, flapping("boot-1")]).toEqual(["done", false]);
        expect(shown.filter((s) => s.endsWith("(settling)")).length).toBeGreaterThanOrEqual(2);
      },
      signal,
    );
    expect(emulator.stats.faults.flaps).toBe(flapsBefore + 3);
    expect(actionsOn("boot-1")).toEqual(["reboot", "stop", "start"]);
  });
});
