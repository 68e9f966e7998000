import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ObservedInstance } from "../model/observed.js";
import type { JobStatus, OperationHandle, OperationRules } from "../model/operation.js";
import { observed, stopped } from "../plan/test-builders.js";
import type { Tracking } from "./completion.js";
import { NEW_TRACKING, judge, queryFor } from "./completion.js";

const BASE = "2026-11-23T10:00:00Z";
const MOVED = "2026-11-23T10:05:00Z";
const handle = (patch: Partial<OperationHandle> = {}): OperationHandle => ({
  instanceId: "s1",
  step: "rebuild",
  startedAt: 0,
  requestId: "req-9",
  baseline: { updatedAt: BASE, status: "ACTIVE" },
  synchronous: false,
  ...patch,
});
const active = (patch: Partial<ObservedInstance> = {}) => observed({ id: "s1", updatedAt: MOVED, ...patch });
const busy = (task: string, patch: Partial<ObservedInstance> = {}) =>
  active({ task, rawStatus: "REBUILD", status: "rebuilding", ...patch });

/** One poll: what it shows, when it was sent (and how long its answer took); `job` is the cloud's record if the poll carried one. */
interface Poll {
  readonly instance: ObservedInstance | undefined;
  readonly at: number;
  readonly latency?: number;
  readonly job?: JobStatus;
}

/** Feeds polls in order as the poller does; the verdict of each (`running` shows its status). */
function follow(h: OperationHandle, polls: readonly Poll[], rules: OperationRules = {}): string[] {
  let tracking: Tracking = NEW_TRACKING;
  const verdicts: string[] = [];
  for (const poll of polls) {
    const judged = judge(h, { instance: poll.instance, ...(poll.job ? { job: poll.job } : {}) }, tracking, rules, {
      sentAt: poll.at,
      answeredAt: poll.at + (poll.latency ?? 0),
    });
    tracking = judged.tracking;
    const { verdict } = judged;
    verdicts.push(
      verdict.type === "running" ? verdict.status : verdict.type === "failed" ? `failed: ${verdict.message}` : "done",
    );
    if (verdict.type !== "running") break;
  }
  return verdicts;
}

const at = (instance: ObservedInstance | undefined, time: number, job?: JobStatus): Poll => ({
  instance,
  at: time,
  ...(job ? { job } : {}),
});

describe("completion: a step is done once it looked done on two polls in a row", () => {
  it("a rebuild: busy while a task shows, then settling, then done on the second settled poll", () => {
    expect(follow(handle(), [at(busy("rebuild_spawning"), 10), at(active(), 20), at(active(), 30)])).toEqual([
      "REBUILD/rebuild_spawning",
      "ACTIVE (settling)",
      "done",
    ]);
  });

  it("a settled server is not done until something shows the step ran (update time, status, image, a busy poll, a job)", () => {
    const still = active({ updatedAt: BASE });
    expect(follow(handle(), [at(still, 10), at(still, 20), at(still, 30)])).toEqual([
      "ACTIVE (no rebuild seen yet)",
      "ACTIVE (no rebuild seen yet)",
      "ACTIVE (no rebuild seen yet)",
    ]);
    expect(follow(handle(), [at(busy("rebuilding", { updatedAt: BASE }), 10), at(still, 20), at(still, 30)])).toEqual([
      "REBUILD/rebuilding",
      "ACTIVE (settling)",
      "done",
    ]);
    expect(follow(handle(), [at(still, 10, { type: "succeeded" }), at(still, 20)])).toEqual([
      "ACTIVE (settling)",
      "done",
    ]);
    expect(
      follow(handle({ step: "stop" }), [at(stopped({ updatedAt: BASE }), 10), at(stopped({ updatedAt: BASE }), 20)]),
    ).toEqual(["SHUTOFF (settling)", "done"]);
  });

  it("a poll on which it does not look done starts the count again; so does a moved update time (a toggle between two polls)", () => {
    expect(
      follow(handle(), [
        at(active(), 10),
        at(busy("rebooting", { rawStatus: "REBOOT", status: "rebooting" }), 20),
        at(active(), 30),
        at(active(), 40),
      ]),
    ).toEqual(["ACTIVE (settling)", "REBOOT/rebooting", "ACTIVE (settling)", "done"]);
    const later = active({ updatedAt: "2026-11-23T10:06:00Z" });
    expect(follow(handle(), [at(active(), 10), at(later, 20), at(later, 30)])).toEqual([
      "ACTIVE (settling)",
      "ACTIVE (settling)",
      "done",
    ]);
  });

  it("the run must span the provider's settleMs", () => {
    expect(
      follow(handle(), [at(active(), 0), at(active(), 50), at(active(), 99), at(active(), 100)], { settleMs: 100 }),
    ).toEqual(["ACTIVE (settling)", "ACTIVE (settling)", "ACTIVE (settling)", "done"]);
  });

  it("measures the run from the first poll's answer to the last poll's sending: a slow answer may have looked at the server late", () => {
    const slow = { ...at(active(), 0), latency: 80 };
    expect(follow(handle(), [slow, at(active(), 100), at(active(), 180)], { settleMs: 100 })).toEqual([
      "ACTIVE (settling)",
      "ACTIVE (settling)",
      "done",
    ]);
  });

  it("a stop waits for the server to be stopped, a start and a reboot for it to run", () => {
    expect(
      follow(handle({ step: "stop" }), [
        at(active(), 10),
        at(stopped({ updatedAt: MOVED }), 20),
        at(stopped({ updatedAt: MOVED }), 30),
      ]),
    ).toEqual(["ACTIVE", "SHUTOFF (settling)", "done"]);
    expect(
      follow(handle({ step: "start", baseline: { updatedAt: BASE, status: "SHUTOFF" } }), [
        at(stopped({ updatedAt: MOVED }), 10),
      ]),
    ).toEqual(["SHUTOFF"]);
    expect(follow(handle({ step: "reboot" }), [at(stopped({ updatedAt: MOVED }), 10)])).toEqual(["SHUTOFF"]);
  });

  it("a synchronous step is done at once; a server gone fails with the request id", () => {
    expect(follow(handle({ synchronous: true }), [at(active({ updatedAt: BASE }), 10)])).toEqual(["done"]);
    expect(judge(handle(), { instance: undefined }, NEW_TRACKING, {}, { sentAt: 10, answeredAt: 10 }).verdict).toEqual({
      type: "failed",
      message: "server s1 no longer exists",
      requestId: "req-9",
    });
  });
});

