import { describe, expect, it } from "vitest";
import type { CloudFaults } from "./faults.js";
import { countedFaults, flapShowsTask, INJECTED_FAILURE, NO_CLOUD_FAULTS } from "./faults.js";
import type { ActionContext } from "./huawei/actions.js";
import { batchAction, reprovision } from "./huawei/actions.js";
import type { HuaweiState, HwServer } from "./huawei/state.js";
import { iso, settle } from "./huawei/state.js";
import { jobView, serverDetail } from "./huawei/view.js";
import { initialJdState, JdCloud } from "./jdcloud/state.js";
import { injectFlap, JdApiError, powerAction, rebuild } from "./jdcloud/vm-actions.js";
import { DEFAULT_TIMINGS } from "./types.js";
import { parseWorld } from "./world.js";

/** Time is a parameter here: every read is at a chosen instant, so the sequences are exact. */
const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const FLAP = 4000;

/** Flaps for `ms` after each action while `left` lasts, counted as the emulator counts them. */
function flaps(
  left: number[],
  counts = { failedActions: 0, hungJobs: 0, flaps: 0 },
): { faults: CloudFaults; counts: typeof counts } {
  return { faults: countedFaults({ ...NO_CLOUD_FAULTS, flapMs: () => left.shift() ?? 0 }, counts), counts };
}

/** What successive reads at `from`, `from + every`, … up to `to` show, each change once. */
function sequence(read: (t: number) => string, from: number, to: number, every = 250): string[] {
  const seen: string[] = [];
  for (let t = from; t <= to; t += every) {
    const now = read(t);
    if (seen.at(-1) !== now) seen.push(now);
  }
  return seen;
}

describe("flapShowsTask", () => {
  it("shows the task in the second and fourth quarters of the flap, and never after it", () => {
    const at = (q: number) => flapShowsTask(0, 400, q);
    expect([0, 99, 100, 199, 200, 299, 300, 399, 400, 10_000].map(at)).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(flapShowsTask(0, 0, 150)).toBe(false);
  });
});

