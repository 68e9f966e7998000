import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadFleetText } from "../src/config/load.js";
import type { Emulator } from "../src/emulator/index.js";
import { parseWorld, startEmulator } from "../src/emulator/index.js";
import type { OperationObservation, OperationQuery } from "../src/model/operation.js";
import type { ProviderAdapter } from "../src/model/provider.js";
import { Secret } from "../src/model/secret.js";
import { createOpenStackAdapter } from "../src/providers/openstack/adapter.js";
import { testRuntime } from "../src/providers/test-support.js";
import { systemClock } from "../src/runtime/clock.js";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { apply } from "../src/workflow/apply.js";
import { plan } from "../src/workflow/plan.js";

const PASSWORD = "Verify-Adm1n-Pa55";
const WORLD = `openstack:
  region: RegionOne
  users: [{ name: admin, password: ${PASSWORD}, project: demo, roles: [admin] }]
  images: [{ name: jammy }, { name: noble }]
  servers:
    - { name: web-1, image: jammy, metadata: { role: web } }
    - { name: web-2, image: jammy, metadata: { role: web } }
    - { name: web-3, image: jammy, metadata: { role: web } }
`;
const FLEET =
  'providers:\n  os: { type: openstack }\ngroups:\n  - { name: web, provider: os, match: { name: "web-*" }, spec: { image: { name: noble }, metadata: { role: web } }, rollout: { parallelism: 3 } }\n';

/**
 * The poll that confirms a server's last step reads it back whole (`complete`); apply verifies that read rather than
 * reading the server once more, with verification's checks unchanged.
 */
describe("apply verifies the read of the poll that confirmed the last step", { timeout: 60_000 }, () => {
  let emulator: Emulator;
  let dir: string;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    emulator = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { rebuild: 150, reboot: 50, stop: 50, start: 50 },
    });
    dir = await mkdtemp(join(tmpdir(), "reform-verify-read-"));
  });
  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The adapter, counting bulk reads; `tamper` changes what a confirming poll shows. */
  function counted(tamper?: (seen: OperationObservation) => OperationObservation) {
    const inner = createOpenStackAdapter({
      name: "os",
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
    const counts = { reads: 0, confirming: 0 };
    const adapter: ProviderAdapter = {
      name: inner.name,
      type: inner.type,
      ...(inner.operationRules ? { operationRules: inner.operationRules } : {}),
      ...(inner.pollIntervalMs !== undefined ? { pollIntervalMs: inner.pollIntervalMs } : {}),
      capabilities: (s) => inner.capabilities(s),
      resolveImages: (refs, s) => inner.resolveImages(refs, s),
      findKeyPairs: (names, s) => inner.findKeyPairs(names, s),
      startStep: (req, s) => inner.startStep(req, s),
      listInstances: (req, s) => {
        counts.reads++;
        return inner.listInstances(req, s);
      },
      pollOperations: async (queries: readonly OperationQuery[], s: AbortSignal) => {
        const seen = await inner.pollOperations(queries, s);
        return seen.map((observation, i) => {
          if (!queries[i]?.complete) return observation;
          counts.confirming++;
          return tamper ? tamper(observation) : observation;
        });
      },
      close: () => inner.close(),
    };
    return { adapter, counts, close: () => inner.close() };
  }

  async function run(adapter: ProviderAdapter) {
    const fleet = await loadFleetText(FLEET, join(dir, "fleet.yaml"), {
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      env: {},
      cwd: dir,
    });
    const adapters = new Map([["os", adapter]]);
    const planned = await plan({ fleet, adapters, clock: systemClock, signal });
    return apply({
      planned,
      adapters,
      clock: systemClock,
      reporter: { report: () => undefined },
      signal,
      env: {},
      readFile: (p) => readFile(p),
      realPath: realPathOnDisk,
      options: {},
    });
  }

  it("verifies what the confirming poll showed: a server that poll shows wrong fails verification", async () => {
    const { adapter, close } = counted((seen) =>
      seen.instance?.name === "web-2" ? { ...seen, instance: { ...seen.instance, metadata: { role: "db" } } } : seen,
    );
    try {
      const report = await run(adapter);
      const results = Object.fromEntries(report.results.map((r) => [r.address, r.result]));
      expect(results["os/web-1"]).toEqual({ type: "converged" });
      expect(results["os/web-2"]).toEqual({
        type: "failed",
        why: 'verification failed: metadata role is "db", expected "web"',
      });
    } finally {
      await close();
    }
  });

  it("reads the servers once (the fingerprint check before the rebuild), not again to verify them", async () => {
    const { adapter, counts, close } = counted();
    try {
      const report = await run(adapter);
      expect(report.results.map((r) => r.result.type)).toEqual(["converged", "converged", "converged"]);
      // The plan's listing, then apply's one coalesced read of the three servers before their rebuilds
      expect(counts.reads).toBe(2);
      expect(counts.confirming).toBe(3);
    } finally {
      await close();
    }
  });
});
