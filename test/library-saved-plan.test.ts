import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesiredFleet, ProviderAdapter, Reporter } from "../src/index.js";
import {
  ReformError,
  applySavedPlan,
  createAdapters,
  loadFleet,
  plan,
  probeGate,
  readPlanFile,
  realPathOnDisk,
  savePlanFile,
  systemClock,
  toPlanDocument,
} from "../src/index.js";

const WORLD = `openstack:
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: debian-12 }, { name: ubuntu-24.04 }]
  servers:
    - { name: web-1, image: debian-12 }
    - { name: web-2, image: debian-12 }
timings: { rebuild: 50ms, reboot: 20ms, stop: 20ms, start: 20ms }
`;

const signal = new AbortController().signal;
const silent: Reporter = { report: () => undefined };

/**
 * A library user applies a plan document saved earlier (an artifact of the review), with no fleet-file patching:
 * the document carries the rollout policies (here a readiness gate and timeouts), and the stale-plan checks run in
 * the library.
 */
describe("applySavedPlan: the library applies a saved plan document", { timeout: 60_000 }, () => {
  let dir: string;
  let gate: Server;
  const probed: string[] = [];
  const adapters: Map<string, ProviderAdapter>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-saved-plan-"));
    gate = createServer((req, res) => {
      probed.push(req.url ?? "");
      res.writeHead(200).end("ok");
    });
    await new Promise<void>((done) => gate.listen(0, "127.0.0.1", done));
    await writeFile(join(dir, "world.yaml"), WORLD);
  });
  afterAll(async () => {
    for (const map of adapters) for (const a of map.values()) await a.close();
    await new Promise((done) => gate.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  const deps = () => ({ readFile: (p: string) => readFile(p), realPath: realPathOnDisk, env: {}, cwd: dir });
  /** `web1`: more keys of web-1's entry (`, policy: …`); `top`: more top-level YAML (`limits: …`). */
  async function fleetFile(name: string, image: string, web1 = "", top = ""): Promise<DesiredFleet> {
    const port = (gate.address() as AddressInfo).port;
    await writeFile(
      join(dir, name),
      `providers:
  dc1: { type: sim, world: world.yaml, state: .reform/${name}.json }
defaults:
  rollout:
    gate: { http: "http://127.0.0.1:${port}/healthz/${name}", interval: 50ms, timeout: 10s }
    timeouts: { rebuild: 2m }
instances:
  - { provider: dc1, name: web-1, spec: { image: { name: ${image} } }${web1} }
  - { provider: dc1, name: web-2, spec: { image: { name: ${image} } } }
${top}`,
    );
    return loadFleet(name, deps());
  }
  async function open(fleet: DesiredFleet): Promise<Map<string, ProviderAdapter>> {
    const map = await createAdapters(fleet, {
      env: {},
      cwd: dir,
      homeDir: dir,
      readFile: (p) => readFile(p),
      clock: systemClock,
      warn: () => undefined,
    });
    adapters.push(map);
    return map;
  }
  const applyDeps = (fleet: DesiredFleet, map: Map<string, ProviderAdapter>) => ({
    fleet,
    adapters: map,
    clock: systemClock,
    reporter: silent,
    signal,
    env: {},
    readFile: (p: string) => readFile(p),
    realPath: realPathOnDisk,
    probeGate,
    options: { pollIntervalMs: 20 },
  });

  it("applies a document read back from a plan file: the gate and timeouts come from the document; planning again finds nothing to do", async () => {
    const fleet = await fleetFile("apply.yaml", "ubuntu-24.04");
    const map = await open(fleet);
    const planned = await plan({ fleet, adapters: map, clock: systemClock, signal });
    expect(planned.plan.summary.rebuild).toBe(2);
    await savePlanFile(join(dir, "apply.plan.json"), planned.plan);
    const saved = JSON.parse(await readFile(join(dir, "apply.plan.json"), "utf8")) as ReturnType<typeof toPlanDocument>;
    expect(saved.format_version).toBe("2.0");
    expect(saved.rollout["default"]).toMatchObject({
      gate: { type: "http", url: expect.stringContaining("/healthz/apply.yaml"), interval_ms: 50, timeout_ms: 10_000 },
      timeouts_ms: { rebuild: 120_000 },
    });

    const report = await applySavedPlan({ ...applyDeps(fleet, map), document: saved, source: "apply.plan.json" });
    expect(report.results.map((r) => [r.address, r.result.type])).toEqual([
      ["dc1/web-1", "converged"],
      ["dc1/web-2", "converged"],
    ]);
    // Each server passed the document's gate before it counted as converged.
    expect(probed.filter((p) => p === "/healthz/apply.yaml").length).toBeGreaterThanOrEqual(2);
    const again = await plan({ fleet, adapters: map, clock: systemClock, signal });
    expect(again.plan.hasChanges).toBe(false);
  });

  it("refuses a plan of format_version 1.0, naming the version found and the one it reads, before any cloud is asked", async () => {
    const fleet = await fleetFile("old.yaml", "ubuntu-24.04");
    const map = await open(fleet);
    const current = toPlanDocument((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan);
    const { gate: _gate, timeouts_ms: _timeouts, ...oldRollout } = current.rollout["default"]!;
    const old = { ...current, format_version: "1.0", rollout: { default: oldRollout } };
    const error = await applySavedPlan({ ...applyDeps(fleet, map), document: old, source: "old.plan.json" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReformError);
    expect((error as ReformError).code).toBe("PLAN_INVALID");
    expect((error as ReformError).message).toBe(
      'old.plan.json has plan format_version "1.0"; this reform reads 2.0 only: make the plan again with this reform (reform plan --out FILE)',
    );
    await writeFile(join(dir, "old.plan.json"), JSON.stringify(old));
    await expect(readPlanFile(join(dir, "old.plan.json"))).rejects.toThrow(
      /has plan format_version "1\.0"; this reform reads 2\.0 only/,
    );
    // Nothing was applied: web-1 still wants its rebuild.
    expect((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan.summary.rebuild).toBe(2);
  });

  it("refuses a stale plan: servers changed since, another fleet file, a gate deleted from the document; nothing is sent", async () => {
    const fleet = await fleetFile("stale.yaml", "ubuntu-24.04");
    const map = await open(fleet);
    const document = toPlanDocument((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan);

    const { gate: _gate, ...ungated } = document.rollout["default"]!;
    const edited = { ...document, rollout: { default: ungated } };
    await expect(applySavedPlan({ ...applyDeps(fleet, map), document: edited })).rejects.toThrow(
      "the plan's rollout policy differs from the fleet file's for group default (the plan file was edited); run plan again",
    );

    const other = await fleetFile("stale-other.yaml", "ubuntu-24.04");
    await expect(applySavedPlan({ ...applyDeps(other, map), document })).rejects.toThrow(
      /^the plan is stale: .*stale-other\.yaml changed since the plan was made; run plan again$/,
    );

    // Apply it once; the same document again finds both servers changed since it was made.
    const first = await applySavedPlan({ ...applyDeps(fleet, map), document });
    expect(first.results.every((r) => r.result.type === "converged")).toBe(true);
    const error = await applySavedPlan({ ...applyDeps(fleet, map), document }).catch((e: unknown) => e);
    expect((error as ReformError).code).toBe("PLAN_STALE");
    expect((error as ReformError).message).toBe(
      "the plan is stale: these servers changed since it was made: dc1/web-1, dc1/web-2; run plan again",
    );
  });

  it("never applies a plan with errors", async () => {
    const fleet = await fleetFile("errors.yaml", "ubuntu-24.04");
    const map = await open(fleet);
    const document = toPlanDocument((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan);
    const broken = {
      ...document,
      applyable: false,
      changes: document.changes.map((c, i) => (i === 0 ? { ...c, action: "error" as const, steps: [] } : c)),
    };
    await expect(
      applySavedPlan({ ...applyDeps(fleet, map), document: broken, source: "errors.plan.json" }),
    ).rejects.toThrow(
      "errors.plan.json has errors and is never applied (dc1/web-1); fix the fleet file and plan again",
    );
    expect((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan.summary.rebuild).toBe(2);
  });

  it("never applies a plan with an error edited to applyable, nor one whose error change was edited away: the fresh plan must be applyable too", async () => {
    const fleet = await fleetFile("protect.yaml", "ubuntu-24.04", ", policy: { protect: true }");
    const map = await open(fleet);
    const document = toPlanDocument((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan);
    expect(document.applyable).toBe(false);
    expect(document.changes.map((c) => [c.address, c.action])).toEqual([
      ["dc1/web-1", "error"],
      ["dc1/web-2", "rebuild"],
    ]);
    await expect(
      applySavedPlan({ ...applyDeps(fleet, map), document: { ...document, applyable: true }, source: "p.json" }),
    ).rejects.toThrow("p.json has errors and is never applied (dc1/web-1); fix the fleet file and plan again");
    const { blocked: _blocked, ...web1 } = document.changes[0]!;
    const erased = {
      ...document,
      applyable: true,
      changes: [{ ...web1, action: "no-op" as const }, document.changes[1]!],
    };
    const error = await applySavedPlan({ ...applyDeps(fleet, map), document: erased }).catch((e: unknown) => e);
    expect((error as ReformError).code).toBe("PLAN_INVALID");
    expect((error as ReformError).message).toMatch(
      /^a fresh plan of .*protect\.yaml has errors on dc1\/web-1, so the saved plan is never applied \(was it edited\?\); fix the fleet file and plan again$/,
    );
    // web-2 was not rebuilt.
    expect((await plan({ fleet, adapters: map, clock: systemClock, signal })).plan.summary.rebuild).toBe(1);
  });

  it("holds a saved plan to the stricter of its recorded limit and the fleet file's unless apply is given --max-reprovisions", async () => {
    const fleet = await fleetFile("limit.yaml", "ubuntu-24.04", "", "limits: { reprovision: 1 }\n");
    const map = await open(fleet);
    const raised = await plan({ fleet, adapters: map, clock: systemClock, signal, maxReprovisions: 2 });
    const document = toPlanDocument(raised.plan);
    expect(document.limits).toEqual({ reprovision: { limit: 2, source: "--max-reprovisions", max: 2, count: 2 } });
    await expect(applySavedPlan({ ...applyDeps(fleet, map), document })).rejects.toThrow(
      "the plan reprovisions 2 servers, over the limit of 1 (limits.reprovision): dc1/web-1, dc1/web-2; nothing was changed",
    );
    // A recorded fleet-file limit edited in the document is not the file's: stale.
    const edited = { ...document, limits: { reprovision: { limit: 5, source: "fleet file", max: 5, count: 2 } } };
    await expect(applySavedPlan({ ...applyDeps(fleet, map), document: edited })).rejects.toThrow(
      /^the plan records limits\.reprovision 5, but .*limit\.yaml has 1 \(the plan file was edited\); run plan again$/,
    );
    // The fleet file's limit changed since: its digest no longer matches.
    const changed = await fleetFile("limit.yaml", "ubuntu-24.04", "", "limits: { reprovision: 5 }\n");
    await expect(applySavedPlan({ ...applyDeps(changed, map), document })).rejects.toThrow(
      /^the plan is stale: .*limit\.yaml changed since the plan was made; run plan again$/,
    );
    await fleetFile("limit.yaml", "ubuntu-24.04", "", "limits: { reprovision: 1 }\n");
    const report = await applySavedPlan({ ...applyDeps(fleet, map), document, maxReprovisions: 2 });
    expect(report.results.map((r) => r.result.type)).toEqual(["converged", "converged"]);
  });
});
