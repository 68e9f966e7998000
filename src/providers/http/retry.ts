/** How reads (and refused mutations) are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included, counting failures (5xx, no answer); throttling has its own budget. @default 5 */
  readonly maxAttempts: number;
  /**
   * Attempts a call may spend on 429 (throttled) answers. Throttling says "later", not "broken": a gateway under a
   * burst answers 429 several times in a row, and a whole plan should not fail on it. Still bounded by `maxTotalMs`. @default 12
   */
  readonly maxThrottledAttempts: number;
  /** Backoff base: the cap of the first delay. @default 500 */
  readonly baseDelayMs: number;
  /** Largest backoff delay (and largest honoured Retry-After). @default 30000 */
  readonly maxDelayMs: number;
  /** No retry starts when it would end later than this after the first attempt. @default 120000 */
  readonly maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxThrottledAttempts: 12,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalMs: 120_000,
};

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniform delay in [0, min(max, base * 2^retry)).
 * `retry` counts from 0 for the first retry. A server's Retry-After wins over the jitter, capped at `maxDelayMs`.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * Parses a Retry-After value: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent or unparsable.
 * `now` is the caller's clock, in ms since the epoch.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Statuses a read retries: server-side trouble (5xx, except 501 Not Implemented, which will not change) and throttling. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}
