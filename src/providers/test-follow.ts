import type { OperationHandle, OperationStatus, ProviderAdapter } from "../model/provider.js";

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
