import type { Settled } from "../apply/poller.js";
import { OperationPoller } from "../apply/poller.js";
import type { Step } from "../model/action.js";
import type { Clock } from "../model/clock.js";
import type { ObservedInstance } from "../model/observed.js";
import type { OperationHandle } from "../model/operation.js";
import type { ProviderAdapter, ProviderRuntime, StepInputs } from "../model/provider.js";
import { systemClock } from "../runtime/clock.js";

/** For adapter tests: the runtime a provider factory gets, with these credentials and no files to read. */
export function testRuntime(env: Readonly<Record<string, string>>, clock: Clock = systemClock): ProviderRuntime {
  return {
    env,
    cwd: "/",
    homeDir: "/",
    readFile: () => Promise.reject(new Error("no files")),
    clock,
    warn: () => undefined,
  };
}

/**
 * For adapter tests: follows one step as apply does (apply's poller and completion rules, a poll every 10 ms, for at
 * most 30 s) until it is done or failed. Returns how it ended and the statuses shown while it ran, each change once.
 */
export async function followStep(
  adapter: ProviderAdapter,
  handle: OperationHandle,
  signal: AbortSignal,
): Promise<{ final: Settled; shown: string[] }> {
  const shown: string[] = [];
  const poller = new OperationPoller(adapter, { clock: systemClock, intervalMs: 10, signal });
  const final = await poller.wait(handle, 30_000, (status) => {
    if (shown.at(-1) !== status) shown.push(status);
  });
  return { final, shown };
}

/** For flap tests: the power steps, in the order they can run on one server. */
export const REBOOT_STOP_START: readonly Step[] = [
  { kind: "reboot", impact: "reboot", params: { type: "SOFT" } },
  { kind: "stop", impact: "reboot", params: { reason: "prerequisite" } },
  { kind: "start", impact: "reboot", params: { reason: "prerequisite" } },
];

/**
 * For adapter tests: sends each step in turn to the server as `current` reads it then, follows it as apply does
 * (`followStep`) and hands how it ended to `check` before the next.
 */
export async function followSteps(
  adapter: ProviderAdapter,
  current: () => Promise<ObservedInstance>,
  steps: readonly Step[],
  check: (run: { final: Settled; shown: string[] }) => void,
  signal: AbortSignal,
  inputs: StepInputs = {},
): Promise<void> {
  for (const step of steps) {
    const handle = await adapter.startStep({ instance: await current(), step, inputs }, signal);
    check(await followStep(adapter, handle, signal));
  }
}
