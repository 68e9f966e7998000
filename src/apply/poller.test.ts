import { describe, expect, it } from "vitest";
import type { OperationHandle, OperationObservation, OperationQuery } from "../model/operation.js";
import type { Clock } from "../model/clock.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { ObservedInstance } from "../model/observed.js";
import { instantClock } from "../../test/support/instant-clock.js";
import fc from "fast-check";
import { ADAPTIVE_POLLING, CONFIRM_AFTER_MS, OperationPoller, nextPollDelay } from "./poller.js";
import { READ_WINDOW_MS } from "./reader.js";

const handle = (id: string): OperationHandle => ({
  instanceId: id,
  step: "rebuild",
  startedAt: 0,
  baseline: { updatedAt: "t0", status: "ACTIVE" },
  synchronous: false,
});

/** The server of an operation still under way, or settled after it (its update time moved). */
const rebuilding = (id: string): OperationObservation => ({
  instance: { id, status: "rebuilding", rawStatus: "REBUILD", task: "rebuilding", updatedAt: "t1" } as ObservedInstance,
});
const settled = (id: string): OperationObservation => ({
  instance: { id, status: "active", rawStatus: "ACTIVE", task: null, updatedAt: "t1" } as ObservedInstance,
});

/** An adapter whose servers settle after a given number of polls (then the next poll confirms); it records each bulk poll. */
function fakeAdapter(pollsUntilSettled: Record<string, number>, failing: Set<string> = new Set()) {
  const calls: string[][] = [];
  const adapter = {
    pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> => {
      calls.push(queries.map((q) => q.handle.instanceId));
      return queries.map(({ handle: h }) => {
        const left = (pollsUntilSettled[h.instanceId] ?? 0) - 1;
        pollsUntilSettled[h.instanceId] = left;
        if (left > 0) return rebuilding(h.instanceId);
        if (failing.has(h.instanceId))
          return {
            instance: {
              ...settled(h.instanceId).instance!,
              status: "error",
              rawStatus: "ERROR",
              fault: { message: "No valid host was found." },
            },
          };
        return settled(h.instanceId);
      });
    },
  } as unknown as ProviderAdapter;
  return { adapter, calls };
}

describe("OperationPoller", () => {
  it("polls every in-flight operation with one bulk call per interval, each done on the poll after it settled", async () => {
    const { adapter, calls } = fakeAdapter({ a: 1, b: 2, c: 3 });
    const clock = instantClock();
    const poller = new OperationPoller(adapter, { clock, intervalMs: 1000, signal: new AbortController().signal });
    const results = await Promise.all(["a", "b", "c"].map((id) => poller.wait(handle(id), 60_000)));
    expect(results.map((r) => r.type)).toEqual(["done", "done", "done"]);
    expect(calls).toEqual([["a", "b", "c"], ["a", "b", "c"], ["b", "c"], ["c"]]);
    expect(poller.polls).toBe(4);
    expect(clock.slept).toEqual([1000, 1000, 1000, 1000]);
  });

  it("asks for the job until it was seen to end, and for a whole instance on the poll that can confirm the step", async () => {
    const queries: OperationQuery[][] = [];
    let poll = 0;
    const adapter = {
      operationRules: { settleMs: 2500 },
      pollOperations: async (asked: readonly OperationQuery[]): Promise<OperationObservation[]> => {
        queries.push([...asked]);
        poll++;
        return asked.map((q) =>
          poll === 1
            ? rebuilding(q.handle.instanceId)
            : { ...settled(q.handle.instanceId), ...(q.readJob ? { job: { type: "succeeded" as const } } : {}) },
        );
      },
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock: instantClock(),
      intervalMs: 1000,
      signal: new AbortController().signal,
    });
    await expect(poller.wait(handle("a"), 60_000)).resolves.toMatchObject({ type: "done" });
    // busy; settled (job read, succeeded); settling for 1 s, 2 s; 3 s ≥ settleMs: may confirm, and does
    expect(queries.map(([q]) => [q?.readJob, q?.complete])).toEqual([
      [true, false],
      [true, false],
      [false, false],
      [false, false],
      [false, true],
    ]);
  });

  it("takes a poll that failed or answered out of turn as no news, and says so", async () => {
    const errors: string[] = [];
    let poll = 0;
    const adapter = {
      name: "dc1",
      pollOperations: async (asked: readonly OperationQuery[]): Promise<OperationObservation[]> => {
        poll++;
        if (poll === 1) throw new Error("503 Service Unavailable");
        if (poll === 2) return [];
        return asked.map((q) => settled(q.handle.instanceId));
      },
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock: instantClock(),
      intervalMs: 10,
      signal: new AbortController().signal,
      onError: (e) => errors.push(String(e)),
    });
    await expect(poller.wait(handle("a"), 60_000)).resolves.toMatchObject({ type: "done" });
    expect(poll).toBe(4);
    expect(errors).toEqual([
      "Error: 503 Service Unavailable",
      "TypeError: provider dc1 answered a poll of 1 operations with 0 observations",
    ]);
  });

  it("reports a failed operation with the cloud's message", async () => {
    const { adapter } = fakeAdapter({ a: 2 }, new Set(["a"]));
    const poller = new OperationPoller(adapter, {
      clock: instantClock(),
      intervalMs: 10,
      signal: new AbortController().signal,
    });
    await expect(poller.wait(handle("a"), 60_000)).resolves.toMatchObject({
      type: "failed",
      message: "No valid host was found.",
    });
  });

  it("times out an operation that never settles, naming the step, the time waited since it was sent and the last status", async () => {
    const { adapter } = fakeAdapter({ a: 1_000_000 });
    const clock = instantClock();
    const poller = new OperationPoller(adapter, { clock, intervalMs: 1000, signal: new AbortController().signal });
    const sent = { ...handle("a"), startedAt: clock.now() - 60_000 };
    await expect(poller.wait(sent, 5_000)).rejects.toThrow(
      "rebuild timed out: not finished after 1m5s (limit 5s); last status REBUILD/rebuilding",
    );
  });

  it("stops at the provider's maxMs after the step was sent when that comes before the step's timeout", async () => {
    const { adapter } = fakeAdapter({ a: 1_000_000 });
    const clock = instantClock();
    const poller = new OperationPoller(
      { ...adapter, pollOperations: adapter.pollOperations, operationRules: { maxMs: 10_000 } },
      { clock, intervalMs: 1000, signal: new AbortController().signal },
    );
    const sent = { ...handle("a"), startedAt: clock.now() - 8_000 };
    await expect(poller.wait(sent, 60_000)).rejects.toThrow(
      "rebuild timed out: not finished after 10s (limit 10s); last status REBUILD/rebuilding",
    );
    expect(clock.now() - sent.startedAt).toBe(10_000);
  });
});

