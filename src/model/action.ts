import type { PowerState, RebootType } from "./desired.js";

/** What a step costs the server. `reprovision`: the root disk is wiped and re-created (or the root volume re-imaged). */
export type Impact = "none" | "reboot" | "reprovision";

/** Impacts ranked from harmless to worst, for `worstImpact`. */
export const IMPACT_RANK: Readonly<Record<Impact, number>> = { none: 0, reboot: 1, reprovision: 2 };

/** The worst impact of several steps: what a server's change costs as a whole. */
export function worstImpact(impacts: Iterable<Impact>): Impact {
  let worst: Impact = "none";
  for (const impact of impacts) if (IMPACT_RANK[impact] > IMPACT_RANK[worst]) worst = impact;
  return worst;
}

/** A closed set: every step apply can execute. */
export type StepKind = "stop" | "rebuild" | "reinstall" | "changeos" | "reboot" | "update-metadata" | "start";

/** The complete metadata a step writes, computed by the planner so adapters never merge. */
export interface MetadataTarget {
  /** Keys to create or change (managed keys and annotations). */
  readonly set: Readonly<Record<string, string>>;
  /** Keys to delete. */
  readonly remove: readonly string[];
  /** The whole resulting user-visible map (unmanaged keys kept, annotations included, system keys excluded): what a replace-all API must send. */
  readonly full: Readonly<Record<string, string>>;
}

/**
 * Parameters of a reprovisioning step. Values that are secrets or may be sensitive are not here:
 * user_data goes by digest and the password by reference; apply takes the content from the desired spec.
 */
export interface ReprovisionParams {
  readonly imageId: string;
  /** undefined: leave as is; null: remove. */
  readonly keyPair?: string | null;
  /** undefined: leave as is; null: remove; string: sha256 of the content to send. */
  readonly userDataSha256?: string | null;
  readonly metadata: MetadataTarget;
  /** The server was stopped and should stay stopped after the step (clouds that leave it running need a stop). */
  readonly keepStopped: boolean;
  /** Provider-specific API variant chosen by the planner from capabilities (e.g. Huawei "v1" | "v2"); shown in reasons. */
  readonly variant?: string;
  /** The server boots from this volume: the step re-images it (its data is lost), and its image is read back from it. */
  readonly rootVolumeId?: string;
}

/**
 * One call apply makes on a server, with what it costs and all it needs: the planner computes the parameters (the
 * whole metadata target, the managed key pair and user_data digest), so adapters only translate.
 */
export type Step =
  | {
      readonly kind: "rebuild" | "reinstall" | "changeos";
      readonly impact: "reprovision";
      readonly params: ReprovisionParams;
    }
  | {
      readonly kind: "reboot";
      readonly impact: "reboot";
      readonly params: { readonly type: RebootType; readonly metadata?: MetadataTarget };
    }
  | {
      readonly kind: "update-metadata";
      readonly impact: "none";
      readonly params: { readonly metadata: MetadataTarget };
    }
  | { readonly kind: "stop"; readonly impact: "reboot"; readonly params: { readonly reason: "power" | "prerequisite" } }
  | {
      readonly kind: "start";
      readonly impact: "reboot";
      readonly params: { readonly reason: "power" | "prerequisite" };
    };

/** One per server: for the summary line, colours and exit codes. Ordered by how much it does. */
export type Action =
  | "no-op"
  | "adopt"
  | "update-metadata"
  | "start"
  | "stop"
  | "reboot"
  | "reinstall"
  | "rebuild"
  | "wait"
  | "unsupported"
  | "error";

/** Every action, most significant first: the action of several steps is the first of theirs here. */
export const ACTIONS: readonly Action[] = [
  "rebuild",
  "reinstall",
  "reboot",
  "stop",
  "start",
  "update-metadata",
  "adopt",
  "wait",
  "unsupported",
  "error",
  "no-op",
];

/** Actions that have steps for apply to execute. */
export function isExecutable(action: Action): boolean {
  switch (action) {
    case "adopt":
    case "update-metadata":
    case "start":
    case "stop":
    case "reboot":
    case "reinstall":
    case "rebuild":
      return true;
    case "no-op":
    case "wait":
    case "unsupported":
    case "error":
      return false;
  }
}

/** The power state a server is in after its steps, given where it started. */
export function powerAfter(steps: readonly Step[], before: PowerState): PowerState {
  let power = before;
  for (const step of steps) {
    if (step.kind === "stop") power = "stopped";
    else if (step.kind === "start") power = "running";
  }
  return power;
}

/** A step that wipes and re-creates the root disk (rebuild, reinstall, changeos). */
export type ReprovisionStep = Extract<Step, { readonly impact: "reprovision" }>;

/** Whether a step reprovisions the server. */
export function isReprovisionStep(step: Step): step is ReprovisionStep {
  return step.kind === "rebuild" || step.kind === "reinstall" || step.kind === "changeos";
}
