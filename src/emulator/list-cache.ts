import type { EncodedJson } from "./http.js";

/**
 * Encoded answers to list reads, kept while the world is unchanged. A page of 1,000 servers is megabytes of JSON,
 * and a large plan (or a load test) reads the same pages again and again: building them was the emulator's work.
 *
 * An answer is kept with the time until which it stays right by itself (the earliest stage of an operation in
 * flight among the servers it was made from; an operation applies its stages lazily when read) and is forgotten on
 * the first request that may change the world: the HTTP server calls `changed()` before and after every request
 * that is not a GET or a HEAD, whatever its route, except the few of `UNCHANGING` (mayChangeWorld), so no mutation
 * path can leave a stale answer behind.
 */
export class ListCache {
  readonly #entries = new Map<string, { readonly bytes: EncodedJson; readonly validUntil: number }>();
  #bytes = 0;

  constructor(readonly maxBytes: number = DEFAULT_MAX_BYTES) {}

  /** The world may have changed: every kept answer is forgotten. */
  changed(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The kept answer for `key`, if it is still right at `now`. */
  get(key: string, now: number): EncodedJson | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.validUntil) {
      this.#forget(key);
      return undefined;
    }
    return entry.bytes;
  }

  /**
   * Keeps `encoded` as the answer for `key` until `validUntil` (ms since the epoch; Infinity: until a change), and
   * returns what to answer with now: what is kept, or `encoded` as it is when too large to keep. A page of more than
   * `MAX_CHUNKS` chunks is kept joined into one buffer: a page of 1,000 kept views scattered in memory is up to 1,002
   * chunks, which cost about 1 ms more of CPU to send each time than one buffer (docs/benchmarks.md). A page whose
   * views lie side by side (`EncodedJson.list`), as they do when rendered in one go, is kept as its few slices: a
   * joined copy is 2 MB of new memory a page, which made V8 mark the whole heap again and again (every server's kept
   * view with it) while a 100,000-server world's pages were built.
   */
  set(key: string, encoded: EncodedJson, validUntil: number): EncodedJson {
    if (encoded.length > this.maxBytes) return encoded;
    const bytes = encoded.chunks.length > MAX_CHUNKS ? encoded.joined() : encoded;
    this.#forget(key);
    // Oldest first: Map iteration follows insertion order.
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes + bytes.length <= this.maxBytes) break;
      this.#forget(oldest);
    }
    this.#entries.set(key, { bytes, validUntil });
    this.#bytes += bytes.length;
    return bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes.length;
  }
}

/** The most chunks a page is kept in (see `set`); about 0.7 µs of CPU each to send. */
const MAX_CHUNKS = 256;

/** Enough for every page of 1,000 servers of a 100,000-server world at the newest microversion (about 2 MB each). */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Requests other than GET and HEAD that change nothing any list shows, by method and exact path: a Keystone token
 * request only issues a token (servers, images, volumes, projects and users stay as they are), and every `reform`
 * run sends one first. Whatever is not listed here makes the list cache forget: add a route only when its handler
 * provably writes nothing of the world.
 */
const UNCHANGING: ReadonlySet<string> = new Set(["POST /identity/v3/auth/tokens"]);

/** Whether a request may change the world, as far as kept list pages are concerned. */
export function mayChangeWorld(method: string, pathname: string): boolean {
  return method !== "GET" && method !== "HEAD" && !UNCHANGING.has(`${method} ${pathname}`);
}
