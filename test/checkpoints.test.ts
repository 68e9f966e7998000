import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyEvent, DesiredFleet, ProviderAdapter } from "../src/index.js";
import { apply, createAdapters, loadFleet, plan, probeGate, realPathOnDisk, systemClock } from "../src/index.js";

const WORLD = `openstack:
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: debian-12 }, { name: ubuntu-24.04 }]
  servers:
    - { name: web-1, image: debian-12 }
    - { name: web-2, image: debian-12 }
    - { name: web-3, image: debian-12 }
    - { name: web-4, image: debian-12 }
timings: { rebuild: 50ms, reboot: 20ms, stop: 20ms, start: 20ms }
`;

const signal = new AbortController().signal;

/**
 * Checkpoints and bakes through the library on the emulator. In the first two cases the gate is a loopback HTTP
 * server of the test that answers 200 for its first `healthyFor` requests and 503 after: a server that passed its
 * gate after its rebuild and "dies" later, which the emulator's health route cannot show. The bad-image cases use
 * that route (`{health}/servers/{id}`) on each of the three cloud APIs.
 */
describe("rollout checkpoints, bake and maxUnhealthy", { timeout: 60_000 }, () => {
  let dir: string;
  let gate: Server;
  let healthyFor = Number.POSITIVE_INFINITY;
  const probes: number[] = [];
  const adapters: Map<string, ProviderAdapter>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-checkpoints-"));
    gate = createServer((_req, res) => {
      probes.push(Date.now());
      res.writeHead(probes.length <= healthyFor ? 200 : 503).end();
    });
    await new Promise<void>((done) => gate.listen(0, "127.0.0.1", done));
    await writeFile(join(dir, "world.yaml"), WORLD);
  });
  afterAll(async () => {
    for (const map of adapters) for (const a of map.values()) await a.close();
    await new Promise((done) => gate.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  async function run(name: string): Promise<{
    events: ApplyEvent[];
    report: Awaited<ReturnType<typeof apply>>;
    fleet: DesiredFleet;
    map: Map<string, ProviderAdapter>;
  }> {
    const port = (gate.address() as AddressInfo).port;
    await writeFile(
      join(dir, name),
      `providers:
  dc1: { type: sim, world: world.yaml, state: .reform/${name}.json }
defaults:
  spec: { image: { name: ubuntu-24.04 } }
  rollout:
    parallelism: 4
    checkpoints: ["25%"]
    bake: 1500ms
    maxUnhealthy: 1
    gate: { http: "http://127.0.0.1:${port}/healthz", interval: 100ms, timeout: 1s }
groups: [{ name: web, provider: dc1, match: { name: "web-*" } }]
`,
    );
    const deps = { readFile: (p: string) => readFile(p), realPath: realPathOnDisk, env: {}, cwd: dir };
    const fleet = await loadFleet(name, deps);
    const map = await createAdapters(fleet, {
      env: {},
      cwd: dir,
      homeDir: dir,
      readFile: (p) => readFile(p),
      clock: systemClock,
      warn: () => undefined,
    });
    adapters.push(map);
    const planned = await plan({ fleet, adapters: map, clock: systemClock, signal });
    expect(planned.plan.summary.rebuild).toBe(4);
    const events: ApplyEvent[] = [];
    const report = await apply({
      planned,
      adapters: map,
      clock: systemClock,
      reporter: { report: (e) => events.push(e) },
      signal,
      env: {},
      readFile: deps.readFile,
      realPath: realPathOnDisk,
      probeGate,
      options: { pollIntervalMs: 20 },
    });
    return { events, report, fleet, map };
  }

  it("bakes at the checkpoint, re-checking the first server's gate, before the rest of the group starts", async () => {
    healthyFor = Number.POSITIVE_INFINITY;
    probes.length = 0;
    const { events, report } = await run("healthy.yaml");
    expect(report.results.map((r) => r.result.type)).toEqual(["converged", "converged", "converged", "converged"]);
    const bake = events.findIndex((e) => e.type === "baking");
    expect(events[bake]).toEqual({ type: "baking", group: "web", through: 1, size: 4, servers: 1, bakeMs: 1500 });
    // Before the bake exactly one server had started; everything else started after it.
    const startedBefore = events.slice(0, bake).filter((e) => e.type === "step-started").length;
    const startedAfter = events.slice(bake).filter((e) => e.type === "step-started").length;
    expect([startedBefore, startedAfter]).toEqual([1, 3]);
    // The bake probed the gate again and again: 1.5 s at a 100 ms interval (loose bound for a loaded machine).
    expect(probes.length).toBeGreaterThanOrEqual(4 + 3);
  });

  it("a server that passed its gate and then fails it while baking is unhealthy: maxUnhealthy halts the rollout, naming why", async () => {
    healthyFor = 1;
    probes.length = 0;
    const { events, report, fleet, map } = await run("sick.yaml");
    const [first, ...rest] = report.results;
    expect(first?.result).toMatchObject({
      type: "failed",
      why: expect.stringMatching(
        /^converged, but while baking at checkpoint 1\/4: readiness gate http:\/\/127\.0\.0\.1:\d+\/healthz did not pass within 1s \(\d+ attempts?; last: .*503.*\)$/,
      ),
    });
    expect(rest.map((r) => r.result)).toEqual(
      rest.map(() => ({
        type: "skipped",
        why: "not started: 1 server of group web failed or went unhealthy, reaching maxUnhealthy, and halted the rollout",
      })),
    );
    expect(events.filter((e) => e.type === "step-started")).toHaveLength(1);
    expect(events.some((e) => e.type === "unhealthy" && e.address === first?.address)).toBe(true);
    // Planning again: the three servers never started still want their rebuild.
    const again = await plan({ fleet, adapters: map, clock: systemClock, signal });
    expect(again.plan.summary.rebuild).toBe(3);
  });

  describe.each([
    ["openstack", "os"],
    ["huaweicloud", "hw"],
    ["jdcloud", "jd"],
  ])("a bad image on %s (the emulator's health route, an image marked healthy: false)", (api, prefix) => {
    it("fails its gate at the first checkpoint: maxUnhealthy halts the rollout, and plan still shows the change pending", async () => {
      const name = `bad-${api}.yaml`;
      await writeFile(join(dir, `world-${api}.yaml`), BAD_WORLD);
      await writeFile(
        join(dir, name),
        `providers:
  ${prefix}: { type: sim, api: ${api}, world: world-${api}.yaml, state: .reform/${name}.json }
groups:
  - name: web
    provider: ${prefix}
    match: { name: "${prefix}-*" }
    spec: { image: { name: rc1 }, keyPair: ops }
    rollout: { parallelism: 4, checkpoints: ["25%"], bake: 500ms, maxUnhealthy: 1, onFailure: continue, gate: { http: "{health}/servers/{id}", interval: 100ms, timeout: 1s } }
`,
      );
      const deps = { readFile: (p: string) => readFile(p), realPath: realPathOnDisk, env: {}, cwd: dir };
      const fleet = await loadFleet(name, deps);
      const map = await createAdapters(fleet, {
        env: {},
        cwd: dir,
        homeDir: dir,
        readFile: (p) => readFile(p),
        clock: systemClock,
        warn: () => undefined,
      });
      adapters.push(map);
      const planned = await plan({ fleet, adapters: map, clock: systemClock, signal });
      expect(planned.plan.changes.filter((c) => c.steps.length > 0)).toHaveLength(4);
      const events: ApplyEvent[] = [];
      const report = await apply({
        planned,
        adapters: map,
        clock: systemClock,
        reporter: { report: (e) => events.push(e) },
        signal,
        env: {},
        readFile: deps.readFile,
        realPath: realPathOnDisk,
        probeGate,
        options: { pollIntervalMs: 20 },
      });
      const [first, ...rest] = report.results;
      expect(first?.result).toMatchObject({
        type: "failed",
        why: expect.stringMatching(/^converged, but readiness gate .* did not pass within 1s/),
      });
      expect(rest.map((r) => r.result)).toEqual(
        rest.map(() => ({
          type: "skipped",
          why: "not started: 1 server of group web failed or went unhealthy, reaching maxUnhealthy, and halted the rollout",
        })),
      );
      // Only the checkpoint's one server was touched; the change is still pending for the other three.
      expect(
        new Set(events.filter((e) => e.type === "step-started").map((e) => (e as { address: string }).address)),
      ).toEqual(new Set([first?.address]));
      const again = await plan({ fleet, adapters: map, clock: systemClock, signal });
      expect(
        again.plan.changes
          .filter((c) => c.steps.length > 0)
          .map((c) => c.address)
          .sort(),
      ).toEqual(rest.map((r) => r.address).sort());
    });
  });
});

const BAD_WORLD = `openstack:
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: good }, { name: rc1, healthy: false }]
  keypairs: [{ name: ops }]
  servers: [{ name: os-1, image: good, keyPair: ops }, { name: os-2, image: good, keyPair: ops }, { name: os-3, image: good, keyPair: ops }, { name: os-4, image: good, keyPair: ops }]
huaweicloud:
  credentials: [{ accessKey: WORLDHWKEY, secretKey: world-hw-secret }]
  images: [{ name: good }, { name: rc1, healthy: false }]
  keypairs: [{ name: ops }]
  servers: [{ name: hw-1, image: good, keyPair: ops }, { name: hw-2, image: good, keyPair: ops }, { name: hw-3, image: good, keyPair: ops }, { name: hw-4, image: good, keyPair: ops }]
jdcloud:
  credentials: [{ accessKey: WORLDJDKEY, secretKey: world-jd-secret }]
  images: [{ name: good, id: img-good }, { name: rc1, id: img-rc1, healthy: false }]
  keypairs: [{ name: ops }]
  instances: [{ name: jd-1, id: i-jd1, image: good, keyPair: ops }, { name: jd-2, id: i-jd2, image: good, keyPair: ops }, { name: jd-3, id: i-jd3, image: good, keyPair: ops }, { name: jd-4, id: i-jd4, image: good, keyPair: ops }]
timings: { rebuild: 50ms, reinstall: 50ms, reboot: 20ms, stop: 20ms, start: 20ms }
`;
