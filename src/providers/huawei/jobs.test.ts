import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobOutcome } from "./jobs.js";

const sub = (serverId: string, status: string, reason?: string) => ({
  status,
  job_id: `sub-${serverId}`,
  error_code: reason ? "Ecs.0001" : null,
  fail_reason: reason ?? null,
  entities: { server_id: serverId },
});

describe("Huawei job outcome", () => {
  it("INIT, RUNNING and PENDING_PAYMENT are still running", () => {
    for (const status of ["INIT", "RUNNING", "PENDING_PAYMENT"])
      expect(jobOutcome("j1", { status }, "s1")).toEqual({ type: "running", status: `job ${status}` });
  });

  it("SUCCESS is success", () => {
    expect(jobOutcome("j1", { status: "SUCCESS", entities: { server_id: "s1" } }, "s1")).toEqual({ type: "succeeded" });
  });

  it("FAIL names the job, the error code and the fail_reason", () => {
    const job = {
      status: "FAIL",
      error_code: "Ecs.0032",
      fail_reason: "image too large",
      entities: { server_id: "s1" },
    };
    expect(jobOutcome("j1", job, "s1")).toEqual({ type: "failed", message: "job j1 failed: Ecs.0032 image too large" });
    expect(jobOutcome("j2", { status: "FAIL" }, "s1")).toEqual({
      type: "failed",
      message: "job j2 failed: no fail_reason given",
    });
  });

  it("a batch job is judged by the server's own sub-job: FAIL overall with this server's sub-job SUCCESS is success", () => {
    const job = {
      status: "FAIL",
      entities: { sub_jobs_total: 2, sub_jobs: [sub("s1", "SUCCESS"), sub("s2", "FAIL", "hypervisor timeout")] },
    };
    expect(jobOutcome("b1", job, "s1")).toEqual({ type: "succeeded" });
    expect(jobOutcome("b1", job, "s2")).toEqual({
      type: "failed",
      message: "job b1 failed (1 of 2 sub-jobs failed): Ecs.0001 hypervisor timeout",
    });
  });

  it("a batch job without the server's sub-job lists every failed sub-job", () => {
    const job = {
      status: "FAIL",
      fail_reason: "partial",
      entities: { sub_jobs: [sub("a", "FAIL", "one"), sub("b", "FAIL", "two"), sub("c", "SUCCESS")] },
    };
    expect(jobOutcome("b2", job, "zz")).toEqual({
      type: "failed",
      message: "job b2 failed (2 of 3 sub-jobs failed): partial; Ecs.0001 one; Ecs.0001 two",
    });
  });

  it("only SUCCESS succeeds and only FAIL fails, whatever the other fields say", () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string()), fc.option(fc.string()), (status, code, reason) => {
        const outcome = jobOutcome("j", { status, error_code: code, fail_reason: reason }, "s");
        expect(outcome.type).toBe(status === "SUCCESS" ? "succeeded" : status === "FAIL" ? "failed" : "running");
      }),
    );
  });
});
