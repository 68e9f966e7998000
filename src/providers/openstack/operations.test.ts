import { describe, expect, it } from "vitest";
import type { OperationHandle } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import type { NovaServer } from "./normalize.js";
import { actionBody, decideOperation, looksAccepted, needsActionCheck, withActionResult } from "./operations.js";

const BASE_UPDATED = "2026-11-23T10:00:00Z";
const handle = (patch: Partial<OperationHandle> = {}): OperationHandle => ({ instanceId: "s1", step: "rebuild", startedAt: 0, requestId: "req-9", baseline: { updatedAt: BASE_UPDATED, status: "ACTIVE" }, synchronous: false, ...patch });
const server = (status: string, task: string | null, updated = "2026-11-23T10:05:00Z", extra: Partial<NovaServer> = {}): NovaServer => ({ id: "s1", name: "web-1", status, updated, "OS-EXT-STS:task_state": task, ...extra });

describe("decideOperation", () => {
  it("is running while a task is set, done when settled and updated moved", () => {
    expect(decideOperation(handle(), server("REBUILD", "rebuild_spawning"), "dc1")).toMatchObject({ type: "running", status: "REBUILD/rebuild_spawning" });
    expect(decideOperation(handle(), server("ACTIVE", null), "dc1").type).toBe("done");
  });

  it("does not call a settled server done until something visibly happened", () => {
    expect(decideOperation(handle(), server("ACTIVE", null, BASE_UPDATED), "dc1").type).toBe("running");
  });

  it("fails on ERROR with task null, with the fault message and the request id", () => {
    expect(decideOperation(handle(), server("ERROR", null, undefined, { fault: { code: 500, message: "boom" } }), "dc1")).toEqual({ type: "failed", handle: handle(), message: "boom", requestId: "req-9" });
    expect(decideOperation(handle(), server("ERROR", null), "dc1")).toMatchObject({ type: "failed", message: "server went to ERROR" });
  });

  it("keeps a HARD reboot from ERROR running while its task is set, and before anything moved", () => {
    const h = handle({ step: "reboot", baseline: { updatedAt: BASE_UPDATED, status: "ERROR" } });
    expect(decideOperation(h, server("ERROR", "rebooting_hard"), "dc1").type).toBe("running");
    expect(decideOperation(h, server("ERROR", null, BASE_UPDATED), "dc1").type).toBe("running");
    expect(decideOperation(h, server("ACTIVE", null), "dc1").type).toBe("done");
  });

  it("waits for SHUTOFF after a stop and ACTIVE after a start", () => {
    expect(decideOperation(handle({ step: "stop" }), server("ACTIVE", null), "dc1").type).toBe("running");
    expect(decideOperation(handle({ step: "stop" }), server("SHUTOFF", null), "dc1").type).toBe("done");
    expect(decideOperation(handle({ step: "start" }), server("SHUTOFF", null), "dc1").type).toBe("running");
  });
});

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
    expect(actionBody({ kind: "reboot", impact: "reboot", params: { type: "HARD" } }, {})).toEqual({ reboot: { type: "HARD" } });
    expect(actionBody({ kind: "stop", impact: "reboot", params: { reason: "power" } }, {})).toEqual({ "os-stop": null });
    expect(actionBody({ kind: "start", impact: "reboot", params: { reason: "power" } }, {})).toEqual({ "os-start": null });
    const rebuild = actionBody({ kind: "rebuild", impact: "reprovision", params: { imageId: "i", metadata: { set: {}, remove: [], full: {} }, keepStopped: false } }, { password: new Secret("pw") });
    expect(rebuild).toEqual({ rebuild: { imageRef: "i", metadata: {}, adminPass: "pw" } });
  });

  it("refuses to set user_data without its content", () => {
    expect(() => actionBody({ kind: "rebuild", impact: "reprovision", params: { imageId: "i", userDataSha256: "abc", metadata: { set: {}, remove: [], full: {} }, keepStopped: false } }, {})).toThrow(/no user_data content/);
  });
});

describe("withActionResult", () => {
  const done = decideOperation(handle(), server("ACTIVE", null), "dc1");

  it("asks about settled rebuilds with a request id only", () => {
    expect(needsActionCheck(done)).toBe(true);
    expect(needsActionCheck(decideOperation(handle({ step: "reboot" }), server("ACTIVE", null), "dc1"))).toBe(false);
    expect(needsActionCheck(decideOperation(handle({ requestId: undefined }), server("ACTIVE", null), "dc1"))).toBe(false);
    expect(needsActionCheck(decideOperation(handle(), server("REBUILD", "rebuilding"), "dc1"))).toBe(false);
  });

  it("keeps a rebuild done when its action ended without a message, or Nova does not know it", () => {
    expect(withActionResult(done, { action: "rebuild", message: null, events: [{ event: "compute_rebuild_instance", result: "Success" }] })).toBe(done);
    expect(withActionResult(done, undefined)).toBe(done);
  });

  it("fails a settled rebuild whose action says Error, naming the failed events and the request id", () => {
    const failed = withActionResult(done, { action: "rebuild", message: "Error", events: [{ event: "compute_rebuild_instance", result: "Error" }, { event: "schedule", result: "Success" }] });
    expect(failed).toEqual({
      type: "failed",
      handle: handle(),
      requestId: "req-9",
      message: `Nova's instance action req-9 for this rebuild ended with "Error" (compute_rebuild_instance: Error), though the server settled ACTIVE: its image, key pair, metadata and user_data may show the new values without the rebuild having run`,
    });
  });
});