describe("completion: errors and jobs", () => {
  it("a server in error fails the step with its fault, or says it went to error", () => {
    expect(
      judge(
        handle(),
        { instance: active({ status: "error", rawStatus: "ERROR", fault: { message: "boom", code: 500 } }) },
        NEW_TRACKING,
        {},
        { sentAt: 10, answeredAt: 10 },
      ).verdict,
    ).toEqual({ type: "failed", message: "boom", requestId: "req-9" });
    expect(follow(handle(), [at(active({ status: "error", rawStatus: "ERROR" }), 10)])).toEqual([
      "failed: server went to ERROR",
    ]);
  });

  it("a step sent to a server in error runs while a task shows and before anything moved, then ends like any other", () => {
    const fromError = handle({ step: "reboot", baseline: { updatedAt: BASE, status: "ERROR" } });
    const inError = (patch: Partial<ObservedInstance>) => active({ status: "error", rawStatus: "ERROR", ...patch });
    expect(
      follow(fromError, [at(inError({ task: "rebooting_hard" }), 10), at(inError({ updatedAt: BASE }), 20)]),
    ).toEqual(["ERROR/rebooting_hard", "failed: server went to ERROR"]);
    expect(follow(fromError, [at(inError({ updatedAt: BASE }), 10), at(active(), 20), at(active(), 30)])).toEqual([
      "ERROR (step not started yet)",
      "ACTIVE (settling)",
      "done",
    ]);
  });

  it("the cloud's job decides first: failed fails, running waits; once it succeeded it is not asked about again", () => {
    const job = handle({ jobId: "job-1" });
    expect(follow(job, [at(active(), 10, { type: "failed", message: "job job-1 failed: Ecs.0032" })])).toEqual([
      "failed: job job-1 failed: Ecs.0032",
    ]);
    expect(
      follow(job, [
        at(active(), 10, { type: "running", status: "job RUNNING" }),
        at(active(), 20, { type: "succeeded" }),
        at(active(), 30),
      ]),
    ).toEqual(["job RUNNING", "ACTIVE (settling)", "done"]);
    let tracking = NEW_TRACKING;
    expect(queryFor(job, tracking, {}, 0).readJob).toBe(true);
    tracking = judge(
      job,
      { instance: active(), job: { type: "succeeded" } },
      tracking,
      {},
      { sentAt: 10, answeredAt: 10 },
    ).tracking;
    expect(queryFor(job, tracking, {}, 20).readJob).toBe(false);
  });
});

