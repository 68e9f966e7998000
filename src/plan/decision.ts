import type { Action, Reason, Step } from "../model/index.js";
import { ACTIONS } from "../model/index.js";

/** What the rules decided for one server. */
export interface Decision {
  readonly action: Action;
  readonly steps: readonly Step[];
  readonly reasons: readonly Reason[];
}

export function unsupported(reasons: readonly Reason[]): Decision {
  return { action: "unsupported", steps: [], reasons };
}

const STEP_ACTION: Readonly<Record<Step["kind"], Action>> = {
  rebuild: "rebuild",
  changeos: "rebuild",
  reinstall: "reinstall",
  reboot: "reboot",
  stop: "stop",
  start: "start",
  "update-metadata": "update-metadata",
};

/** The most significant step names the action (ACTIONS is ordered most significant first). */
export function actionOf(steps: readonly Step[]): Action {
  let best: Action = "no-op";
  for (const step of steps) {
    const action = STEP_ACTION[step.kind];
    if (best === "no-op" || ACTIONS.indexOf(action) < ACTIONS.indexOf(best)) best = action;
  }
  return best;
}
