import type { Clock } from "../model/clock.js";
import { ReformError } from "../model/errors.js";
import type { OperationHandle, OperationStatus, ProviderAdapter } from "../model/provider.js";
import { formatDuration } from "./duration.js";

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
  /**
   * Adaptive polling: the wait before each poll is `fraction` × how long the oldest in-flight operation has run,
   * between `minIntervalMs` and `intervalMs`. An operation is then seen done at most ~`fraction` of its duration
   * late (a fixed 2 s interval makes a 2 s rebuild take up to 4 s), and long operations are polled every `intervalMs`.
   * Still one bulk read per poll, however many operations are in flight. @default undefined (fixed `intervalMs`)
   */
  readonly adaptive?: { readonly minIntervalMs: number; readonly fraction: number };
}

/** What apply uses when the interval is not set explicitly: a 2 s rebuild is seen done within ~0.2 s. */
export const ADAPTIVE_POLLING = { minIntervalMs: 200, fraction: 0.1 } as const;

/** The wait before the next poll (pure): fixed, or adaptive on the oldest operation's age. */
export function nextPollDelay(intervalMs: number, adaptive: PollerOptions["adaptive"], now: number, startedAt: readonly number[]): number {
  if (!adaptive || startedAt.length === 0) return intervalMs;
  let oldest = Infinity;
  for (const t of startedAt) oldest = Math.min(oldest, t);
  const wanted = adaptive.fraction * Math.max(0, now - oldest);
  return Math.min(intervalMs, Math.max(Math.min(adaptive.minIntervalMs, intervalMs), Math.round(wanted)));
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
        const startedAt = [...this.#waiters].map((w) => w.handle.startedAt);
        await clock.sleep(nextPollDelay(this.#options.intervalMs ?? 2000, this.#options.adaptive, clock.now(), startedAt), signal);
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
        const waited = formatDuration(now - waiter.handle.startedAt);
        waiter.reject(new ReformError("TIMEOUT", `${waiter.handle.step} timed out: not finished after ${waited} (limit ${formatDuration(waiter.timeoutMs)})${last}`));
      } else if (status) {
        waiter.onProgress?.(status.status);
      }
    }
  }
}