describe("completion: clouds that show no update time (JD)", () => {
  const jd = (step: OperationHandle["step"], patch: Partial<OperationHandle> = {}): OperationHandle => ({
    instanceId: "i-1",
    step,
    startedAt: 0,
    baseline: { updatedAt: "", status: "stopped" },
    synchronous: false,
    ...patch,
  });
  const vm = (rawStatus: string, patch: Partial<ObservedInstance> = {}) =>
    observed({
      id: "i-1",
      rawStatus,
      status: rawStatus === "running" ? "active" : rawStatus === "stopped" ? "stopped" : "rebuilding",
      updatedAt: "",
      ...patch,
    });
  const rules = { graceMs: 30_000 };

  it("a rebuild is done only once rebuilding was seen and the VM stayed stopped again for two polls", () => {
    expect(
      follow(
        jd("rebuild"),
        [at(vm("stopped"), 10), at(vm("rebuilding"), 20), at(vm("stopped"), 30), at(vm("stopped"), 40)],
        rules,
      ),
    ).toEqual(["stopped (no rebuild seen yet)", "rebuilding", "stopped (settling)", "done"]);
  });

  it("a transition quicker than the poll counts after the grace period; a stop or a start shows in the status", () => {
    const running = { baseline: { updatedAt: "", status: "running" } };
    expect(follow(jd("reboot", running), [at(vm("running"), 10)], rules)).toEqual(["running (no reboot seen yet)"]);
    expect(follow(jd("reboot", running), [at(vm("running"), 30_000), at(vm("running"), 30_001)], rules)).toEqual([
      "running (settling)",
      "done",
    ]);
    expect(follow(jd("reboot", running), [at(vm("running"), 30_000)])).toEqual(["running (no reboot seen yet)"]);
    expect(follow(jd("stop", running), [at(vm("stopped"), 1), at(vm("stopped"), 2)], rules)).toEqual([
      "stopped (settling)",
      "done",
    ]);
  });

  it("a rebuild onto another image looks done as soon as the VM is stopped on that image (a re-attached step)", () => {
    const rebuild = jd("rebuild", {
      baseline: { updatedAt: "", status: "stopped", imageId: "img-1" },
      targetImageId: "img-2",
    });
    expect(
      follow(
        rebuild,
        [at(vm("stopped", { imageId: "img-1" }), 10), at(vm("stopped", { imageId: "img-1" }), 11)],
        rules,
      ),
    ).toEqual(["stopped (no rebuild seen yet)", "stopped (no rebuild seen yet)"]);
    expect(
      follow(
        rebuild,
        [at(vm("stopped", { imageId: "img-2" }), 10), at(vm("stopped", { imageId: "img-2" }), 11)],
        rules,
      ),
    ).toEqual(["stopped (settling)", "done"]);
    // Same image: nothing observable tells a finished rebuild from one not begun, so the grace still applies.
    const sameImage = { ...rebuild, targetImageId: "img-1" };
    expect(follow(sameImage, [at(vm("stopped", { imageId: "img-1" }), 10)], rules)).toEqual([
      "stopped (no rebuild seen yet)",
    ]);
    expect(
      follow(
        sameImage,
        [at(vm("stopped", { imageId: "img-1" }), 30_000), at(vm("stopped", { imageId: "img-1" }), 30_001)],
        rules,
      ),
    ).toEqual(["stopped (settling)", "done"]);
  });
});

describe("completion properties", () => {
  const poll = fc.record({
    stable: fc.boolean(),
    moved: fc.boolean(),
    gap: fc.integer({ min: 1, max: 200 }),
    latency: fc.integer({ min: 0, max: 150 }),
    job: fc.constantFrom<JobStatus>({ type: "succeeded" }, { type: "running", status: "job RUNNING" }),
  });
  const settleMs = fc.integer({ min: 0, max: 300 });

  it("never done on the first poll that looks done, before the server surely looked done for settleMs, or before the job succeeded; whenever done, the poll was asked complete", () => {
    fc.assert(
      fc.property(fc.array(poll, { minLength: 1, maxLength: 30 }), settleMs, (polls, ms) => {
        const h = handle({ jobId: "job-1" });
        const rules = { settleMs: ms };
        let tracking = NEW_TRACKING;
        let now = 0;
        /** When the run of polls that looked done began: the answer of its first poll (the cloud looked no later). */
        let lookedDoneSince: number | undefined;
        let lookedDoneMark: string | undefined;
        for (const p of polls) {
          now += p.gap;
          const query = queryFor(h, tracking, rules, now);
          const instance = p.stable ? active({ updatedAt: p.moved ? MOVED : BASE }) : busy("rebuilding");
          // A cloud that keeps jobs reports the job on every settled poll until apply saw it end.
          const judged = judge(h, { instance, ...(p.stable && query.readJob ? { job: p.job } : {}) }, tracking, rules, {
            sentAt: now,
            answeredAt: now + p.latency,
          });
          if (judged.verdict.type === "done") {
            expect(lookedDoneSince).toBeDefined();
            expect(lookedDoneMark).toBe(instance.updatedAt);
            expect(now - (lookedDoneSince ?? now)).toBeGreaterThanOrEqual(ms);
            expect(query.complete).toBe(true);
            expect(judged.tracking.jobSucceeded).toBe(true);
            return;
          }
          const looksDone = judged.verdict.type === "running" && judged.verdict.status.endsWith("(settling)");
          if (!looksDone || lookedDoneMark !== instance.updatedAt)
            lookedDoneSince = looksDone ? now + p.latency : undefined;
          lookedDoneMark = looksDone ? instance.updatedAt : undefined;
          tracking = judged.tracking;
          now += p.latency;
        }
      }),
    );
  });

  it("reaches done in the scenarios it generates (the property above is not vacuous)", () => {
    let done = 0;
    fc.assert(
      fc.property(fc.array(poll, { minLength: 5, maxLength: 30 }), (polls) => {
        let tracking = NEW_TRACKING;
        let now = 0;
        for (const p of polls) {
          now += p.gap;
          const judged = judge(
            handle(),
            { instance: p.stable ? active() : busy("rebuilding") },
            tracking,
            {},
            { sentAt: now, answeredAt: now },
          );
          if (judged.verdict.type === "done") {
            done++;
            return;
          }
          tracking = judged.tracking;
        }
      }),
    );
    expect(done).toBeGreaterThan(10);
  });
});
