import fc from "fast-check";
import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import type { CloudFaults } from "./faults.js";
import { FaultInjector, INJECTED_FAILURE, NO_CLOUD_FAULTS } from "./faults.js";
import type { ActionContext } from "./huawei/actions.js";
import { reprovision } from "./huawei/actions.js";
import type { HuaweiState, HwServer } from "./huawei/state.js";
import { jobView } from "./huawei/view.js";
import { call, nova, tokenFor, waitFor } from "./test-client.js";
import type { FaultOptions } from "./types.js";
import { NO_FAULTS } from "./types.js";
import { parseWorld } from "./world.js";

const WORLD = parseWorld("openstack:\n  users: [{ name: alice, password: alice-pw, project: demo }]\n", "world.yaml");

async function outcomes(seed: number, count: number): Promise<string[]> {
  const emulator = await startEmulator({
    world: WORLD,
    seed,
    faults: { error5xxRate: 0.2, rate429: 0.2, dropRate: 0.1, retryAfterSeconds: 7 },
  });
  try {
    const token = await tokenFor(emulator, "alice", "alice-pw");
    const results: string[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const reply = await call(`${emulator.urls.compute}/servers`, { headers: { "x-auth-token": token } });
        results.push(
          reply.status === 429
            ? `429/${String(reply.headers["retry-after"])}/${reply.body.overLimit.code as number}`
            : reply.status === 503
              ? `503/${Object.keys(reply.body)[0] as string}`
              : String(reply.status),
        );
      } catch {
        results.push("dropped");
      }
    }
    expect(emulator.stats.faults.dropped).toBe(results.filter((r) => r === "dropped").length);
    for (let i = 0; i < 10; i++) expect((await call(emulator.urls.compute)).status).toBe(200);
    return results;
  } finally {
    await emulator.close();
  }
}

describe("fault injection", () => {
  it("is deterministic for a seed and differs between seeds; Keystone and version documents are exempt", async () => {
    const a = await outcomes(42, 40);
    const b = await outcomes(42, 40);
    const c = await outcomes(43, 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set(["200", "429/7/429", "503/serviceUnavailable", "dropped"]));
  });

  it("adds latency to API calls", async () => {
    const emulator = await startEmulator({ world: WORLD, faults: { latencyMs: 30 } });
    try {
      const started = Date.now();
      await call(`${emulator.urls.compute}/servers`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    } finally {
      await emulator.close();
    }
  });

  it("injects each kind at about its rate", () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }), (seed, rate) => {
        const injector = new FaultInjector({ ...NO_FAULTS, error5xxRate: rate }, seed);
        const decisions = Array.from({ length: 2000 }, () => injector.decide());
        const share = decisions.filter((d) => d === "error5xx").length / decisions.length;
        return Math.abs(share - rate) < 0.05 && decisions.every((d) => d === "none" || d === "error5xx");
      }),
      { numRuns: 30 },
    );
  });

  it("rejects rates outside 0..1", async () => {
    await expect(startEmulator({ world: WORLD, faults: { error5xxRate: 1.5 } })).rejects.toThrow(/between 0 and 1/);
  });
});

const NOVA_WORLD = parseWorld(
  `openstack:
  users: [{ name: alice, password: alice-pw, project: demo }]
  images: [{ name: old, id: 11111111-1111-4111-8111-111111111111 }, { name: new, id: 22222222-2222-4222-8222-222222222222 }]
  servers:
    - { name: web-1, image: old, metadata: { owner: team } }
    - { name: web-2, image: old }
# rebuild 600 ms: long enough that a read right after the POST still sees REBUILD on a loaded machine (60 ms was not, at load 12)
timings: { rebuild: 600ms, reboot: 40ms, stop: 30ms, start: 30ms, build: 30ms }
`,
  "world.yaml",
);

async function novaSession(faults: Partial<FaultOptions>) {
  const emulator = await startEmulator({ world: NOVA_WORLD, seed: 7, faults });
  const api = nova(emulator, await tokenFor(emulator, "alice", "alice-pw"), "2.57");
  const ids = new Map<string, string>();
  for (const s of (await api("/servers")).body.servers) ids.set(s.name, s.id);
  return { emulator, api, id: (name: string) => ids.get(name) as string };
}

const REBUILD = { rebuild: { imageRef: "22222222-2222-4222-8222-222222222222", metadata: { owner: "team" } } };

