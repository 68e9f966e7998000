import type { StepKind } from "./action.js";
import type { ObservedInstance } from "./observed.js";

/** The server just before a step was sent. */
export interface OperationBaseline {
  readonly updatedAt: string;
  readonly status: string;
  readonly imageId?: string;
}

/**
 * What apply keeps to follow an asynchronous operation, and writes to the journal: plain data, so a later run
 * rebuilds it from the journal and follows the operation as if it had sent it.
 */
export interface OperationHandle {
  readonly instanceId: string;
  readonly step: StepKind;
  /** ms since epoch, from the clock. */
  readonly startedAt: number;
  /** The cloud's request id for the mutating call. */
  readonly requestId?: string;
  /** The cloud's job id (Huawei). */
  readonly jobId?: string;
  /**
   * `updatedAt`, status and image seen just before the call: a settled server whose `updatedAt` or status moved has done the step.
   * The image is kept for clouds that show no update time (JD), see `targetImageId`.
   */
  readonly baseline: OperationBaseline;
  /**
   * The image a reprovisioning step puts on the server, for clouds that write it only once the step ran (JD). A settled
   * server that has moved from the baseline's image to this one has done the step, even when no poll saw it busy (a run
   * that re-attached to an interrupted run's step).
   */
  readonly targetImageId?: string;
  /** True when the step finished synchronously (metadata): no polling needed. */
  readonly synchronous: boolean;
}

/** One operation a poll asks about, and what apply needs to know of it this time. */
export interface OperationQuery {
  readonly handle: OperationHandle;
  /**
   * Apply has not yet seen the cloud's record of this operation end (a Huawei job, a Nova instance action): read it
   * if the cloud keeps one and the server shows nothing under way (see `isStable`).
   */
  readonly readJob: boolean;
  /**
   * This poll can confirm the step done: its instance must be whole, as `listInstances` returns it (a cloud whose
   * status listing lacks metadata and user data reads them only then).
   */
  readonly complete: boolean;
}

/** The cloud's own record of an operation: a job (Huawei), an instance action (Nova). */
export type JobStatus =
  | { readonly type: "running"; readonly status: string }
  | { readonly type: "succeeded" }
  | { readonly type: "failed"; readonly message: string };

/** What one poll shows of one operation: facts, no verdict (apply decides, see src/apply/completion.ts). */
export interface OperationObservation {
  /** The server as listed now; undefined when the cloud no longer has it. */
  readonly instance: ObservedInstance | undefined;
  /** The cloud's record of the operation, when asked (`readJob`) and the cloud keeps one for it. */
  readonly job?: JobStatus;
}

/**
 * How apply tells that a step on this cloud is done: data the adapter declares, applied by apply alone. Every cloud
 * gets the same confirmation: a step that looks done (the server settled, the step's evidence seen, the job ended
 * well) is done once it has looked so on two polls in a row spanning `settleMs`.
 */
export interface OperationRules {
  /** A step that looks done must look so on polls spanning this long, and at least two: statuses can flap after an action. @default 0 */
  readonly settleMs?: number;
  /**
   * For clouds that show no update time (JD): a step whose server no poll saw busy is taken as having run after this
   * long (a reboot quicker than a poll). @default never: a moved update time, status or image, a busy poll or a job must show it
   */
  readonly graceMs?: number;
  /** A step not done this long after it was sent fails, whatever apply's timeout for the step. @default no limit */
  readonly maxMs?: number;
}

/** How often apply polls a provider, and how long a finished step must stay settled: the settings every provider entry may carry. */
export interface PollingSettings {
  /** @default 2000 */
  readonly pollIntervalMs: number;
  /** @default 0: two polls in a row */
  readonly settleMs: number;
}

/** `pollIntervalMs` and `settleMs` from a provider entry's options (validated by the schema), with their defaults. */
export function pollingSettings(options: Readonly<Record<string, unknown>> | undefined): PollingSettings {
  const interval = options?.["pollIntervalMs"];
  const settle = options?.["settleMs"];
  return {
    pollIntervalMs: typeof interval === "number" && interval > 0 ? interval : 2000,
    settleMs: typeof settle === "number" && settle >= 0 ? settle : 0,
  };
}
