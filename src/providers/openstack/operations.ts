import type { MetadataTarget, Step } from "../../model/action.js";
import type { Clock } from "../../model/clock.js";
import { AmbiguousError, CloudError, ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import { isStable } from "../../model/observed.js";
import type { JobStatus, OperationHandle, OperationQuery } from "../../model/operation.js";
import type { StepInputs } from "../../model/provider.js";
import type { NovaClient, NovaInstanceAction } from "./nova.js";
import type { NovaServer } from "./normalize.js";

/** How a busy server (409) is waited out before the POST is sent again. */
export interface ConflictPolicy {
  /** @default 6 */
  readonly maxRetries: number;
  /** Delay before retry n (0-based) is delayMs × 2^n, capped at 30 s. @default 2000 */
  readonly delayMs: number;
}

export const DEFAULT_CONFLICT_POLICY: ConflictPolicy = { maxRetries: 6, delayMs: 2000 };

/** The body of `POST /servers/{id}/action` for a step. Only rebuild, reboot, stop and start exist on Nova. */
export function actionBody(step: Step, inputs: StepInputs): Record<string, unknown> {
  switch (step.kind) {
    case "rebuild": {
      const p = step.params;
      const rebuild: Record<string, unknown> = { imageRef: p.imageId, metadata: p.metadata.full };
      if (p.keyPair !== undefined) rebuild["key_name"] = p.keyPair;
      if (p.userDataSha256 !== undefined) rebuild["user_data"] = encodeUserData(p.userDataSha256, inputs.userData);
      if (inputs.password) rebuild["adminPass"] = inputs.password.reveal();
      return { rebuild };
    }
    case "reboot":
      return { reboot: { type: step.params.type } };
    case "stop":
      return { "os-stop": null };
    case "start":
      return { "os-start": null };
    case "reinstall":
    case "changeos":
    case "update-metadata":
      throw new TypeError(`step ${step.kind} is not a Nova server action`);
  }
}

function encodeUserData(sha: string | null, content: string | null | undefined): string | null {
  if (sha === null) return null;
  if (typeof content !== "string")
    throw new TypeError("the rebuild sets user_data but apply passed no user_data content");
  return Buffer.from(content, "utf8").toString("base64");
}

/** Task states that show a step is running on the server. */
const STEP_TASKS: Readonly<Record<string, RegExp>> = {
  rebuild: /^rebuild/,
  reboot: /^reboot/,
  stop: /^powering-off$/,
  start: /^powering-on$/,
};

/** After an ambiguous POST: did Nova take it? (task_state shows the step, or `updated` moved.) */
export function looksAccepted(server: NovaServer | undefined, step: Step["kind"], baselineUpdated: string): boolean {
  if (!server) return false;
  const task = server["OS-EXT-STS:task_state"];
  if (typeof task === "string" && STEP_TASKS[step]?.test(task)) return true;
  const status = (server.status ?? "").toUpperCase();
  if (
    (step === "rebuild" && status === "REBUILD") ||
    (step === "reboot" && (status === "REBOOT" || status === "HARD_REBOOT"))
  )
    return true;
  return server.updated !== undefined && server.updated !== baselineUpdated;
}

export interface StartDeps {
  readonly nova: NovaClient;
  readonly clock: Clock;
  readonly conflict: ConflictPolicy;
}

/**
 * Sends an action. 409 (busy) is waited out and re-sent (Nova refused it, so that is safe). After an ambiguous failure
 * or a 5xx, the server is read once: if it shows the step, the handle is returned as if accepted; else the error is thrown.
 */
export async function startAction(
  deps: StartDeps,
  instance: ObservedInstance,
  step: Step,
  body: Record<string, unknown>,
  signal: AbortSignal,
): Promise<OperationHandle> {
  const startedAt = deps.clock.now();
  const handle = (requestId: string | undefined): OperationHandle => ({
    instanceId: instance.id,
    step: step.kind,
    startedAt,
    ...(requestId ? { requestId } : {}),
    baseline: { updatedAt: instance.updatedAt, status: instance.rawStatus },
    synchronous: false,
  });
  for (let retry = 0; ; retry++) {
    try {
      const res = await deps.nova.action(instance.id, body, signal);
      return handle(res.requestId);
    } catch (error) {
      if (isConflict(error) && retry < deps.conflict.maxRetries) {
        await deps.clock.sleep(Math.min(30_000, deps.conflict.delayMs * 2 ** retry), signal);
        // Busy although apply just saw it settled: another operation (a racing pipeline) got there first.
        // Re-send only if the server is still as apply checked it, else the step would run twice.
        const now = await deps.nova.getServer(instance.id, signal);
        if (now?.updated !== undefined && now.updated !== instance.updatedAt) {
          throw new ReformError(
            "PLAN_STALE",
            `the server changed while ${step.kind} waited out a 409 (another operation ran on it): not sent again, so it is never done twice; run plan again`,
          );
        }
        continue;
      }
      if (!(error instanceof AmbiguousError) && !isServerError(error)) throw error;
      const server = await deps.nova.getServer(instance.id, signal);
      if (looksAccepted(server, step.kind, instance.updatedAt))
        return handle(error instanceof CloudError ? error.details.requestId : undefined);
      throw error;
    }
  }
}

function isConflict(error: unknown): boolean {
  return error instanceof CloudError && error.details.status === 409 && !/locked/i.test(error.details.cloudMessage);
}

function isServerError(error: unknown): boolean {
  return error instanceof CloudError && (error.details.status ?? 0) >= 500;
}

/** update-metadata: merge the set keys, then delete the removed ones (404 is fine). Synchronous. */
export async function writeMetadata(
  nova: NovaClient,
  instanceId: string,
  target: MetadataTarget,
  signal: AbortSignal,
): Promise<string | undefined> {
  let requestId: string | undefined;
  if (Object.keys(target.set).length > 0)
    requestId = (await nova.mergeMetadata(instanceId, target.set, signal)).requestId;
  for (const key of target.remove) await nova.deleteMetadataKey(instanceId, key, signal);
  return requestId;
}

/**
 * The rebuild whose instance action this poll reads, if any: apply asks (`readJob`) and this poll can confirm the step
 * (`complete`: the server looked done on the polls before). It is read alongside the poll's listing, not after it, so
 * the confirming poll takes no longer for it; it counts only if that listing still shows the server settled
 * (`actionCounts`). Nova writes a rebuild's fields before it runs and keeps them when it fails and rolls the server
 * back (InstanceFaultRollback): then only the action tells.
 */
export function actionToRead(query: OperationQuery): string | undefined {
  const { handle } = query;
  if (!query.readJob || !query.complete || handle.step !== "rebuild") return undefined;
  return handle.requestId;
}

/** Whether a rebuild's instance action speaks for the server as listed: settled ACTIVE or SHUTOFF, `updated` moved (an ERROR server says it itself). */
export function actionCounts(handle: OperationHandle, instance: ObservedInstance): boolean {
  return isStable(instance) && instance.status !== "error" && instance.updatedAt !== handle.baseline.updatedAt;
}

/**
 * What Nova's instance action says of a settled rebuild: failed when its `message` is set ("Error"), with the failed
 * events; else it ended well as far as Nova says. Unknown to Nova (404): no record, the settled server decides.
 */
export function actionStatus(
  handle: OperationHandle,
  instance: ObservedInstance,
  action: NovaInstanceAction | undefined,
): JobStatus | undefined {
  if (!action) return undefined;
  if (action.message === null || action.message === undefined) return { type: "succeeded" };
  const failedEvents = (action.events ?? [])
    .filter((e) => e.result && e.result !== "Success")
    .map((e) => `${e.event ?? "?"}: ${e.result ?? "?"}`);
  const detail = failedEvents.length > 0 ? ` (${failedEvents.join(", ")})` : "";
  return {
    type: "failed",
    message: `Nova's instance action ${handle.requestId ?? ""} for this ${action.action ?? handle.step} ended with "${action.message}"${detail}, though the server settled ${instance.rawStatus}: its image, key pair, metadata and user_data may show the new values without the rebuild having run`,
  };
}
