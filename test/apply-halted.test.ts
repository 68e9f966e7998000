import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalEntry } from "../src/apply/journal.js";
import { loadFleetText } from "../src/config/load.js";
import type { Emulator } from "../src/emulator/index.js";
import { parseWorld, startEmulator } from "../src/emulator/index.js";
import type { ProviderAdapter } from "../src/model/provider.js";
import { createJdCloudAdapter } from "../src/providers/jdcloud/adapter.js";
import { testRuntime } from "../src/providers/test-support.js";
import { systemClock } from "../src/runtime/clock.js";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { apply } from "../src/workflow/apply.js";
import { plan } from "../src/workflow/plan.js";

const AK = "HALTEDAK";
const SK = "Halted-Secret-Key";
const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: old, id: img-old }, { name: new, id: img-new }]
  instances:
    - { name: vm-1, id: i-vm1, image: old }
    - { name: vm-2, id: i-vm2, image: old }
`;

/** A journal that can no longer record (a shared backend's connection lost): apply starts no new step. */
describe("apply with a journal that halts", { timeout: 60_000 }, () => {
  let emulator: Emulator;
  let dir: string;
  let adapter: ProviderAdapter;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    emulator = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { stop: 30, start: 30, rebuild: 60, reboot: 30 },
    });
    dir = await mkdtemp(join(tmpdir(), "reform-halted-"));
    adapter = createJdCloudAdapter({
      ...testRuntime({ JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK }),
      name: "jd",
      settings: { region: "cn-north-1", endpoint: emulator.urls.jdcloud, pollIntervalMs: 20 },
      settleGraceMs: 500,
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("follows the step running when it halts to its end, records it, and starts no other step on any server", async () => {
    const text =
      'providers:\n  jd: { type: jdcloud, region: cn-north-1 }\ngroups:\n  - { name: vms, provider: jd, match: { name: "vm-*" }, spec: { image: { name: new }, password: { env: ROOT_PW } }, rollout: { parallelism: 1 } }\n';
    const fleet = await loadFleetText(text, join(dir, "fleet.yaml"), {
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      env: {},
      cwd: dir,
    });
    const adapters = new Map([["jd", adapter]]);
    const planned = await plan({ fleet, adapters, clock: systemClock, signal });
    expect(planned.plan.changes.map((c) => c.steps.map((s) => s.kind).join(" → "))).toEqual([
      "stop → rebuild → start",
      "stop → rebuild → start",
    ]);
    const recorded: JournalEntry[] = [];
    let lost: string | undefined;
    const journal = {
      append: async (entry: JournalEntry) => {
        recorded.push(entry);
        // The backend goes away as soon as the first step is recorded as started (the server's before-state is
        // recorded before that).
        if (entry.event === "started") lost ??= "the connection to the backend was lost";
      },
      halted: () => lost,
    };
    const report = await apply({
      planned,
      adapters,
      clock: systemClock,
      reporter: { report: () => undefined },
      signal,
      journal,
      env: { ROOT_PW: "Halted-Root-Pa55" },
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      options: { pollIntervalMs: 20 },
    });
    const first = report.results[0];
    expect(first?.result).toMatchObject({
      type: "failed",
      why: "rebuild not started: the connection to the backend was lost",
    });
    expect(report.results[1]?.result.type).toBe("skipped");
    // Only the stop was sent, and it was followed to its end and recorded.
    const actions = emulator.stats.actions
      .map((a) => `${a.serverName}:${a.action}`)
      .filter((a) => !a.endsWith(":create"));
    expect(actions).toEqual([`${first?.address.split("/")[1] ?? ""}:stop`]);
    expect(recorded.map((e) => ("step" in e ? `${e.step}:${e.event}` : e.event))).toEqual([
      "before-state",
      "stop:started",
      "stop:finished",
    ]);
  });
});
