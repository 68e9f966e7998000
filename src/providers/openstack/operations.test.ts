import { describe, expect, it } from "vitest";
import type { OperationHandle } from "../../model/operation.js";
import { Secret } from "../../model/secret.js";
import type { NovaServer } from "./normalize.js";
import { normalizeServer } from "./normalize.js";
import { actionBody, actionCounts, actionStatus, actionToRead, looksAccepted } from "./operations.js";

const BASE_UPDATED = "2026-11-23T10:00:00Z";
const handle = (patch: Partial<OperationHandle> = {}): OperationHandle => ({
  instanceId: "s1",
  step: "rebuild",
  startedAt: 0,
  requestId: "req-9",
  baseline: { updatedAt: BASE_UPDATED, status: "ACTIVE" },
  synchronous: false,
  ...patch,
});
const server = (
  status: string,
  task: string | null,
  updated = "2026-11-23T10:05:00Z",
  extra: Partial<NovaServer> = {},
): NovaServer => ({ id: "s1", name: "web-1", status, updated, "OS-EXT-STS:task_state": task, ...extra });

describe("looksAccepted", () => {
  it("recognises the step's task, its status, or a moved updated time", () => {
    expect(looksAccepted(server("ACTIVE", "powering-off", BASE_UPDATED), "stop", BASE_UPDATED)).toBe(true);
    expect(looksAccepted(server("HARD_REBOOT", null, BASE_UPDATED), "reboot", BASE_UPDATED)).toBe(true);
    expect(looksAccepted(server("ACTIVE", null), "rebuild", BASE_UPDATED)).toBe(true);
    expect(looksAccepted(server("ACTIVE", null, BASE_UPDATED), "rebuild", BASE_UPDATED)).toBe(false);
    expect(looksAccepted(undefined, "rebuild", BASE_UPDATED)).toBe(false);
  });
});

describe("actionBody", () => {
  it("builds reboot, stop and start bodies, and passes an admin password to rebuild only when given", () => {
    expect(actionBody({ kind: "reboot", impact: "reboot", params: { type: "HARD" } }, {})).toEqual({
      reboot: { type: "HARD" },
    });
    expect(actionBody({ kind: "stop", impact: "reboot", params: { reason: "power" } }, {})).toEqual({
      "os-stop": null,
    });
    expect(actionBody({ kind: "start", impact: "reboot", params: { reason: "power" } }, {})).toEqual({
      "os-start": null,
    });
    const rebuild = actionBody(
      {
        kind: "rebuild",
        impact: "reprovision",
        params: { imageId: "i", metadata: { set: {}, remove: [], full: {} }, keepStopped: false },
      },
      { password: new Secret("pw") },
    );
    expect(rebuild).toEqual({ rebuild: { imageRef: "i", metadata: {}, adminPass: "pw" } });
  });

  it("refuses to set user_data without its content", () => {
    expect(() =>
      actionBody(
        {
          kind: "rebuild",
          impact: "reprovision",
          params: {
            imageId: "i",
            userDataSha256: "abc",
            metadata: { set: {}, remove: [], full: {} },
            keepStopped: false,
          },
        },
        {},
      ),
    ).toThrow(/no user_data content/);
  });
});

describe("the instance action of a settled rebuild", () => {
  const instance = normalizeServer(server("ACTIVE", null), "dc1");
  const ask = (patch: Partial<OperationHandle> = {}, readJob = true, complete = true) => ({
    handle: handle(patch),
    readJob,
    complete,
  });

  it("is read for a rebuild with a request id on the poll that can confirm it, while apply asks", () => {
    expect(actionToRead(ask())).toBe("req-9");
    expect(actionToRead(ask({}, false))).toBeUndefined();
    // The first poll that shows it settled cannot confirm it: the action is read on the next, alongside its listing.
    expect(actionToRead(ask({}, true, false))).toBeUndefined();
    expect(actionToRead(ask({ step: "reboot" }))).toBeUndefined();
    expect(actionToRead(ask({ requestId: undefined }))).toBeUndefined();
  });

  it("counts only for a server that the same poll shows settled ACTIVE or SHUTOFF with updated moved", () => {
    expect(actionCounts(handle(), instance)).toBe(true);
    expect(actionCounts(handle(), normalizeServer(server("SHUTOFF", null), "dc1"))).toBe(true);
    expect(actionCounts(handle(), normalizeServer(server("REBUILD", "rebuilding"), "dc1"))).toBe(false);
    expect(actionCounts(handle(), normalizeServer(server("ACTIVE", "rebooting"), "dc1"))).toBe(false);
    expect(actionCounts(handle(), normalizeServer(server("ACTIVE", null, BASE_UPDATED), "dc1"))).toBe(false);
    expect(actionCounts(handle(), normalizeServer(server("ERROR", null), "dc1"))).toBe(false);
  });

  it("ended well when its message is empty; no record when Nova does not know it", () => {
    expect(
      actionStatus(handle(), instance, {
        action: "rebuild",
        message: null,
        events: [{ event: "compute_rebuild_instance", result: "Success" }],
      }),
    ).toEqual({ type: "succeeded" });
    expect(actionStatus(handle(), instance, undefined)).toBeUndefined();
  });

  it("fails a settled rebuild whose action says Error, naming the failed events and the request id", () => {
    const failed = actionStatus(handle(), instance, {
      action: "rebuild",
      message: "Error",
      events: [
        { event: "compute_rebuild_instance", result: "Error" },
        { event: "schedule", result: "Success" },
      ],
    });
    expect(failed).toEqual({
      type: "failed",
      message: `Nova's instance action req-9 for this rebuild ended with "Error" (compute_rebuild_instance: Error), though the server settled ACTIVE: its image, key pair, metadata and user_data may show the new values without the rebuild having run`,
    });
  });
});
