import type { Step, StepKind } from "../model/action.js";
import type { DesiredInstance } from "../model/desired.js";
import type { InstanceResult, RestartOutcome } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import { isBusy } from "../model/observed.js";
import { effectivePower } from "../plan/facts.js";

type Failed = Extract<InstanceResult, { type: "failed" }>;

/** The step apply sends to start a server again: not in the plan, the same call as a planned start. */
export const RESTART_STEP: Step = { kind: "start", impact: "reboot", params: { reason: "prerequisite" } };

/**
 * Whether a server whose step failed is started again: it ran when its steps began, it is stopped now (settled), the
 * fleet file does not declare it `power: stopped`, and the failed step was not the start itself (sending it again would
 * meet the same refusal). Who stopped it does not matter: a planned `stop` (JD's stop → rebuild → start) or the cloud
 * (Huawei's `withStopServer`, whose failed job leaves the server SHUTOFF).
 */
export function needsRestart(input: {
  readonly before: ObservedInstance;
  readonly now: ObservedInstance;
  readonly desired: DesiredInstance;
  readonly failedStep: StepKind | undefined;
}): boolean {
  const { before, now, desired, failedStep } = input;
  if (failedStep === undefined || failedStep === "start") return false;
  if (desired.spec.power === "stopped") return false;
  if (before.status === "error" || effectivePower(before) !== "running") return false;
  return !isBusy(now) && now.status === "stopped";
}

/** The failure, with what became of the server after it: started again, or still stopped because the start failed too. */
export function withRestart(failed: Failed, restart: RestartOutcome): Failed {
  const after =
    restart.outcome === "started"
      ? "the server, running before and stopped by the failed sequence, was started again"
      : `the server, running before, is left stopped: starting it again failed too: ${restart.why}`;
  return { ...failed, why: `${failed.why}; ${after}`, restart };
}
