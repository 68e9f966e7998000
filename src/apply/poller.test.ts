import { describe, expect, it } from "vitest";
import type { OperationHandle, OperationStatus, ProviderAdapter } from "../model/provider.js";
import type { ObservedInstance } from "../model/observed.js";
import { instantClock } from "../../test/support/instant-clock.js";
import fc from "fast-check";
import { OperationPoller, nextPollDelay } from "./poller.js";

const handle = (id: string): OperationHandle => ({ instanceId: id, step: "rebuild", startedAt: 0, baseline: { updatedAt: "t0", status: "ACTIVE" }, synchronous: false });

/** An adapter whose operations finish after a given number of polls; it records each bulk poll. */
function fakeAdapter(pollsUntilDone: Record<string, number>, failing: Set<string> = new Set()) {
  const calls: string[][] = [];
  const adapter = {
    pollOperations: async (handles: readonly OperationHandle[]): Promise<OperationStatus[]> => {
      calls.push(handles.map((h) => h.instanceId));
      return handles.map((h) => {
        const left = (pollsUntilDone[h.instanceId] ?? 0) - 1;
        pollsUntilDone[h.instanceId] = left;
        if (left > 0) return { type: "running", handle: h, status: "REBUILD" };
        if (failing.has(h.instanceId)) return { type: "failed", handle: h, message: "No valid host was found." };
        return { type: "done", handle: h, instance: { id: h.instanceId } as ObservedInstance };
      });
    },
  } as unknown as ProviderAdapter;
  return { adapter, calls };
}

describe("OperationPoller", () => {
  it("polls every in-flight operation with one bulk call per interval", async () => {
    const { adapter, calls } = fakeAdapter({ a: 1, b: 2, c: 3 });
    const clock = instantClock();
    const poller = new OperationPoller(adapter, { clock, intervalMs: 1000, signal: new AbortController().signal });
    const results = await Promise.all(["a", "b", "c"].map((id) => poller.wait(handle(id), 60_000)));
    expect(results.map((r) => r.type)).toEqual(["done", "done", "done"]);
    expect(calls).toEqual([["a", "b", "c"], ["b", "c"], ["c"]]);
    expect(poller.polls).toBe(3);
    expect(clock.slept).toEqual([1000, 1000, 1000]);
  });

  it("reports a failed operation with the cloud's message", async () => {
    const { adapter } = fakeAdapter({ a: 2 }, new Set(["a"]));
    const poller = new OperationPoller(adapter, { clock: instantClock(), intervalMs: 10, signal: new AbortController().signal });
    await expect(poller.wait(handle("a"), 60_000)).resolves.toMatchObject({ type: "failed", message: "No valid host was found." });
  });

  it("times out an operation that never settles, naming the step, the time waited since it was sent and the last status", async () => {
    const { adapter } = fakeAdapter({ a: 1_000_000 });
    const clock = instantClock();
    const poller = new OperationPoller(adapter, { clock, intervalMs: 1000, signal: new AbortController().signal });
    const sent = { ...handle("a"), startedAt: clock.now() - 60_000 };
    await expect(poller.wait(sent, 5_000)).rejects.toThrow("rebuild timed out: not finished after 1m5s (limit 5s); last status REBUILD");
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
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 10_000 }), fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 0, max: 10_000_000 }), (interval, min, started, now) => {
        const delay = nextPollDelay(interval, { minIntervalMs: min, fraction: 0.1 }, now, started);
        expect(delay).toBeLessThanOrEqual(interval);
        expect(delay).toBeGreaterThanOrEqual(Math.min(min, interval));
      }),
    );
  });

  it("sees a 2 s operation done within a tenth of its duration, with one bulk poll per wait", async () => {
    const clock = instantClock();
    const start = clock.now();
    const adapter = {
      pollOperations: async (handles: readonly OperationHandle[]): Promise<OperationStatus[]> =>
        handles.map((h) => (clock.now() - start >= 2000 ? { type: "done", handle: h, instance: { id: h.instanceId } as ObservedInstance } : { type: "running", handle: h, status: "REBUILD" })),
    } as unknown as ProviderAdapter;
    const poller = new OperationPoller(adapter, { clock, intervalMs: 2000, adaptive, signal: new AbortController().signal });
    const ids = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const results = await Promise.all(ids.map((id) => poller.wait({ ...handle(id), startedAt: start }, 60_000)));
    expect(results.every((r) => r.type === "done")).toBe(true);
    expect(clock.now() - start).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - start).toBeLessThanOrEqual(2200);
    expect(poller.polls).toBe(clock.slept.length);
    expect(poller.polls).toBeLessThanOrEqual(10);
  });

  it("keeps a rolling window of 1,000 two-second operations within 1.15× the ideal schedule, at a poll rate independent of N", async () => {
    const run = async (total: number) => {
      const clock = instantClock();
      const start = clock.now();
      const finishesAt = new Map<string, number>();
      const adapter = {
        pollOperations: async (handles: readonly OperationHandle[]): Promise<OperationStatus[]> =>
          handles.map((h) => (clock.now() >= (finishesAt.get(h.instanceId) ?? Infinity) ? { type: "done", handle: h, instance: { id: h.instanceId } as ObservedInstance } : { type: "running", handle: h, status: "REBUILD" })),
      } as unknown as ProviderAdapter;
      const poller = new OperationPoller(adapter, { clock, intervalMs: 2000, adaptive, signal: new AbortController().signal });
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
    // Operations take a little over 2 s (a fixed 2 s interval would see each one at 4 s: 2× the ideal).
    expect(large.wallMs).toBeLessThanOrEqual(1.15 * 10 * 2050);
    // Polls per second of apply: the same for 200 and 1,000 operations (one bulk poll each, whatever is in flight).
    const rate = (r: { wallMs: number; polls: number }) => r.polls / (r.wallMs / 1000);
    expect(rate(large)).toBeLessThanOrEqual(5);
    expect(Math.abs(rate(large) - rate(small))).toBeLessThan(0.5);
  });
});