describe("adaptive polling", () => {
  const adaptive = { minIntervalMs: 200, fraction: 0.1 };

  it("waits a tenth of the oldest operation's age, between the minimum and the interval", () => {
    expect(nextPollDelay(2000, adaptive, 1_000, [1_000])).toBe(200);
    expect(nextPollDelay(2000, adaptive, 6_000, [1_000, 5_000])).toBe(500);
    expect(nextPollDelay(2000, adaptive, 600_000, [0])).toBe(2000);
    expect(nextPollDelay(2000, undefined, 600_000, [0])).toBe(2000);
    expect(nextPollDelay(50, adaptive, 0, [0])).toBe(50);
  });

  it("never waits less than the minimum nor more than the interval (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (interval, min, started, now) => {
          const delay = nextPollDelay(interval, { minIntervalMs: min, fraction: 0.1 }, now, started);
          expect(delay).toBeLessThanOrEqual(interval);
          expect(delay).toBeGreaterThanOrEqual(Math.min(min, interval));
        },
      ),
    );
  });

  it("sees a 2 s operation settled within a tenth of its duration and confirms it one poll later, with one bulk poll per wait", async () => {
    const clock = instantClock();
    const start = clock.now();
    const adapter = {
      pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> =>
        queries.map(({ handle: h }) =>
          clock.now() - start >= 2000 ? settled(h.instanceId) : rebuilding(h.instanceId),
        ),
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock,
      intervalMs: 2000,
      adaptive,
      signal: new AbortController().signal,
    });
    const ids = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const results = await Promise.all(ids.map((id) => poller.wait({ ...handle(id), startedAt: start }, 60_000)));
    expect(results.every((r) => r.type === "done")).toBe(true);
    expect(clock.now() - start).toBeGreaterThanOrEqual(2000);
    // settled by 2,200 ms, confirmed by the next poll a tenth of the age later
    expect(clock.now() - start).toBeLessThanOrEqual(2200 + 220);
    expect(poller.polls).toBe(clock.slept.length);
    expect(poller.polls).toBeLessThanOrEqual(11);
  });

  it("keeps a rolling window of 1,000 two-second operations within 1.25× the ideal schedule, at a poll rate independent of N", async () => {
    const run = async (total: number) => {
      const clock = instantClock();
      const start = clock.now();
      const finishesAt = new Map<string, number>();
      const adapter = {
        pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> =>
          queries.map(({ handle: h }) =>
            clock.now() >= (finishesAt.get(h.instanceId) ?? Infinity)
              ? settled(h.instanceId)
              : rebuilding(h.instanceId),
          ),
      } as unknown as ProviderAdapter;
      const poller = new OperationPoller(adapter, {
        clock,
        intervalMs: 2000,
        adaptive,
        signal: new AbortController().signal,
      });
      let next = 0;
      // 100 slots, each starting its next operation as soon as the previous one is seen done (apply's rolling window).
      const slot = async () => {
        while (next < total) {
          const id = `s${next++}`;
          finishesAt.set(id, clock.now() + 2050);
          const done = await poller.wait({ ...handle(id), startedAt: clock.now() }, 60_000);
          expect(done.type).toBe("done");
        }
      };
      await Promise.all(Array.from({ length: 100 }, slot));
      return { wallMs: clock.now() - start, polls: poller.polls };
    };
    const small = await run(200);
    const large = await run(1000);
    // Operations take a little over 2 s; each is seen settled within a tenth of that, and confirmed on the next poll
    // (a fixed 2 s interval would see each one at 4 s and confirm it at 6 s: 3× the ideal).
    expect(large.wallMs).toBeLessThanOrEqual(1.25 * 10 * 2050);
    // Polls per second of apply: the same for 200 and 1,000 operations (one bulk poll each, whatever is in flight).
    const rate = (r: { wallMs: number; polls: number }) => r.polls / (r.wallMs / 1000);
    expect(rate(large)).toBeLessThanOrEqual(5);
    expect(Math.abs(rate(large) - rate(small))).toBeLessThan(0.5);
  });
});