/** A raw HTTP exchange: what arrived before the connection ended. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let body = "";
    const req = httpRequest(url, { headers }, (res) => {
      status = res.statusCode;
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("error", (error) => resolve({ status, body, error: error.message }));
      res.on("end", () => resolve({ status, body }));
    });
    req.on("error", (error) => resolve({ ...(status !== undefined ? { status } : {}), body, error: error.message }));
    req.end();
  });
}

describe("fault kinds beyond 5xx, 429 and drops", () => {
  it("reads the world file's faults section, with located errors", () => {
    const world = parseWorld(
      "faults:\n  error5xxRate: 0.05\n  ambiguousRate: 0.5\n  latency: 20ms\n  flap: 1s\n  retryAfterSeconds: 2\n",
      "w.yaml",
    );
    expect(world.faults).toEqual({
      error5xxRate: 0.05,
      ambiguousRate: 0.5,
      latencyMs: 20,
      flapMs: 1000,
      retryAfterSeconds: 2,
    });
    expect(() => parseWorld("faults:\n  dropRate: 2\n", "w.yaml")).toThrow(
      /^w\.yaml:2:13: faults\.dropRate must be a number from 0 to 1/,
    );
    expect(() => parseWorld("faults:\n  dropRat: 0.1\n", "w.yaml")).toThrow(
      /^w\.yaml:2:3: faults: unknown key "dropRat"/,
    );
  });

  it("drops mid-request (no answer) and mid-response (status and headers, then a cut body) distinctly", async () => {
    for (const [faults, expected] of [
      [{ dropRate: 1 }, "request"],
      [{ dropResponseRate: 1 }, "response"],
    ] as const) {
      const session = await startEmulator({ world: NOVA_WORLD, faults });
      try {
        const token = await tokenFor(session, "alice", "alice-pw");
        const reply = await rawGet(`${session.urls.compute}/servers/detail`, { "x-auth-token": token });
        expect(reply.error).toBeDefined();
        if (expected === "request") {
          expect(reply.status).toBeUndefined();
          expect(session.stats.faults).toMatchObject({ dropped: 1, droppedResponses: 0 });
        } else {
          expect(reply.status).toBe(200);
          expect(reply.body.startsWith('{"servers":')).toBe(true);
          expect(() => JSON.parse(reply.body) as unknown).toThrow();
          expect(session.stats.faults).toMatchObject({ dropped: 0, droppedResponses: 1 });
        }
      } finally {
        await session.close();
      }
    }
  });

  it("applies an ambiguous mutation but loses its answer, and counts a second identical one as a duplicate", async () => {
    const { emulator, api, id } = await novaSession({ ambiguousRate: 1 });
    try {
      await expect(api(`/servers/${id("web-1")}/action`, { method: "POST", body: REBUILD })).rejects.toThrow();
      expect(emulator.stats.faults.ambiguous).toBe(1);
      const after = (await api(`/servers/${id("web-1")}`)).body.server;
      expect(after.status).toBe("REBUILD");
      expect(after.image.id).toBe("22222222-2222-4222-8222-222222222222");
      expect(emulator.stats.duplicates).toEqual([]);
      await waitFor(
        () => api(`/servers/${id("web-1")}`),
        (r) => r.body.server.status === "ACTIVE",
      );
      await expect(api(`/servers/${id("web-1")}/action`, { method: "POST", body: REBUILD })).rejects.toThrow();
      expect(emulator.stats.duplicates).toEqual([
        expect.objectContaining({
          serverId: id("web-1"),
          count: 2,
          request: `POST /compute/v2.1/servers/${id("web-1")}/action`,
        }),
      ]);
      // The same rebuild of another server is not a duplicate; nor is a repeat after another mutation in between.
      await expect(api(`/servers/${id("web-2")}/action`, { method: "POST", body: REBUILD })).rejects.toThrow();
      await waitFor(
        () => api(`/servers/${id("web-2")}`),
        (r) => r.body.server.status === "ACTIVE",
      );
      await expect(
        api(`/servers/${id("web-2")}/action`, { method: "POST", body: { "os-stop": null } }),
      ).rejects.toThrow();
      await waitFor(
        () => api(`/servers/${id("web-2")}`),
        (r) => r.body.server.status === "SHUTOFF",
      );
      await expect(api(`/servers/${id("web-2")}/action`, { method: "POST", body: REBUILD })).rejects.toThrow();
      expect(emulator.stats.duplicates).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });

  it("ends an accepted rebuild in ERROR with a fault, rolling the image back, at the configured rate", async () => {
    const { emulator, api, id } = await novaSession({ actionFailRate: 1 });
    try {
      expect((await api(`/servers/${id("web-1")}/action`, { method: "POST", body: REBUILD })).status).toBe(202);
      const done = await waitFor(
        () => api(`/servers/${id("web-1")}`),
        (r) => r.body.server.status !== "REBUILD",
      );
      expect(done.body.server.status).toBe("ERROR");
      expect(done.body.server.fault.message).toBe(INJECTED_FAILURE);
      expect(done.body.server.image.id).toBe("11111111-1111-4111-8111-111111111111");
      expect(emulator.stats.faults.failedActions).toBe(1);
    } finally {
      await emulator.close();
    }
  });

  it("makes a server flap after an action: its status toggles, then settles", async () => {
    const { emulator, api, id } = await novaSession({ flapRate: 1, flapMs: 120 });
    try {
      expect(
        (await api(`/servers/${id("web-2")}/action`, { method: "POST", body: { reboot: { type: "SOFT" } } })).status,
      ).toBe(202);
      const seen: string[] = [];
      const end = Date.now() + 600;
      while (Date.now() < end) {
        const status = (await api(`/servers/${id("web-2")}`)).body.server.status as string;
        if (seen[seen.length - 1] !== status) seen.push(status);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(seen[0]).toBe("REBOOT");
      expect(seen.indexOf("ACTIVE")).toBeGreaterThan(0);
      expect(seen.lastIndexOf("REBOOT")).toBeGreaterThan(seen.indexOf("ACTIVE"));
      expect(seen[seen.length - 1]).toBe("ACTIVE");
      expect(emulator.stats.faults.flaps).toBe(1);
    } finally {
      await emulator.close();
    }
  });

  it("answers 429 in bursts: a drawn 429 is followed by throttleBurst - 1 more", () => {
    const injector = new FaultInjector({ ...NO_FAULTS, rate429: 0.05, throttleBurst: 4 }, 3);
    const decisions = Array.from({ length: 4000 }, () => injector.decide());
    const runs = decisions
      .join(",")
      .split(/(?:,?none)+,?/)
      .filter((r) => r !== "")
      .map((r) => r.split(",").length);
    expect(runs.length).toBeGreaterThan(20);
    expect(runs.every((n) => n % 4 === 0)).toBe(true);
  });

  it("draws each kind from its own seeded stream: the same seed gives the same action failures and hangs", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const options = { ...NO_FAULTS, actionFailRate: 0.3, hangRate: 0.2, flapRate: 0.5 };
        const run = (withRequests: boolean) => {
          const injector = new FaultInjector(withRequests ? { ...options, error5xxRate: 0.5 } : options, seed);
          return Array.from({ length: 50 }, () => {
            if (withRequests) injector.decide();
            return `${injector.actionFailure() ?? "ok"}/${injector.hangs()}/${injector.flapMs()}`;
          });
        };
        expect(run(false)).toEqual(run(true));
      }),
      { numRuns: 20 },
    );
  });
});

describe("Huawei job faults", () => {
  const server = (): HwServer => ({
    id: "s1",
    name: "hw-1",
    status: "SHUTOFF",
    imageId: "img-1",
    keyName: null,
    metadata: {},
    userData: null,
    created: "",
    updated: "",
  });
  const state = (s: HwServer): HuaweiState => ({
    projectId: "p",
    userId: "u",
    credentials: [],
    images: [{ id: "img-1", name: "euler", cloudInit: true }],
    keypairs: [],
    servers: [s],
    jobs: {},
    batches: {},
  });
  const ctx = (st: HuaweiState, faults: CloudFaults): ActionContext => ({
    state: st,
    now: 1000,
    newId: () => "job-1",
    timings: { reinstall: 100, rebuild: 100, reboot: 10, stop: 10, start: 10 },
    record: () => undefined,
    faults,
  });
  const body = { "os-reinstall": { adminpass: "Pa55-word-x", metadata: { user_data: "aGk=" } } };

  it("a hung job stays RUNNING for ever and keeps the server busy; a failed one ends FAIL with fail_reason", () => {
    const hung = state(server());
    const reply = reprovision(
      ctx(hung, { ...NO_CLOUD_FAULTS, hangs: () => true }),
      hung.servers[0] as HwServer,
      "v2",
      "reinstall",
      body,
    );
    expect(reply.status).toBe(200);
    expect(jobView(hung, "job-1", 1000 + 365 * 86_400_000)).toMatchObject({ status: "RUNNING", fail_reason: null });
    const failed = state(server());
    reprovision(
      ctx(failed, { ...NO_CLOUD_FAULTS, actionFailure: () => INJECTED_FAILURE }),
      failed.servers[0] as HwServer,
      "v2",
      "reinstall",
      body,
    );
    expect(jobView(failed, "job-1", 2000)).toMatchObject({ status: "FAIL", fail_reason: INJECTED_FAILURE });
  });
});
