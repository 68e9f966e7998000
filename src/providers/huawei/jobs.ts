import type { JobStatus } from "../../model/operation.js";

/**
 * Huawei ECS jobs (`GET /v1/{project_id}/jobs/{job_id}`): INIT, RUNNING, SUCCESS, FAIL (and PENDING_PAYMENT for
 * yearly/monthly orders). Batch actions return one job with one sub-job per server, so a job can end FAIL while some
 * sub-jobs succeeded: the sub-jobs are inspected for the server the operation was about.
 */

interface JobLike {
  readonly status?: unknown;
  readonly error_code?: unknown;
  readonly fail_reason?: unknown;
  readonly entities?: {
    readonly server_id?: unknown;
    readonly sub_jobs?: readonly JobLike[];
    readonly errorcode_message?: unknown;
  };
  readonly job_id?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `Ecs.0032 the image is too large` from a job or sub-job's error_code, fail_reason and errorcode_message. */
function describeFailure(job: JobLike): string {
  const parts = [text(job.error_code), text(job.fail_reason), text(job.entities?.errorcode_message)].filter(
    (p): p is string => p !== undefined,
  );
  return [...new Set(parts)].join(" ");
}

/** The sub-job of a batch job that concerns `serverId`, if the job has sub-jobs. */
function subJobFor(job: JobLike, serverId: string): JobLike | undefined {
  return job.entities?.sub_jobs?.find((sub) => sub.entities?.server_id === serverId);
}

/**
 * What a job says about the operation on `serverId` (pure). A batch job is judged by that server's sub-job when it
 * has one; a failure message names the job, the error code, the fail_reason and, for a batch, the failed sub-jobs.
 */
export function jobOutcome(jobId: string, job: JobLike, serverId: string): JobStatus {
  const sub = subJobFor(job, serverId);
  const own = sub ?? job;
  const status = text(own.status) ?? "UNKNOWN";
  switch (status) {
    case "SUCCESS":
      return { type: "succeeded" };
    case "FAIL": {
      const failedSubs = (job.entities?.sub_jobs ?? []).filter((s) => s.status === "FAIL");
      const details = sub
        ? describeFailure(sub)
        : [describeFailure(job), ...failedSubs.map(describeFailure)].filter((d) => d !== "").join("; ");
      const subs = job.entities?.sub_jobs?.length
        ? ` (${failedSubs.length} of ${job.entities.sub_jobs.length} sub-jobs failed)`
        : "";
      return { type: "failed", message: `job ${jobId} failed${subs}: ${details || "no fail_reason given"}` };
    }
    default:
      // INIT, RUNNING, PENDING_PAYMENT (a yearly/monthly order awaiting payment): not settled; apply's timeout bounds it.
      return { type: "running", status: `job ${status}` };
  }
}
