/**
 * Encoded JSON views of world records (a server's list entry), kept per record and per view variant (what the view
 * depends on besides the world: Nova's microversion, role and base URLs), so that a list page is a join of kept
 * bytes instead of a thousand documents built and serialised.
 *
 * A kept view is right by construction. It is kept with a copy of what it was rendered from: the record's fields but
 * the `hidden` ones, and the `extra` data it shows from elsewhere (a server's volumes, its image's properties, the
 * state its job shows), and it is answered only while the record and the extra data are equal to that copy, field
 * by field. The view is rendered from that copy itself, so it can show nothing that is not compared: no write path,
 * lazily applied stage or renamed image can leave a stale view behind, and none has to tell this cache anything.
 */
interface Kept {
  readonly variant: string;
  /** A deep copy of the record's shown fields when the view was rendered. */
  readonly shown: Readonly<Record<string, unknown>>;
  readonly shownCount: number;
  readonly extra: unknown;
  readonly bytes: Buffer;
}

export class ViewCache<R extends object, H extends keyof R & string, E, V = null> {
  readonly #kept = new WeakMap<R, Kept[]>();
  readonly #hidden: ReadonlySet<string>;
  readonly #slab = new TextSlab();

  /**
   * `hidden`: the record's fields no view shows (the renderer cannot see them; they are not compared).
   * `variantKey`: a string that tells variants apart (everything of the variant the renderer may read).
   * `maxVariants`: views kept per record, the most recently made first (clients at several microversions).
   */
  constructor(
    readonly options: {
      readonly hidden: readonly H[];
      readonly render: (record: Omit<R, H>, extra: E, variant: V) => unknown;
      readonly variantKey?: (variant: V) => string;
      readonly maxVariants?: number;
    },
  ) {
    this.#hidden = new Set(options.hidden);
  }

  /** The UTF-8 JSON of `render(record, extra, variant)`: the kept bytes while the record and `extra` are unchanged. */
  encoded(record: R, variant: V, extra: E): Buffer {
    const key = this.options.variantKey?.(variant) ?? "";
    const views = this.#kept.get(record);
    const kept = views?.find((v) => v.variant === key);
    if (kept && this.#unchanged(kept, record, extra)) return kept.bytes;
    // Rendered from the copy it is kept with: the renderer sees the shown fields only, as they are compared later.
    const live = record as Readonly<Record<string, unknown>>;
    const shown: Record<string, unknown> = {};
    let shownCount = 0;
    for (const field in live) {
      if (!Object.hasOwn(live, field) || this.#hidden.has(field)) continue;
      shown[field] = copyData(live[field]);
      shownCount++;
    }
    const extraCopy = copyData(extra);
    const bytes = this.#slab.encode(JSON.stringify(this.options.render(shown as Omit<R, H>, extraCopy, variant)));
    const others = (views ?? []).filter((v) => v.variant !== key).slice(0, (this.options.maxVariants ?? 4) - 1);
    const entry = { variant: key, shown, shownCount, extra: extraCopy, bytes };
    this.#kept.set(record, [entry, ...others]);
    return bytes;
  }

  #unchanged(kept: Kept, record: R, extra: E): boolean {
    const live = record as Readonly<Record<string, unknown>>;
    let count = 0;
    for (const key in live) {
      if (!Object.hasOwn(live, key) || this.#hidden.has(key)) continue;
      if (!Object.hasOwn(kept.shown, key) || !sameData(kept.shown[key], live[key])) return false;
      count++;
    }
    return count === kept.shownCount && sameData(kept.extra, extra);
  }
}

/** Deep equality of plain data (JSON values and undefined; objects compared key by key, whatever their key order). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Readonly<Record<string, unknown>>;
  const y = b as Readonly<Record<string, unknown>>;
  let count = 0;
  for (const key in x) {
    if (!Object.hasOwn(y, key) || !sameData(x[key], y[key])) return false;
    count++;
  }
  for (const key in y) if (Object.hasOwn(y, key)) count--;
  return count === 0;
}

/** A deep copy of plain data: later writes to the record's objects do not reach it. */
export function copyData<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => copyData(v)) as T;
  const from = value as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const key in from) if (Object.hasOwn(from, key)) out[key] = copyData(from[key]);
  return out as T;
}

/**
 * Encodes texts into slices of a shared slab: a cold page encodes a thousand entries of about 2 KB, and Buffer.from
 * allocated a pool of 8 KB for every four of them. A slice keeps its slab alive (at most SLAB_SIZE for one entry).
 */
export class TextSlab {
  #buffer = Buffer.allocUnsafe(0);
  #used = 0;

  encode(text: string): Buffer {
    const length = Buffer.byteLength(text);
    if (length > SLAB_SIZE / 4) return Buffer.from(text);
    if (this.#used + length > this.#buffer.length) {
      this.#buffer = Buffer.allocUnsafe(SLAB_SIZE);
      this.#used = 0;
    }
    const start = this.#used;
    this.#used += this.#buffer.write(text, start);
    return this.#buffer.subarray(start, this.#used);
  }
}

const SLAB_SIZE = 64 * 1024;
