import type { Clock } from "../model/clock.js";
import { ReformError } from "../model/errors.js";
import type { OperationHandle, OperationObservation } from "../model/operation.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { Tracking, Verdict } from "./completion.js";
import { NEW_TRACKING, judge, queryFor } from "./completion.js";
import { formatDuration } from "./duration.js";

/** How an operation ended: done (the server as last polled) or failed (the cloud's message). */
export type Settled = Extract<Verdict, { type: "done" | "failed" }>;

/** One operation being followed, with what apply remembers of it between polls. */
interface Waiter {
  readonly handle: OperationHandle;
  readonly deadline: number;
  /** The limit the deadline stands for: the step's timeout, or the provider's `maxMs` when that comes first. */
  readonly limitMs: number;
  readonly resolve: (status: Settled) => void;
  readonly reject: (error: unknown) => void;
  onProgress?: (status: string) => void;
  tracking: Tracking;
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
  /**
   * Confirmation polls: once a poll shows steps done, the poll that may confirm them (completion.ts: two polls in a
   * row spanning the provider's `settleMs`) is sent as soon as their run spans `settleMs` and at least this long, when
   * that comes before the next regular poll: a poll of just those operations, at most one between two regular polls
   * (so at most twice the polls per second, and no more requests per poll). Without it a step waits a whole interval
   * between looking done and being done. @default undefined (confirmed by the next regular poll)
   */
  readonly confirmAfterMs?: number;
}

/** What apply uses when the interval is not set explicitly: a 2 s rebuild is seen done within ~0.2 s. */
export const ADAPTIVE_POLLING = { minIntervalMs: 200, fraction: 0.1 } as const;

/**
 * What apply uses with adaptive polling: a step that looked done is confirmed by a poll sent 25 ms after the one that
 * showed it (or once its run spans `settleMs`, when that is longer), not one whole interval later. The wait is no part
 * of the flap protection (completion.ts: a toggle between the two polls moves the update time, and a cloud whose
 * servers flap for a while has a `settleMs`), nor of the bound on polls (one confirmation poll between two regular
 * polls); it keeps the two polls two looks some time apart, not back to back. Each millisecond of it is added to
 * every server's step, and at parallelism 500 to each wave of 500 (100 ms made 10,000 rebuilds 1.235× the ideal).
 */
export const CONFIRM_AFTER_MS = 25;

/** The wait before the next poll (pure): fixed, or adaptive on the oldest operation's age. */
export function nextPollDelay(
  intervalMs: number,
  adaptive: PollerOptions["adaptive"],
  now: number,
  startedAt: readonly number[],
): number {
  if (!adaptive || startedAt.length === 0) return intervalMs;
  let oldest = Infinity;
  for (const t of startedAt) oldest = Math.min(oldest, t);
  const wanted = adaptive.fraction * Math.max(0, now - oldest);
  return Math.min(intervalMs, Math.max(Math.min(adaptive.minIntervalMs, intervalMs), Math.round(wanted)));
}

