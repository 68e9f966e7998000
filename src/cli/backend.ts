import { hostname, userInfo } from "node:os";
import { canonicalJson, sha256Hex } from "../model/canonical-json.js";
import type { DesiredFleet } from "../model/desired.js";
import type { RunIdentity } from "../model/history.js";
import type { Plan } from "../model/plan.js";
import { toPlanDocument } from "../render/plan-document.js";
import type { Backend, LockedScope } from "../runtime/backend.js";
import { backendUrl, openBackend } from "../runtime/backend.js";
import { runIdentity } from "../runtime/identity.js";
import { VERSION } from "../version.js";
import type { CliIo } from "./io.js";

/** What chooses the backend and how long to wait for its lock: the pipeline's options, never the fleet file's. */
export interface BackendOptions {
  /** `--backend URL` (over REFORM_BACKEND). @default file: */
  readonly backend?: string;
  /** `--lock-timeout DURATION` in ms. @default 0: refused at once */
  readonly lockTimeout?: number;
}

/** This run, as the lock's holder and the history name it. */
export function identityOf(io: CliIo): RunIdentity {
  let user = io.env["USER"] ?? io.env["LOGNAME"] ?? "";
  if (user === "") {
    try {
      user = userInfo().username;
    } catch {
      user = "unknown";
    }
  }
  return runIdentity(io.env, hostname(), user);
}

/** Opens the backend the pipeline chose (connecting to a database now, before any cloud is contacted). */
export function openChosenBackend(
  io: CliIo,
  fleet: Pick<DesiredFleet, "journal">,
  options: BackendOptions,
): Promise<Backend> {
  return openBackend(backendUrl(options.backend, io.env), {
    journalPath: fleet.journal,
    env: io.env,
    identity: identityOf(io),
    now: () => io.clock.now(),
    sleep: (ms) => io.clock.sleep(ms),
  });
}

/**
 * Runs `body` holding the lock of the fleet's providers on the chosen backend, taken before any cloud is contacted:
 * a second apply on the same scope is refused at once (naming the holder), or waits up to `--lock-timeout`.
 */
export async function withBackendLock<T>(
  io: CliIo,
  fleet: Pick<DesiredFleet, "journal" | "providers">,
  options: BackendOptions,
  body: (scope: LockedScope) => Promise<T>,
): Promise<T> {
  const backend = await openChosenBackend(io, fleet, options);
  try {
    const scope = await backend.lock(
      fleet.providers.map((p) => p.name),
      options.lockTimeout ?? 0,
    );
    try {
      return await body(scope);
    } finally {
      await scope.release();
    }
  } finally {
    await backend.close();
  }
}

/** The digest history records for the plan that was executed: sha256 of its canonical plan document. */
export function planDigest(plan: Plan): string {
  return `sha256:${sha256Hex(canonicalJson(toPlanDocument(plan)))}`;
}

export { VERSION as REFORM_VERSION };
