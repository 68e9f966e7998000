import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleetText } from "../../src/config/load.js";
import type { Emulator } from "../../src/emulator/index.js";
import { parseWorld, startEmulator } from "../../src/emulator/index.js";
import { silentReporter } from "../../src/model/events.js";
import type { ProviderAdapter } from "../../src/model/provider.js";
import { Secret } from "../../src/model/secret.js";
import { createOpenStackAdapter } from "../../src/providers/openstack/adapter.js";
import { systemClock } from "../../src/runtime/clock.js";
import { apply } from "../../src/workflow/apply.js";
import { plan } from "../../src/workflow/plan.js";
import { realPathOnDisk } from "../../src/runtime/real-path.js";
import { ADMIN_PASSWORD, worldWith } from "../support/cloud.js";

const SERVERS = ["s1", "s2", "s3"];
const WORLD = worldWith(`  images: [{ name: img-a }, { name: img-b }, { name: img-c }]
  keypairs: [{ name: k1 }, { name: k2 }]
  servers:
${SERVERS.map((name) => `    - { name: ${name}, image: img-a, keyPair: k1, metadata: { keep: me } }`).join("\n")}
`);

const spec = fc.record(
  {
    image: fc.constantFrom("img-a", "img-b", "img-c").map((name) => ({ name })),
    keyPair: fc.constantFrom("k1", "k2", null),
    metadata: fc.dictionary(fc.constantFrom("a", "b", "c", "keep"), fc.constantFrom("1", "2", "x y"), { maxKeys: 3 }),
    metadataPolicy: fc.constantFrom("merge", "exact"),
    userData: fc.oneof(
      fc.constant(null),
      fc
        .constantFrom("#cloud-config\n", "#!/bin/sh\necho hi\n", "#cloud-config\npackages: [curl]\n")
        .map((inline) => ({ inline })),
    ),
    reboot: fc.record({ token: fc.constantFrom("t1", "t2", "t3"), type: fc.constantFrom("SOFT", "HARD") }),
    power: fc.constantFrom("running", "stopped"),
  },
  { requiredKeys: [] },
);

/** The property the whole product rests on: after apply, a fresh plan against the live cloud is empty. */
describe("apply, then plan again, is empty (property, against the emulator over loopback)", () => {
  let emulator: Emulator;
  let adapter: ProviderAdapter;
  beforeAll(async () => {
    emulator = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { rebuild: 30, reboot: 20, stop: 15, start: 15, build: 15 },
    });
    adapter = createOpenStackAdapter({
      name: "dc1",
      env: {},
      cwd: tmpdir(),
      homeDir: tmpdir(),
      readFile: (path) => readFile(path),
      clock: systemClock,
      warn: () => undefined,
      connection: {
        authUrl: emulator.urls.identity,
        auth: { type: "password", username: "admin", password: new Secret(ADMIN_PASSWORD), projectName: "demo" },
      },
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emulator.close();
  });

  it("holds for random desired states, starting from whatever the previous run left", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: SERVERS.length, maxLength: SERVERS.length }), async (specs) => {
        const fleet = await loadFleetText(
          JSON.stringify({
            providers: { dc1: { type: "openstack" } },
            instances: SERVERS.map((name, i) => ({ provider: "dc1", name, spec: specs[i] })),
          }),
          `${tmpdir()}/fleet.yaml`,
          { readFile: (path) => readFile(path), realPath: realPathOnDisk, env: {}, cwd: tmpdir() },
        );
        const adapters = new Map([["dc1", adapter]]);
        const signal = new AbortController().signal;
        const first = await plan({ fleet, adapters, clock: systemClock, signal });
        const report = await apply({
          planned: first,
          adapters,
          clock: systemClock,
          reporter: silentReporter,
          signal,
          env: {},
          readFile: (p) => readFile(p),
          realPath: realPathOnDisk,
          options: { pollIntervalMs: 15 },
        });
        expect(report.results.filter((r) => r.result.type !== "converged")).toEqual([]);
        const second = await plan({ fleet, adapters, clock: systemClock, signal });
        expect(second.plan.changes.map((c) => `${c.address}: ${c.action}`)).toEqual(
          SERVERS.map((name) => `dc1/${name}: no-op`),
        );
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
