import type { Clock } from "../model/clock.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ProviderAdapter } from "../model/provider.js";

/**
 * How long a read waits for others to share its bulk list call. The servers a poll finishes free their slots at once,
 * and the fingerprint reads of the servers that take them arrive together, well within it; each of those servers
 * waits it before its step is sent. At most 200 bulk reads a second, whatever N.
 */
export const READ_WINDOW_MS = 5;

/**
 * Fresh reads of single servers (fingerprint checks, verification), coalesced: requests that arrive
 * within a short window (`READ_WINDOW_MS`) share one bulk list call.
 */
export class InstanceReader {
  readonly #adapter: ProviderAdapter;
  readonly #clock: Clock;
  readonly #signal: AbortSignal;
  readonly #windowMs: number;
  #pending = new Map<string, { resolve: (i: ObservedInstance | undefined) => void; reject: (e: unknown) => void }[]>();
  #scheduled = false;
  /** Bulk reads sent: for tests and benchmarks. */
  reads = 0;

  constructor(adapter: ProviderAdapter, options: { clock: Clock; signal: AbortSignal; windowMs?: number }) {
    this.#adapter = adapter;
    this.#clock = options.clock;
    this.#signal = options.signal;
    this.#windowMs = options.windowMs ?? READ_WINDOW_MS;
  }

  read(id: string): Promise<ObservedInstance | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.#pending.get(id) ?? [];
      list.push({ resolve, reject });
      this.#pending.set(id, list);
      if (!this.#scheduled) {
        this.#scheduled = true;
        void this.#flush();
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      await this.#clock.sleep(this.#windowMs, this.#signal);
    } catch {
      // aborted: the read below fails with the signal's reason
    }
    const batch = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    try {
      this.reads += 1;
      const found = await this.#adapter.listInstances(
        { selectors: [...batch.keys()].map((id) => ({ id })) },
        this.#signal,
      );
      const byId = new Map(found.map((i) => [i.id, i]));
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  }
}
