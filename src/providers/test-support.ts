import type { Settled } from "../apply/poller.js";
import { OperationPoller } from "../apply/poller.js";
import type { Clock } from "../model/clock.js";
import type { OperationHandle } from "../model/operation.js";
import type { ProviderAdapter, ProviderRuntime } from "../model/provider.js";
import { systemClock } from "../runtime/clock.js";

/** For adapter tests: the runtime a provider factory gets, with these credentials and no files to read. */
export function testRuntime(env: Readonly<Record<string, string>>, clock: Clock = systemClock): ProviderRuntime {
  return { env, cwd: "/", homeDir: "/", readFile: () => Promise.reject(new Error("no files")), clock, warn: () => undefined };
}

/**
 * For adapter tests: follows one step as apply does (apply's poller and completion rules, a poll every 10 ms, for at
 * most 30 s) until it is done or failed. Returns how it ended and the statuses shown while it ran, each change once.
 */
export async function followStep(adapter: ProviderAdapter, handle: OperationHandle, signal: AbortSignal): Promise<{ final: Settled; shown: string[] }> {
  const shown: string[] = [];
  const poller = new OperationPoller(adapter, { clock: systemClock, intervalMs: 10, signal });
  const final = await poller.wait(handle, 30_000, (status) => {
    if (shown.at(-1) !== status) shown.push(status);
  });
  return { final, shown };
}
