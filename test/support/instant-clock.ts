import type { Clock } from "../../src/model/clock.js";

/**
 * The one fake clock of the tests: sleeps return at once and move virtual time forward (deterministic, no real
 * waiting); `slept` lists them; `advance` moves time without a sleep (a token about to expire).
 */
export function instantClock(
  start = Date.UTC(2026, 10, 23, 12),
): Clock & { readonly slept: number[]; advance(ms: number): void } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      now += ms;
      await Promise.resolve();
    },
  };
}
