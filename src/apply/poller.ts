import type { Clock } from "../model/clock.js";
import { ReformError } from "../model/errors.js";
import type { OperationHandle, OperationStatus, ProviderAdapter } from "../model/provider.js";

type Settled = Extract<OperationStatus, { type: "done" | "failed" }>;

interface Waiter {
  readonly handle: OperationHandle;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly resolve: (status: Settled) => void;
  readonly reject: (error: unknown) => void;
  onProgress?: (status: string) => void;
}

export interface PollerOptions {
  readonly clock: Clock;
  /** Time between bulk polls. @default 2000 */
  readonly intervalMs?: number;
  readonly signal: AbortSignal;
  /** Called when a poll fails; polling goes on until each operation's deadline. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Follows every in-flight operation of one provider with ONE bulk read per interval,
 * however many servers are in flight (never one GET per server).
 */
export class OperationPoller {
  readonly #adapter: ProviderAdapter;
  readonly #options: PollerOptions;
  readonly #waiters = new Set<Waiter>();
  #running = false;
  /** Bulk poll requests sent: for tests and benchmarks. */
  polls = 0;

  constructor(adapter: ProviderAdapter, options: PollerOptions) {
    this.#adapter = adapter;
    this.#options = options;
  }

  /** Resolves when the operation is done or failed; rejects with a TIMEOUT error at the deadline. */
  wait(handle: OperationHandle, timeoutMs: number, onProgress?: (status: string) => void): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      const waiter: Waiter = { handle, deadline: this.#options.clock.now() + timeoutMs, timeoutMs, resolve, reject };
      if (onProgress) waiter.onProgress = onProgress;
      this.#waiters.add(waiter);
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const { clock, signal } = this.#options;
    try {
      while (this.#waiters.size > 0) {
        await clock.sleep(this.#options.intervalMs ?? 2000, signal);
        await this.#pollOnce();
      }
    } catch (error) {
      for (const waiter of this.#waiters) waiter.reject(error);
      this.#waiters.clear();
    } finally {
      this.#running = false;
    }
  }

  async #pollOnce(): Promise<void> {
    const waiters = [...this.#waiters];
    if (waiters.length === 0) return;
    let statuses: readonly OperationStatus[] = [];
    try {
      this.polls += 1;
      statuses = await this.#adapter.pollOperations(waiters.map((w) => w.handle), this.#options.signal);
    } catch (error) {
      if (this.#options.signal.aborted) throw error;
      this.#options.onError?.(error);
    }
    const byHandle = new Map(statuses.map((s) => [s.handle, s]));
    const now = this.#options.clock.now();
    for (const waiter of waiters) {
      const status = byHandle.get(waiter.handle);
      if (status && status.type !== "running") {
        this.#waiters.delete(waiter);
        waiter.resolve(status);
      } else if (now >= waiter.deadline) {
        this.#waiters.delete(waiter);
        const last = status ? `; last status ${status.status}` : "";
        waiter.reject(new ReformError("TIMEOUT", `${waiter.handle.step} did not finish within ${Math.round(waiter.timeoutMs / 1000)} s${last}`));
      } else if (status) {
        waiter.onProgress?.(status.status);
      }
    }
  }
}
