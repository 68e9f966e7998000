import { describe, expect, it } from "vitest";
import type { SettleRun } from "./settle.js";
import { checkSettled } from "./settle.js";

/** Feeds polls `[now, looksDone, mark]` in order; the verdict of each. */
function run(polls: readonly (readonly [number, boolean, string])[], settleMs: number): boolean[] {
  let previous: SettleRun | undefined;
  return polls.map(([now, looksDone, mark]) => {
    const check = checkSettled(previous, looksDone, now, mark, settleMs);
    previous = check.run;
    return check.settled;
  });
}

describe("settle confirmation", () => {
  it("needs two polls in a row that look done, however long settleMs is not", () => {
    expect(run([[0, true, "u1"], [10, true, "u1"]], 0)).toEqual([false, true]);
  });

  it("a poll that does not look done starts over; so does a moved mark (a toggle between two polls)", () => {
    expect(run([[0, true, "u1"], [10, false, "u1"], [20, true, "u1"], [30, true, "u1"]], 0)).toEqual([false, false, false, true]);
    expect(run([[0, true, "u1"], [10, true, "u2"], [20, true, "u2"]], 0)).toEqual([false, false, true]);
  });

  it("the run must span settleMs", () => {
    expect(run([[0, true, ""], [50, true, ""], [99, true, ""], [100, true, ""]], 100)).toEqual([false, false, false, true]);
  });
});
