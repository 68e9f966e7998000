/**
 * Encoded JSON views of world records (a server's list entry), kept per record and per view variant (what the view
 * depends on besides the world: Nova's microversion, role and base URLs), so that a list page is a join of kept
 * bytes instead of a thousand documents built and serialised. Each is kept followed by the comma that separates list
 * entries, in a shared slab (`TextSlab`): the entries a page renders one after another lie one after another in
 * memory, and the page is sent as a few long runs of them (`EncodedJson.list`), without copying them into one buffer.
 *
 * A kept view is right by construction. It is kept with a copy of what it was rendered from: the record's fields but
 * the `hidden` ones, and the `extra` data it shows from elsewhere (a server's volumes, its image's properties, the
 * state its job shows), and it is answered only while the record and the extra data are equal to that copy, field
 * by field. The view is rendered from that copy itself, so it can show nothing that is not compared: no write path,
 * lazily applied stage or renamed image can leave a stale view behind, and none has to tell this cache anything.
 */
interface Kept {
  readonly variant: string;
  /** The record's own fields when the view was rendered, hidden ones included, in the record's order. */
  readonly fields: readonly string[];
  /** A deep copy of each shown field's value, at its field's index (undefined at a hidden field's). */
  readonly values: readonly unknown[];
  /** The indexes of the shown fields in `fields`. */
  readonly shownAt: readonly number[];
  readonly extra: unknown;
  readonly bytes: Buffer;
}

export class ViewCache<R extends object, H extends keyof R & string, E, V = null> {
  readonly #kept = new WeakMap<R, Kept[]>();
  readonly #hidden: ReadonlySet<string>;
  readonly #slab = new TextSlab();
  /** The key of the variant object of the last call: a page asks for a thousand views of one variant object. */
  #last: { readonly variant: V; readonly key: string } | undefined;

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

  /**
   * The UTF-8 JSON of `render(record, extra, variant)` followed by a comma (an entry of a list: `EncodedJson.list`):
   * the kept bytes while the record and `extra` are unchanged.
   */
  listEntry(record: R, variant: V, extra: E): Buffer {
    const key = this.#keyOf(variant);
    const views = this.#kept.get(record);
    if (views !== undefined)
      for (const kept of views) {
        if (kept.variant !== key) continue;
        if (unchanged(kept, record, extra)) return kept.bytes;
        break;
      }
    // Rendered from the copy it is kept with: the renderer sees the shown fields only, as they are compared later.
    const fields = Object.keys(record);
    const live = Object.values(record) as unknown[];
    const shown: Record<string, unknown> = {};
    const values: unknown[] = [];
    const shownAt: number[] = [];
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (this.#hidden.has(field)) {
        values.push(undefined);
        continue;
      }
      values.push((shown[field] = copyData(live[i])));
      shownAt.push(i);
    }
    const extraCopy = copyData(extra);
    const bytes = this.#slab.encode(`${JSON.stringify(this.options.render(shown as Omit<R, H>, extraCopy, variant))},`);
    const others = (views ?? []).filter((v) => v.variant !== key).slice(0, (this.options.maxVariants ?? 4) - 1);
    const entry = { variant: key, fields, values, shownAt, extra: extraCopy, bytes };
    this.#kept.set(record, [entry, ...others]);
    return bytes;
  }

  #keyOf(variant: V): string {
    if (this.#last === undefined || this.#last.variant !== variant)
      this.#last = { variant, key: this.options.variantKey?.(variant) ?? "" };
    return this.#last.key;
  }
}

/**
 * The record has the same own fields in the same order as when the view was kept, each shown one equal to its copy,
 * and `extra` equals its copy. Positional (`Object.keys` and `Object.values` read the shape's own order): a field
 * added, removed or moved is a new view, as rendering it again shows.
 */
function unchanged(kept: Kept, record: object, extra: unknown): boolean {
  const fields = Object.keys(record);
  const expected = kept.fields;
  if (fields.length !== expected.length) return false;
  for (let i = 0; i < fields.length; i++) if (fields[i] !== expected[i]) return false;
  const live = Object.values(record) as unknown[];
  const { values, shownAt } = kept;
  for (let j = 0; j < shownAt.length; j++) {
    const i = shownAt[j] as number;
    if (!sameData(values[i], live[i])) return false;
  }
  return sameData(kept.extra, extra);
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