describe("confirmation polls", () => {
  /** Nova as a sequence: what each poll of each server shows, the last entry repeating; its instance action is read only on a poll that can confirm (as the OpenStack adapter does). */
  type Shown = "busy" | "done" | "done-again" | "rolled-back";
  function scripted(script: Record<string, Shown[]>, settleMs?: number, confirmAfterMs = 100) {
    const polls: { at: number; ids: string[]; complete: string[] }[] = [];
    const seen: Record<string, number> = {};
    const clock = instantClock();
    const adapter = {
      name: "dc1",
      ...(settleMs !== undefined ? { operationRules: { settleMs } } : {}),
      pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> => {
        polls.push({
          at: clock.now(),
          ids: queries.map((q) => q.handle.instanceId),
          complete: queries.filter((q) => q.complete).map((q) => q.handle.instanceId),
        });
        return queries.map((q) => {
          const id = q.handle.instanceId;
          const steps = script[id] ?? ["busy"];
          const shown = steps[Math.min(seen[id] ?? 0, steps.length - 1)]!;
          seen[id] = (seen[id] ?? 0) + 1;
          if (shown === "busy") return rebuilding(id);
          const instance = { ...settled(id).instance!, updatedAt: shown === "done" ? "t1" : "t2" };
          // A rolled-back rebuild: ACTIVE again, its fields written, the instance action ended with "Error".
          const job =
            shown === "rolled-back"
              ? { type: "failed" as const, message: 'instance action ended with "Error"' }
              : { type: "succeeded" as const };
          return q.readJob && q.complete ? { instance, job } : { instance };
        });
      },
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock,
      intervalMs: 1000,
      confirmAfterMs,
      signal: new AbortController().signal,
    });
    return { clock, poller, polls };
  }

  it("confirms a step that looked done with a poll of just that operation, confirmAfterMs after the poll that showed it", async () => {
    const { clock, poller, polls } = scripted({ a: ["busy", "done"], b: ["busy", "busy", "busy", "done"] });
    const t0 = clock.now();
    const doneAt: Record<string, number> = {};
    const results = await Promise.all(
      ["a", "b"].map((id) =>
        poller.wait({ ...handle(id), startedAt: t0 }, 60_000).then((r) => {
          doneAt[id] = clock.now() - t0;
          return r.type;
        }),
      ),
    );
    expect(results).toEqual(["done", "done"]);
    expect(polls.map((p) => [p.at - t0, p.ids.join(","), p.complete.join(",")])).toEqual([
      [1000, "a,b", ""],
      [2000, "a,b", ""],
      // a looked done on the poll answered at 2,000: confirmed by a poll of a alone, 100 ms later
      [2100, "a", "a"],
      [3000, "b", ""],
      [4000, "b", ""],
      [4100, "b", "b"],
    ]);
    expect(doneAt).toEqual({ a: 2100, b: 4100 });
  });

  it("still catches a rebuild that shows ACTIVE once and then rolls back: the confirmation poll sees it under way again, and the instance action fails it", async () => {
    const { clock, poller, polls } = scripted({ a: ["busy", "done", "busy", "rolled-back"] });
    const t0 = clock.now();
    await expect(poller.wait({ ...handle("a"), startedAt: t0 }, 60_000)).resolves.toEqual({
      type: "failed",
      message: 'instance action ended with "Error"',
    });
    // busy; ACTIVE (a candidate); the confirmation poll sees it busy again (the run starts over); ACTIVE with the
    // failed action, read on the poll that could confirm it
    expect(polls.map((p) => [p.at - t0, p.complete.join(",")])).toEqual([
      [1000, ""],
      [2000, ""],
      [2100, "a"],
      [3000, ""],
      [3100, "a"],
    ]);
  });

  it("with apply's confirmation wait (CONFIRM_AFTER_MS), still fails a rebuild that shows ACTIVE once and rolls back, and still needs two polls with the same update time", async () => {
    const { clock, poller, polls } = scripted(
      { a: ["busy", "done", "busy", "rolled-back"], b: ["busy", "done", "done-again", "done-again"] },
      undefined,
      CONFIRM_AFTER_MS,
    );
    const t0 = clock.now();
    const [a, b] = await Promise.all(["a", "b"].map((id) => poller.wait({ ...handle(id), startedAt: t0 }, 60_000)));
    expect(a).toEqual({ type: "failed", message: 'instance action ended with "Error"' });
    expect(b).toMatchObject({ type: "done" });
    expect(polls.map((p) => [p.at - t0, p.ids.join(","), p.complete.join(",")])).toEqual([
      [1000, "a,b", ""],
      [2000, "a,b", ""],
      // both looked done: a confirmation poll CONFIRM_AFTER_MS later sees a busy again and b's update time moved
      [2000 + CONFIRM_AFTER_MS, "a,b", "a,b"],
      // b looks done with the same update time as on the poll before: done; a looks done again: a candidate
      [3000, "a,b", "b"],
      // the poll that could confirm a reads its instance action, which failed
      [3000 + CONFIRM_AFTER_MS, "a", "a"],
    ]);
  });

  it("starts the run over when updated moved between the two polls: two polls with the same update time are needed", async () => {
    const { clock, poller, polls } = scripted({ a: ["busy", "done", "done-again"] });
    const t0 = clock.now();
    await expect(poller.wait({ ...handle("a"), startedAt: t0 }, 60_000)).resolves.toMatchObject({ type: "done" });
    // done at t1, then done at t2 (it toggled between): not confirmed then; one confirmation poll per interval, so
    // the regular poll at 3,000 confirms it
    expect(polls.map((p) => p.at - t0)).toEqual([1000, 2000, 2100, 3000]);
  });

  it("waits until the run spans settleMs when that is longer than confirmAfterMs", async () => {
    const { clock, poller, polls } = scripted({ a: ["busy", "done"] }, 450);
    const t0 = clock.now();
    await expect(poller.wait({ ...handle("a"), startedAt: t0 }, 60_000)).resolves.toMatchObject({ type: "done" });
    expect(polls.map((p) => [p.at - t0, p.complete.join(",")])).toEqual([
      [1000, ""],
      [2000, ""],
      [2450, "a"],
    ]);
  });

  it("sends at most one confirmation poll between two regular polls, also when it fails", async () => {
    const clock = instantClock();
    const t0 = clock.now();
    const polls: number[] = [];
    let answers = 0;
    const adapter = {
      name: "dc1",
      pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> => {
        polls.push(clock.now() - t0);
        answers++;
        if (answers === 3) throw new Error("503 Service Unavailable");
        return queries.map((q) => (answers === 1 ? rebuilding(q.handle.instanceId) : settled(q.handle.instanceId)));
      },
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock,
      intervalMs: 1000,
      confirmAfterMs: 100,
      signal: new AbortController().signal,
      onError: () => undefined,
    });
    await expect(poller.wait({ ...handle("a"), startedAt: t0 }, 60_000)).resolves.toMatchObject({ type: "done" });
    expect(polls).toEqual([1000, 2000, 2100, 3000]);
  });

  it("confirms every operation within confirmAfterMs of the poll that first showed it done, at most two polls per interval (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 50, max: 2000 }),
        fc.integer({ min: 10, max: 500 }),
        async (durations, intervalMs, confirmAfterMs) => {
          const clock = instantClock();
          const t0 = clock.now();
          const firstSeen = new Map<string, number>();
          const adapter = {
            pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> =>
              queries.map(({ handle: h }) => {
                if (clock.now() < h.startedAt + (durations[Number(h.instanceId)] ?? 0)) return rebuilding(h.instanceId);
                if (!firstSeen.has(h.instanceId)) firstSeen.set(h.instanceId, clock.now());
                return settled(h.instanceId);
              }),
          } as unknown as ProviderAdapter;
          const poller = new OperationPoller(adapter, {
            clock,
            intervalMs,
            confirmAfterMs,
            signal: new AbortController().signal,
          });
          const late = await Promise.all(
            durations.map((_, i) =>
              poller
                .wait({ ...handle(String(i)), startedAt: t0 }, 600_000)
                .then(() => clock.now() - (firstSeen.get(String(i)) ?? Infinity)),
            ),
          );
          // Confirmed by a later poll (two observations), never more than confirmAfterMs after the first
          for (const ms of late) {
            expect(ms).toBeGreaterThan(0);
            expect(ms).toBeLessThanOrEqual(confirmAfterMs);
          }
          const regular = Math.ceil((clock.now() - t0) / intervalMs);
          expect(poller.polls).toBeLessThanOrEqual(2 * regular);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * A fake clock whose sleeps overlap, as real ones do: each sleep ends at its own time, and time moves to the earliest
 * pending one once everything runnable has run. (The instant clock adds up sleeps: right for one sleeper only.)
 */
function eventClock(): Clock & { stop(): void } {
  let now = Date.UTC(2026, 10, 23, 12);
  const timers: { at: number; resolve: () => void }[] = [];
  let running = true;
  void (async () => {
    while (running) {
      await new Promise((resolve) => setImmediate(resolve));
      if (timers.length === 0) continue;
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift()!;
      now = next.at;
      next.resolve();
    }
  })();
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => timers.push({ at: now + Math.max(0, ms), resolve })),
    stop: () => {
      running = false;
    },
  };
}

