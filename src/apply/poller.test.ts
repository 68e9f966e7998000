import { describe, expect, it } from "vitest";
import type { OperationHandle, OperationStatus, ProviderAdapter } from "../model/provider.js";
import type { ObservedInstance } from "../model/observed.js";
import { instantClock } from "../../test/support/instant-clock.js";
import { OperationPoller } from "./poller.js";

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

  it("times out an operation that never settles, naming the step and the last status", async () => {
    const { adapter } = fakeAdapter({ a: 1_000_000 });
    const poller = new OperationPoller(adapter, { clock: instantClock(), intervalMs: 1000, signal: new AbortController().signal });
    await expect(poller.wait(handle("a"), 5_000)).rejects.toThrow(/rebuild did not finish within .* last status REBUILD/);
  });
});
