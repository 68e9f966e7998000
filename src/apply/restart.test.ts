import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StepKind } from "../model/action.js";
import type { InstanceStatus } from "../model/observed.js";
import { desired, observed, stopped } from "../plan/test-builders.js";
import { needsRestart, withRestart } from "./restart.js";

const running = observed();
const off = stopped();

describe("needsRestart", () => {
  it.each([
    ["JD: the rebuild after the stop was refused", running, off, undefined, "rebuild", true],
    ["Huawei: a withStopServer job failed, the server is SHUTOFF", running, off, undefined, "changeos", true],
    ["power unmanaged: restarted too", running, off, "running", "reinstall", true],
    ["the fleet declares power: stopped", running, off, "stopped", "rebuild", false],
    ["stopped before the steps began", off, off, undefined, "rebuild", false],
    ["still running after the failure (the stop itself failed)", running, running, undefined, "stop", false],
    ["the start itself failed: sending it again meets the same refusal", running, off, undefined, "start", false],
    [
      "busy after the failure",
      running,
      stopped({ status: "stopping", rawStatus: "stopping" }),
      undefined,
      "rebuild",
      false,
    ],
    [
      "in error after the failure (a failed reprovisioning)",
      running,
      observed({ status: "error", rawStatus: "error", power: "stopped" }),
      undefined,
      "rebuild",
      false,
    ],
    ["in error before the steps", observed({ status: "error", rawStatus: "ERROR" }), off, undefined, "rebuild", false],
    ["no step failed (a failure before any step)", running, off, undefined, undefined, false],
  ] as const)("%s → %s", (_what, before, now, power, failedStep, expected) => {
    const want = desired(power === undefined ? {} : { power });
    expect(needsRestart({ before, now, desired: want, failedStep })).toBe(expected);
  });

  it("never restarts a server the fleet wants stopped, one that is not stopped now, or one that was not running (property)", () => {
    const statuses: InstanceStatus[] = [
      "active",
      "stopped",
      "building",
      "rebuilding",
      "rebooting",
      "stopping",
      "starting",
      "error",
      "unknown",
    ];
    const server = fc.record({
      status: fc.constantFrom(...statuses),
      power: fc.constantFrom("running" as const, "stopped" as const, "unknown" as const),
      task: fc.constantFrom(null, "powering-on"),
    });
    const steps: StepKind[] = ["stop", "rebuild", "reinstall", "changeos", "reboot", "update-metadata", "start"];
    fc.assert(
      fc.property(
        server,
        server,
        fc.constantFrom(undefined, "running" as const, "stopped" as const),
        fc.constantFrom(undefined, ...steps),
        (b, n, power, failedStep) => {
          const before = observed(b);
          const now = observed(n);
          const restart = needsRestart({
            before,
            now,
            desired: desired(power === undefined ? {} : { power }),
            failedStep,
          });
          if (restart) {
            expect(power).not.toBe("stopped");
            expect(now.status).toBe("stopped");
            expect(now.task).toBeNull();
            // it was running: said so, or (power not reported) not in a stopped status
            expect(before.power === "running" || (before.power === "unknown" && before.status !== "stopped")).toBe(
              true,
            );
            expect(before.status).not.toBe("error");
            expect(failedStep).not.toBe("start");
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("withRestart", () => {
  const failed = {
    type: "failed" as const,
    step: "rebuild" as const,
    why: "jd/web-1 (rebuild): refused [request req-1]",
    requestId: "req-1",
  };

  it("keeps the failure first and says the server was started again", () => {
    expect(withRestart(failed, { outcome: "started" })).toEqual({
      ...failed,
      why: "jd/web-1 (rebuild): refused [request req-1]; the server, running before and stopped by the failed sequence, was started again",
      restart: { outcome: "started" },
    });
  });

  it("says precisely when starting it again failed too", () => {
    const result = withRestart(failed, { outcome: "failed", why: "start failed: no capacity" });
    expect(result.why).toBe(
      "jd/web-1 (rebuild): refused [request req-1]; the server, running before, is left stopped: starting it again failed too: start failed: no capacity",
    );
    expect(result).toMatchObject({
      step: "rebuild",
      requestId: "req-1",
      restart: { outcome: "failed", why: "start failed: no capacity" },
    });
  });
});
