import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TextSlab, ViewCache } from "./view-cache.js";

interface Rec {
  name: string;
  status: string;
  metadata: Record<string, string>;
  fault?: { readonly code: number; readonly message: string } | null;
  /** Never shown (an action history, say): changing it must not cost a render. */
  history: string[];
}

function cacheOf(): { cache: ViewCache<Rec, "history", { image: string }, string>; renders: () => number } {
  let renders = 0;
  const cache = new ViewCache<Rec, "history", { image: string }, string>({
    hidden: ["history"],
    render: (r, extra, variant) => {
      renders++;
      return { variant, ...r, image: extra.image };
    },
    variantKey: (v) => v,
    maxVariants: 2,
  });
  return { cache, renders: () => renders };
}

/** A list entry's JSON: its text without the comma that follows it. */
function text(entry: Buffer): string {
  const json = entry.toString("utf8");
  expect(json.endsWith(",")).toBe(true);
  return json.slice(0, -1);
}

describe("ViewCache", () => {
  it("answers the kept bytes while the shown fields and extra data are unchanged, and renders again on any change", () => {
    const { cache, renders } = cacheOf();
    const rec: Rec = { name: "web-1", status: "ACTIVE", metadata: { role: "web" }, history: [] };
    const extra = { image: "a" };
    const first = cache.listEntry(rec, "2.1", extra);
    expect(JSON.parse(text(first))).toEqual({
      variant: "2.1",
      name: "web-1",
      status: "ACTIVE",
      metadata: { role: "web" },
      image: "a",
    });
    rec.history.push("create");
    expect(cache.listEntry(rec, "2.1", { image: "a" })).toBe(first);
    expect(renders()).toBe(1);

    rec.metadata.role = "db"; // written in place: the kept copy is a deep one
    expect(JSON.parse(text(cache.listEntry(rec, "2.1", extra))).metadata).toEqual({ role: "db" });
    rec.fault = { code: 500, message: "boom" }; // a field that was not there
    expect(JSON.parse(text(cache.listEntry(rec, "2.1", extra))).fault).toEqual({ code: 500, message: "boom" });
    delete rec.fault; // a field that is gone
    expect(JSON.parse(text(cache.listEntry(rec, "2.1", extra)))).not.toHaveProperty("fault");
    expect(JSON.parse(text(cache.listEntry(rec, "2.1", { image: "b" }))).image).toBe("b");
    expect(renders()).toBe(5);
  });

  it("keeps a view per variant, at most maxVariants per record, the most recently made first", () => {
    const { cache, renders } = cacheOf();
    const rec: Rec = { name: "web-1", status: "ACTIVE", metadata: {}, history: [] };
    const extra = { image: "a" };
    const a = cache.listEntry(rec, "2.1", extra);
    const b = cache.listEntry(rec, "2.96", extra);
    expect(JSON.parse(text(b)).variant).toBe("2.96");
    expect([cache.listEntry(rec, "2.1", extra), cache.listEntry(rec, "2.96", extra)]).toEqual([a, b]);
    expect(renders()).toBe(2);
    cache.listEntry(rec, "2.100", extra); // 2.1 is the oldest of three: forgotten
    cache.listEntry(rec, "2.96", extra);
    expect(renders()).toBe(3);
    cache.listEntry(rec, "2.1", extra);
    expect(renders()).toBe(4);
  });

  it("equals a view rendered afresh after any sequence of writes, in place or not, and reads (property)", () => {
    const value = fc.constantFrom("a", "b", "c");
    const write = fc.oneof(
      fc.record({ kind: fc.constant("name" as const), value }),
      fc.record({ kind: fc.constant("status" as const), value }),
      fc.record({ kind: fc.constant("meta-set" as const), key: value, value }),
      fc.record({ kind: fc.constant("meta-delete" as const), key: value }),
      fc.record({ kind: fc.constant("meta-replace" as const), key: value, value }),
      fc.record({ kind: fc.constant("fault" as const), value: fc.option(value) }),
      fc.record({ kind: fc.constant("history" as const), value }),
      fc.record({ kind: fc.constant("image" as const), value }),
      fc.record({ kind: fc.constant("read" as const), variant: fc.constantFrom("2.1", "2.96", "2.100") }),
    );
    fc.assert(
      fc.property(fc.array(write, { maxLength: 30 }), (writes) => {
        const { cache } = cacheOf();
        const rec: Rec = { name: "web-1", status: "ACTIVE", metadata: {}, history: [] };
        const extra = { image: "a" };
        for (const w of writes) {
          if (w.kind === "name") rec.name = w.value;
          else if (w.kind === "status") rec.status = w.value;
          else if (w.kind === "meta-set") rec.metadata[w.key] = w.value;
          else if (w.kind === "meta-delete") delete rec.metadata[w.key];
          else if (w.kind === "meta-replace") rec.metadata = { [w.key]: w.value };
          else if (w.kind === "fault")
            if (w.value === null) delete rec.fault;
            else rec.fault = { code: 500, message: w.value };
          else if (w.kind === "history") rec.history.push(w.value);
          else if (w.kind === "image") extra.image = w.value;
          else {
            const { history: _history, ...shown } = rec;
            const fresh = JSON.stringify({ variant: w.variant, ...shown, image: extra.image });
            expect(text(cache.listEntry(rec, w.variant, { ...extra }))).toBe(fresh);
          }
        }
      }),
    );
  });
});

describe("TextSlab", () => {
  it("encodes each text as Buffer.from does, and later texts never overwrite earlier ones (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 3000 }),
            fc.string({ unit: "grapheme", maxLength: 40 }),
            fc.string({ minLength: 17000, maxLength: 20000 }),
          ),
          { maxLength: 80 },
        ),
        (texts) => {
          const slab = new TextSlab();
          const encoded = texts.map((t) => slab.encode(t));
          expect(encoded.map((b) => b.toString("utf8"))).toEqual(texts);
          encoded.forEach((b, i) => expect(b.equals(Buffer.from(texts[i] ?? ""))).toBe(true));
        },
      ),
    );
  });
});
