import type { Clock } from "../../src/model/clock.js";

/** A clock whose sleeps return at once and move virtual time forward: deterministic, no real waiting. */
export function instantClock(start = Date.UTC(2026, 10, 23)): Clock & { readonly slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      now += ms;
      await Promise.resolve();
    },
  };
}
