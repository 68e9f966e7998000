import { describe, expect, it } from "vitest";
import type { ObservedInstance } from "../model/observed.js";
import type { ListInstancesRequest, ProviderAdapter } from "../model/provider.js";
import { instantClock } from "../../test/support/instant-clock.js";
import { InstanceReader, READ_WINDOW_MS } from "./reader.js";

/** An adapter that knows servers a and b, recording the ids of each bulk read. */
function recordingAdapter() {
  const calls: string[][] = [];
  const adapter = {
    listInstances: async (req: ListInstancesRequest): Promise<ObservedInstance[]> => {
      const ids = req.selectors.map((s) => ("id" in s ? s.id : ""));
      calls.push(ids);
      return ids.filter((id) => id === "a" || id === "b").map((id) => ({ id }) as ObservedInstance);
    },
  } as unknown as ProviderAdapter;
  return { adapter, calls };
}

describe("InstanceReader", () => {
  it("gives reads that arrive together (the slots one poll freed) one bulk call, after READ_WINDOW_MS", async () => {
    const clock = instantClock();
    const { adapter, calls } = recordingAdapter();
    const reader = new InstanceReader(adapter, { clock, signal: new AbortController().signal });
    const [a, b, gone] = await Promise.all([reader.read("a"), reader.read("b"), reader.read("x")]);
    expect([a?.id, b?.id, gone]).toEqual(["a", "b", undefined]);
    expect(calls).toEqual([["a", "b", "x"]]);
    expect(clock.slept).toEqual([READ_WINDOW_MS]);
    expect(READ_WINDOW_MS).toBeLessThanOrEqual(5);
    // A read after that call was sent starts the next window.
    await reader.read("a");
    expect(calls).toEqual([["a", "b", "x"], ["a"]]);
    expect(reader.reads).toBe(2);
  });

  it("fails every read of a bulk call that failed", async () => {
    const clock = instantClock();
    const adapter = {
      listInstances: async () => {
        throw new Error("503 Service Unavailable");
      },
    } as unknown as ProviderAdapter;
    const reader = new InstanceReader(adapter, { clock, signal: new AbortController().signal });
    const reads = [reader.read("a"), reader.read("b")];
    for (const read of reads) await expect(read).rejects.toThrow("503");
  });
});