describe("apply's defaults at parallelism 500 (ADAPTIVE_POLLING, CONFIRM_AFTER_MS, READ_WINDOW_MS)", () => {
  /**
   * apply's rolling window as the 10,000-rebuild benchmark runs it, on a clock whose sleeps overlap: each slot reads
   * its next server (the read window, then 20 ms), sends the rebuild (POST 50 ms), which ends 2 s later; a poll takes
   * 30 ms and the cloud answers it as it was halfway through.
   */
  async function rollingWindow(total: number, parallelism: number) {
    const clock = eventClock();
    const endsAt = new Map<string, number>();
    const adapter = {
      name: "dc1",
      operationRules: { settleMs: 0 },
      pollOperations: async (queries: readonly OperationQuery[]): Promise<OperationObservation[]> => {
        await clock.sleep(15);
        const looked = clock.now();
        await clock.sleep(15);
        return queries.map(({ handle: h }) =>
          looked >= (endsAt.get(h.instanceId) ?? Infinity) ? settled(h.instanceId) : rebuilding(h.instanceId),
        );
      },
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, {
      clock,
      intervalMs: 2000,
      adaptive: ADAPTIVE_POLLING,
      confirmAfterMs: CONFIRM_AFTER_MS,
      signal: new AbortController().signal,
    });
    const start = clock.now();
    let next = 0;
    const slot = async () => {
      while (next < total) {
        const id = `s${next++}`;
        await clock.sleep(READ_WINDOW_MS + 20);
        await clock.sleep(50);
        endsAt.set(id, clock.now() - 25 + 2000);
        const done = await poller.wait({ ...handle(id), startedAt: clock.now() }, 60_000);
        expect(done.type).toBe("done");
      }
    };
    await Promise.all(Array.from({ length: parallelism }, slot));
    clock.stop();
    const wallMs = clock.now() - start;
    return {
      wallMs,
      ratio: wallMs / (Math.ceil(total / parallelism) * 2000),
      pollsPerSecond: poller.polls / (wallMs / 1000),
    };
  }

  it("keeps 2,000 rebuilds in 4 waves within 1.09× the ideal schedule, at a poll rate independent of N", async () => {
    const small = await rollingWindow(1000, 500);
    const large = await rollingWindow(2000, 500);
    // Per wave: 75 ms to send the next rebuild, about half a poll interval before its end is seen, the confirmation
    // poll CONFIRM_AFTER_MS later. With a 100 ms confirmation wait and a 20 ms read window it was 1.127×.
    expect(large.ratio).toBeLessThanOrEqual(1.09);
    expect(large.pollsPerSecond).toBeLessThanOrEqual(6);
    expect(Math.abs(large.pollsPerSecond - small.pollsPerSecond)).toBeLessThan(0.5);
  });
});
