import { Listr } from "listr2";
import type { ListrTaskWrapper, ListrDefaultRenderer, ListrSimpleRenderer } from "listr2";
import type { InstanceAddress } from "../../model/address.js";
import type { ApplyEvent, Reporter } from "../../model/events.js";

type TaskWrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface Slot {
  task?: TaskWrapper;
  resolve?: () => void;
  reject?: (error: Error) => void;
  pending?: ApplyEvent[];
}

/**
 * A live task list on a terminal: one line per server with its current step, driven by apply's events.
 * `run()` resolves when every server is done.
 */
export function createListrReporter(addresses: readonly InstanceAddress[]): Reporter & { run(): Promise<void> } {
  const slots = new Map<InstanceAddress, Slot>(addresses.map((a) => [a, {}]));
  const list = new Listr(
    addresses.map((address) => ({
      title: address,
      task: (_ctx: unknown, task: TaskWrapper) =>
        new Promise<void>((resolve, reject) => {
          const slot = slots.get(address) ?? {};
          Object.assign(slot, { task, resolve, reject });
          for (const event of slot.pending ?? []) apply(slot, event);
          slot.pending = [];
        }),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      collectErrors: false,
      rendererOptions: { collapseErrors: false },
    },
  );
  return {
    report(event) {
      if (!("address" in event)) return;
      const slot = slots.get(event.address);
      if (!slot) return;
      if (slot.task) apply(slot, event);
      else (slot.pending ??= []).push(event);
    },
    async run() {
      await list.run().catch(() => undefined);
    },
  };
}

function apply(slot: Slot, event: ApplyEvent): void {
  const task = slot.task;
  if (!task) return;
  switch (event.type) {
    case "step-started":
      task.output = `${event.step}…${event.requestId ? ` (${event.requestId})` : ""}`;
      return;
    case "waiting":
      task.output = `waiting: ${event.status}`;
      return;
    case "verifying":
      task.output = "verifying";
      return;
    case "restarting":
      task.output = `${event.failedStep} failed: starting the server again…`;
      return;
    case "reattaching":
    case "reattached":
      task.output = event.message;
      return;
    case "instance-done":
      if (event.result.type === "converged") slot.resolve?.();
      else if (event.result.type === "skipped") {
        task.skip(`${event.address}: skipped: ${event.result.why}`);
        slot.resolve?.();
      } else slot.reject?.(new Error(event.result.why));
      return;
    default:
      return;
  }
}