describe("Huawei ECS: a server flapping after its job", () => {
  const server = (status: HwServer["status"]): HwServer => ({
    id: "s1",
    name: "hw-1",
    status,
    imageId: "img-1",
    keyName: null,
    metadata: {},
    userData: null,
    created: iso(T0),
    updated: iso(T0),
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
  let n = 0;
  const ctx = (st: HuaweiState, now: number, faults: CloudFaults): ActionContext => ({
    state: st,
    now,
    newId: () => `job-${++n}`,
    timings: { reinstall: 3000, rebuild: 3000, reboot: 1000, stop: 1000, start: 1000 },
    record: () => undefined,
    faults,
  });
  const view = (st: HuaweiState, t: number) => {
    settle(st, t);
    const d = serverDetail(st, st.servers[0]!, t);
    return `${String(d["status"])}/${String(d["OS-EXT-STS:task_state"])}`;
  };

  it("a reboot's job ends SUCCESS on time, then the server shows REBOOT/rebooting on and off for the flap, `updated` moving at each toggle", () => {
    const st = state(server("ACTIVE"));
    const { faults, counts } = flaps([FLAP]);
    const reply = batchAction(ctx(st, T0, faults), { reboot: { type: "SOFT", servers: [{ id: "s1" }] } });
    expect(reply.status).toBe(200);
    const job = (reply.body as { job_id: string }).job_id;
    expect(counts.flaps).toBe(1);
    // the job: 1 s; the flap: 4 s after it, its task on in [2 s, 3 s) and [4 s, 5 s)
    expect(sequence((t) => view(st, t), T0, T0 + 8000)).toEqual([
      "REBOOT/rebooting",
      "ACTIVE/null",
      "REBOOT/rebooting",
      "ACTIVE/null",
      "REBOOT/rebooting",
      "ACTIVE/null",
    ]);
    expect(jobView(st, job, T0 + 8000)?.["status"]).toBe("SUCCESS");
    expect(st.servers[0]!.flap).toBeUndefined();
    // another run, read in time order: job and server together, and `updated` at each toggle
    const again = state(server("ACTIVE"));
    const id = (
      batchAction(ctx(again, T0, flaps([FLAP]).faults), { reboot: { type: "SOFT", servers: [{ id: "s1" }] } }).body as {
        job_id: string;
      }
    ).job_id;
    const read = (t: number) => {
      const shown = view(again, t);
      return `${String(jobView(again, id, t)?.["status"])} ${shown} ${String(serverDetail(again, again.servers[0]!, t)["updated"])}`;
    };
    expect([500, 1500, 2500, 3500, 4500, 5500, 9000].map((d) => read(T0 + d))).toEqual([
      `RUNNING REBOOT/rebooting ${iso(T0)}`,
      `SUCCESS ACTIVE/null ${iso(T0 + 1000)}`,
      `SUCCESS REBOOT/rebooting ${iso(T0 + 2000)}`,
      `SUCCESS ACTIVE/null ${iso(T0 + 3000)}`,
      `SUCCESS REBOOT/rebooting ${iso(T0 + 4000)}`,
      `SUCCESS ACTIVE/null ${iso(T0 + 5000)}`,
      `SUCCESS ACTIVE/null ${iso(T0 + 5000)}`,
    ]);
  });

  it("stop flaps powering-off on SHUTOFF; a reinstall (like a start) flaps powering-on on ACTIVE", () => {
    const off = state(server("ACTIVE"));
    batchAction(ctx(off, T0, flaps([FLAP]).faults), { "os-stop": { servers: [{ id: "s1" }] } });
    expect(sequence((t) => view(off, t), T0 + 1000, T0 + 8000)).toEqual([
      "SHUTOFF/null",
      "SHUTOFF/powering-off",
      "SHUTOFF/null",
      "SHUTOFF/powering-off",
      "SHUTOFF/null",
    ]);
    const on = state(server("SHUTOFF"));
    const body = { "os-reinstall": { adminpass: "Pa55-word-x", metadata: { user_data: "aGk=" } } };
    expect(reprovision(ctx(on, T0, flaps([FLAP]).faults), on.servers[0]!, "v2", "reinstall", body).status).toBe(200);
    expect(sequence((t) => view(on, t), T0, T0 + 10_000)).toEqual([
      "REBUILD/rebuilding",
      "ACTIVE/null",
      "ACTIVE/powering-on",
      "ACTIVE/null",
      "ACTIVE/powering-on",
      "ACTIVE/null",
    ]);
  });

  it("while the task shows the server is busy (Ecs.0100); a job accepted while it does not ends the flapping", () => {
    const st = state(server("ACTIVE"));
    const { faults } = flaps([FLAP]);
    batchAction(ctx(st, T0, faults), { reboot: { type: "SOFT", servers: [{ id: "s1" }] } });
    settle(st, T0 + 2500);
    expect(batchAction(ctx(st, T0 + 2500, faults), { "os-stop": { servers: [{ id: "s1" }] } }).body).toMatchObject({
      error: { code: "Ecs.0100" },
    });
    settle(st, T0 + 3500);
    expect(batchAction(ctx(st, T0 + 3500, faults), { "os-stop": { servers: [{ id: "s1" }] } }).status).toBe(200);
    expect(sequence((t) => view(st, t), T0 + 3500, T0 + 9000)).toEqual(["ACTIVE/powering-off", "SHUTOFF/null"]);
  });

  it("a job injected to fail or to hang does not flap (nor is a flap drawn for it)", () => {
    const st = state(server("SHUTOFF"));
    const counts = { failedActions: 0, hungJobs: 0, flaps: 0 };
    const failing = countedFaults(
      { ...NO_CLOUD_FAULTS, actionFailure: () => INJECTED_FAILURE, flapMs: () => FLAP },
      counts,
    );
    const body = { "os-reinstall": { adminpass: "Pa55-word-x", metadata: { user_data: "aGk=" } } };
    reprovision(ctx(st, T0, failing), st.servers[0]!, "v2", "reinstall", body);
    expect(sequence((t) => view(st, t), T0, T0 + 10_000)).toEqual(["REBUILD/rebuilding", "SHUTOFF/null"]);
    const hung = state(server("ACTIVE"));
    batchAction(ctx(hung, T0, countedFaults({ ...NO_CLOUD_FAULTS, hangs: () => true, flapMs: () => FLAP }, counts)), {
      reboot: { type: "SOFT", servers: [{ id: "s1" }] },
    });
    expect(counts).toEqual({ failedActions: 1, hungJobs: 1, flaps: 0 });
  });
});

describe("JD Cloud VM: a VM flapping after its op", () => {
  const world = parseWorld(
    `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: AK, secretKey: SK }]
  images: [{ name: ubuntu, id: img-1 }, { name: ubuntu-new, id: img-2 }]
  instances:
    - { name: vm-1, id: i-1, image: img-1 }
    - { name: vm-2, id: i-2, image: img-1, status: stopped }
`,
    "world.yaml",
  ).jdcloud!;
  const timings = { ...DEFAULT_TIMINGS, reboot: 1000, stop: 1000, start: 1000, rebuild: 2000 };
  const setup = () => {
    let now = T0;
    const cloud = new JdCloud(initialJdState(world, 1, T0), timings, () => now);
    return {
      cloud,
      at: (t: number) => ((now = t), cloud),
      status: (t: number, id = "i-1") => ((now = t), cloud.find(id)!.status),
    };
  };

  it("reboot: rebooting, running, then rebooting ↔ running twice over the flap, then running for good", () => {
    const { cloud, status } = setup();
    const { faults, counts } = flaps([FLAP]);
    const vm = cloud.find("i-1")!;
    powerAction(cloud, vm, "rebootInstance");
    injectFlap(faults, vm);
    expect(counts.flaps).toBe(1);
    expect(sequence((t) => status(t), T0, T0 + 8000)).toEqual([
      "rebooting",
      "running",
      "rebooting",
      "running",
      "rebooting",
      "running",
    ]);
    expect(status(T0 + 2500)).toBe("running");
    expect(cloud.toState().instances[0]!.flap).toBeUndefined();
  });

  it("stop flaps stopping ↔ stopped; rebuild flaps rebuilding ↔ stopped; start flaps starting ↔ running", () => {
    const flapped = (id: string, act: (cloud: JdCloud) => void, end: number) => {
      const { cloud, status } = setup();
      act(cloud);
      injectFlap(flaps([FLAP]).faults, cloud.find(id)!);
      return sequence((t) => status(t, id), T0, T0 + end);
    };
    expect(flapped("i-1", (c) => powerAction(c, c.find("i-1")!, "stopInstance"), 8000)).toEqual([
      "stopping",
      "stopped",
      "stopping",
      "stopped",
      "stopping",
      "stopped",
    ]);
    expect(
      flapped("i-2", (c) => rebuild(c, c.find("i-2")!, { imageId: "img-2", password: "Rebuild-Pa55" }), 9000),
    ).toEqual(["rebuilding", "stopped", "rebuilding", "stopped", "rebuilding", "stopped"]);
    expect(flapped("i-2", (c) => powerAction(c, c.find("i-2")!, "startInstance"), 8000)).toEqual([
      "starting",
      "running",
      "starting",
      "running",
      "starting",
      "running",
    ]);
  });

  it("while the transitional status shows, actions are refused (409: a task in progress); one accepted between the toggles ends the flapping", () => {
    const { cloud, at, status } = setup();
    const vm = cloud.find("i-1")!;
    powerAction(cloud, vm, "rebootInstance");
    injectFlap(flaps([FLAP]).faults, vm);
    expect(status(T0 + 2500)).toBe("rebooting");
    expect(() => powerAction(at(T0 + 2500), cloud.find("i-1")!, "stopInstance")).toThrow(JdApiError);
    try {
      powerAction(at(T0 + 2500), cloud.find("i-1")!, "stopInstance");
    } catch (error) {
      expect(error).toMatchObject({ status: 409, code: "CONFLICT" });
    }
    expect(status(T0 + 3500)).toBe("running");
    powerAction(at(T0 + 3500), cloud.find("i-1")!, "stopInstance");
    expect(sequence((t) => status(t), T0 + 3500, T0 + 9000)).toEqual(["stopping", "stopped"]);
  });

  it("a rebuild injected to fail ends in error without flapping, and no flap is drawn for it", () => {
    const { cloud, status } = setup();
    const { faults, counts } = flaps([FLAP]);
    const vm = cloud.find("i-2")!;
    rebuild(cloud, vm, { imageId: "img-2", password: "Rebuild-Pa55" });
    vm.op = { ...vm.op!, then: "error" };
    injectFlap(faults, vm);
    expect(counts.flaps).toBe(0);
    expect(sequence((t) => status(t, "i-2"), T0, T0 + 9000)).toEqual(["rebuilding", "error"]);
  });
});
