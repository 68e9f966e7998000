import type { Clock } from "../model/clock.js";
import type { OperationHandle, OperationStatus, ProviderAdapter, ProviderRuntime } from "../model/provider.js";
import { systemClock } from "../runtime/clock.js";

/** For adapter tests: the runtime a provider factory gets, with these credentials and no files to read. */
export function testRuntime(env: Readonly<Record<string, string>>, clock: Clock = systemClock): ProviderRuntime {
  return { env, cwd: "/", homeDir: "/", readFile: () => Promise.reject(new Error("no files")), clock, warn: () => undefined };
}

/**
 * For adapter tests: polls one step as apply does (every 10 ms, at most 300 polls) until it is done or failed.
 * Returns the final status and the statuses shown while it ran, each change once.
 */
export async function followStep(adapter: ProviderAdapter, handle: OperationHandle, signal: AbortSignal): Promise<{ final: OperationStatus; shown: string[] }> {
  const shown: string[] = [];
  for (let polls = 0; polls < 300; polls++) {
    const [status] = await adapter.pollOperations([handle], signal);
    if (status && status.type !== "running") return { final: status, shown };
    if (status && shown.at(-1) !== status.status) shown.push(status.status);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the step never ended");
}
