import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { canonicalJson, sha256Hex } from "./canonical-json.js";

/** The same members in reverse order, at every level. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

describe("canonicalJson", () => {
  it("sorts keys at every level and drops undefined members; with an indent, the plan document's layout", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null, u: undefined } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":[null]}'))).toBe('{"__proto__":{"x":1},"a":[null]}');
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }, 2)).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}',
    );
  });

  it("gives equal text for equal values, whatever the insertion order, and reads back as the value (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reversed(value))).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("writes plain data as JSON.stringify does the key-sorted copy, and anything else as before (property)", () => {
    // The definition the direct writer must match: a sorted copy (no prototype), then JSON.stringify.
    const sortedCopy = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortedCopy(item)));
      if (value === null || typeof value !== "object") return value;
      const copy = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined) copy[key] = sortedCopy(member);
      }
      return copy;
    };
    const tricky = { b: 1, "10": 2, a: 3, "9": 4, "4294967295": 5, "4294967294": 6, "01": 7, "": 8, "-1": 9 };
    expect(canonicalJson(tricky)).toBe(JSON.stringify(sortedCopy(tricky)));
    expect(canonicalJson(tricky)).toBe('{"9":4,"10":2,"4294967294":6,"":8,"-1":9,"01":7,"4294967295":5,"a":3,"b":1}');
    const unusual = fc.constantFrom<unknown>(new Date(0), () => 1, Symbol("s"), Number.NaN, -0, Infinity, new Map());
    const values = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.anything({ maxDepth: 2, withNullPrototype: true, withObjectString: false, withBigInt: false }),
        unusual,
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
        // What JSON must escape, and what it must not: quotes, backslashes, control characters, lone surrogates.
        fc.string({ unit: "binary", maxLength: 8 }),
        fc.dictionary(fc.string({ unit: "binary", maxLength: 4 }), fc.string({ unit: "binary" }), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(values, (value) => {
        expect(canonicalJson(value)).toBe(JSON.stringify(sortedCopy(value)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("sha256Hex", () => {
  it("is the hex sha256 of the text's UTF-8 bytes, whatever the text holds (property)", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(sha256Hex(text)).toBe(createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex"));
      }),
    );
  });
});
