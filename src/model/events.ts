import type { InstanceAddress } from "./address.js";
import type { StepKind } from "./action.js";

/** How one server ended: converged (verified), failed (why, and where the cloud said it) or skipped (why). */
export type InstanceResult =
  | { readonly type: "converged" }
  | {
      readonly type: "failed";
      readonly why: string;
      readonly step?: StepKind;
      readonly requestId?: string;
      /** The server had been running, a failed step left it stopped, and apply started it again. @default none: nothing to restart */
      readonly restart?: RestartOutcome;
    }
  | { readonly type: "skipped"; readonly why: string }
  /** The server was taken back to its before-state after the rollout halted (`onFailure: rollback`). */
  | {
      readonly type: "rolled-back";
      /** What triggered the rollback (the same for every server of the run). */
      readonly why: string;
      /** How the server's change ended before the rollback: `converged`, or `failed: <why>`. */
      readonly forward: string;
      /** The rollback's steps (none when the server was already as it was). */
      readonly steps: readonly StepKind[];
      /** What of the before-state could not be restored, each said with why. @default nothing */
      readonly notRestored: readonly string[];
    };

/** How starting a server again after a failed step went (`why` says how it failed). */
export type RestartOutcome = { readonly outcome: "started" } | { readonly outcome: "failed"; readonly why: string };

/** Progress of an apply, sent to the Reporter as it happens. */
export type ApplyEvent =
  | { readonly type: "apply-started"; readonly instances: number; readonly batches: number }
  | { readonly type: "batch-started"; readonly batch: number; readonly addresses: readonly InstanceAddress[] }
  | {
      readonly type: "step-started";
      readonly address: InstanceAddress;
      readonly step: StepKind;
      readonly requestId?: string;
    }
  | { readonly type: "step-finished"; readonly address: InstanceAddress; readonly step: StepKind }
  | { readonly type: "waiting"; readonly address: InstanceAddress; readonly status: string }
  | { readonly type: "verifying"; readonly address: InstanceAddress }
  /** A step failed after the server, running before, was stopped: apply starts it again. */
  | { readonly type: "restarting"; readonly address: InstanceAddress; readonly failedStep: StepKind }
  | { readonly type: "instance-done"; readonly address: InstanceAddress; readonly result: InstanceResult }
  | { readonly type: "warning"; readonly message: string }
  /** The rollout halted under `onFailure: rollback` (or `apply --rollback`): these servers are taken back, for this reason. */
  | { readonly type: "rolling-back"; readonly reason: string; readonly addresses: readonly InstanceAddress[] }
  /** A checkpoint was reached: `through` of the group's `size` servers finished; the gates of `servers` are re-run while it bakes. */
  | {
      readonly type: "baking";
      readonly group: string;
      readonly through: number;
      readonly size: number;
      readonly servers: number;
      readonly bakeMs: number;
    }
  /** A server that had converged failed its gate while a checkpoint baked. */
  | { readonly type: "unhealthy"; readonly address: InstanceAddress; readonly why: string }
  /** apply follows a step an interrupted run started and never saw finish; `message` says which, for people. */
  | {
      readonly type: "reattaching";
      readonly address: InstanceAddress;
      readonly step: StepKind;
      readonly message: string;
    }
  /** A re-attached step ended well (finished, or nothing to follow): news, not a warning (those are `warning` events). */
  | {
      readonly type: "reattached";
      readonly address: InstanceAddress;
      readonly step: StepKind;
      readonly message: string;
    };

/** The library never prints: progress goes to a Reporter the caller chose. */
export interface Reporter {
  report(event: ApplyEvent): void;
}

/** A Reporter that drops every event. */
export const silentReporter: Reporter = { report: () => undefined };