/**
 * Follows every in-flight operation of one provider with ONE bulk read per interval, however many servers are in
 * flight (never one GET per server), and decides when each is done (completion.ts) from what the adapter shows.
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

  /**
   * Resolves when the operation is done or failed; rejects with a TIMEOUT error at the deadline: `timeoutMs` from now,
   * or the provider's `maxMs` after the step was sent when that comes first.
   */
  wait(handle: OperationHandle, timeoutMs: number, onProgress?: (status: string) => void): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      const now = this.#options.clock.now();
      const maxMs = this.#adapter.operationRules?.maxMs;
      const capped = maxMs !== undefined && handle.startedAt + maxMs < now + timeoutMs;
      const deadline = capped ? handle.startedAt + maxMs : now + timeoutMs;
      const waiter: Waiter = {
        handle,
        deadline,
        limitMs: capped ? maxMs : timeoutMs,
        resolve,
        reject,
        tracking: NEW_TRACKING,
      };
      if (onProgress) waiter.onProgress = onProgress;
      this.#waiters.add(waiter);
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const { clock, signal } = this.#options;
    try {
      // The wait runs from the start of the previous regular poll: a poll that takes a while (a large window's lists
      // and completion checks) does not push the next one further out. Never more than one poll in flight.
      let previous = clock.now();
      let confirmedSince = false;
      while (this.#waiters.size > 0) {
        const startedAt = [...this.#waiters].map((w) => w.handle.startedAt);
        const delay = nextPollDelay(this.#options.intervalMs ?? 2000, this.#options.adaptive, clock.now(), startedAt);
        const regularAt = previous + delay;
        const confirmAt = confirmedSince ? undefined : this.#confirmAt();
        if (confirmAt !== undefined && confirmAt < regularAt) {
          await clock.sleep(Math.max(0, confirmAt - clock.now()), signal);
          confirmedSince = true;
          const now = clock.now();
          await this.#pollOnce([...this.#waiters].filter((w) => (this.#confirmableAt(w) ?? Infinity) <= now));
          continue;
        }
        await clock.sleep(Math.max(0, regularAt - clock.now()), signal);
        previous = clock.now();
        confirmedSince = false;
        await this.#pollOnce([...this.#waiters]);
      }
    } catch (error) {
      for (const waiter of this.#waiters) waiter.reject(error);
      this.#waiters.clear();
    } finally {
      this.#running = false;
    }
  }

  /** When the earliest step that looked done may be confirmed by a confirmation poll; undefined without one. */
  #confirmAt(): number | undefined {
    let earliest: number | undefined;
    for (const waiter of this.#waiters) {
      const at = this.#confirmableAt(waiter);
      if (at !== undefined) earliest = Math.min(earliest ?? at, at);
    }
    return earliest;
  }

  /** From when a confirmation poll may confirm this step: its run of polls that showed it done spans long enough. */
  #confirmableAt(waiter: Waiter): number | undefined {
    const after = this.#options.confirmAfterMs;
    const run = waiter.tracking.settle;
    if (after === undefined || run === undefined) return undefined;
    return run.since + Math.max(this.#adapter.operationRules?.settleMs ?? 0, after);
  }

  async #pollOnce(waiters: readonly Waiter[]): Promise<void> {
    if (waiters.length === 0) return;
    const rules = this.#adapter.operationRules ?? {};
    const sentAt = this.#options.clock.now();
    const seen = await this.#observe(waiters.map((w) => queryFor(w.handle, w.tracking, rules, sentAt)));
    const now = this.#options.clock.now();
    for (const [index, waiter] of waiters.entries()) {
      const observation = seen?.[index];
      const judged = observation
        ? judge(waiter.handle, observation, waiter.tracking, rules, { sentAt, answeredAt: now })
        : undefined;
      if (judged) waiter.tracking = judged.tracking;
      const verdict = judged?.verdict;
      if (verdict && verdict.type !== "running") {
        this.#waiters.delete(waiter);
        waiter.resolve(verdict);
      } else if (now >= waiter.deadline) {
        this.#waiters.delete(waiter);
        const last = verdict ? `; last status ${verdict.status}` : "";
        const waited = formatDuration(now - waiter.handle.startedAt);
        waiter.reject(
          new ReformError(
            "TIMEOUT",
            `${waiter.handle.step} timed out: not finished after ${waited} (limit ${formatDuration(waiter.limitMs)})${last}`,
          ),
        );
      } else if (verdict) {
        waiter.onProgress?.(verdict.status);
      }
    }
  }

  /** One bulk poll; undefined when it failed (reported, and the next poll tries again) or answered out of turn. */
  async #observe(
    queries: Parameters<ProviderAdapter["pollOperations"]>[0],
  ): Promise<readonly OperationObservation[] | undefined> {
    try {
      this.polls += 1;
      const seen = await this.#adapter.pollOperations(queries, this.#options.signal);
      if (seen.length === queries.length) return seen;
      this.#options.onError?.(
        new TypeError(
          `provider ${this.#adapter.name} answered a poll of ${queries.length} operations with ${seen.length} observations`,
        ),
      );
    } catch (error) {
      if (this.#options.signal.aborted) throw error;
      this.#options.onError?.(error);
    }
    return undefined;
  }
}
