import type { ApplyEvent, Reporter } from "../../model/events.js";
import type { Clock } from "../../model/clock.js";
import { formatDuration } from "../../apply/duration.js";

/** One timestamped line per event: for CI logs and any output that is not a terminal. */
export function createPlainReporter(write: (line: string) => void, clock: Clock): Reporter {
  return {
    report(event: ApplyEvent) {
      const text = describeEvent(event);
      if (text !== undefined) write(`${new Date(clock.now()).toISOString()} ${text}\n`);
    },
  };
}

export function describeEvent(event: ApplyEvent): string | undefined {
  switch (event.type) {
    case "apply-started":
      return `apply: ${event.instances} server${event.instances === 1 ? "" : "s"} to change`;
    case "batch-started":
      return `batch ${event.batch}: ${event.addresses.join(", ")}`;
    case "step-started":
      return `${event.address}: ${event.step} started${event.requestId ? ` (request ${event.requestId})` : ""}`;
    case "step-finished":
      return `${event.address}: ${event.step} finished`;
    case "waiting":
      return undefined;
    case "verifying":
      return `${event.address}: verifying`;
    case "restarting":
      return `${event.address}: ${event.failedStep} failed with the server stopped; it was running before: starting it again`;
    case "instance-done":
      switch (event.result.type) {
        case "converged":
          return `${event.address}: converged`;
        case "failed":
          return `${event.address}: FAILED: ${event.result.why}`;
        case "skipped":
          return `${event.address}: skipped: ${event.result.why}`;
        case "rolled-back":
          return `${event.address}: rolled back`;
      }
      return undefined;
    case "warning":
      return `warning: ${event.message}`;
    case "rolling-back":
      return `rolling back ${event.addresses.length} server${event.addresses.length === 1 ? "" : "s"} (${event.addresses.join(", ")}): ${event.reason}`;
    case "baking":
      return `group ${event.group}: checkpoint ${event.through}/${event.size} reached: baking ${formatDuration(event.bakeMs)}, re-checking the gates of ${event.servers} changed server${event.servers === 1 ? "" : "s"}`;
    case "unhealthy":
      return `${event.address}: UNHEALTHY while baking: ${event.why}`;
    case "reattaching":
    case "reattached":
      return event.message;
  }
}
