import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ObservedInstance } from "../model/index.js";
import { annotationEntries } from "../model/index.js";
import { canonicalJson, sha256Hex } from "../model/canonical-json.js";
import { appliedSha256Of, fingerprintOf } from "./fingerprint.js";
import { capsArb, serverArb, specArb } from "./test-arbitraries.js";
import { spec } from "./test-builders.js";

/** The fingerprint as it was first defined: canonicalJson of the whole record, keys sorted by the serializer. */
function definedFingerprint(o: ObservedInstance): string {
  const userData = o.userDataSha256;
  return sha256Hex(
    canonicalJson({
      id: o.id,
      status: o.status,
      task: o.task,
      imageId: o.imageId,
      keyPair: o.keyPair,
      metadata: { ...o.metadata, ...annotationEntries(o.annotations) },
      userDataSha256: userData.known ? userData.value : { unknown: true },
      power: o.power,
      updatedAt: o.updatedAt,
      locked: o.locked,
    }),
  );
}

/** Texts with what JSON must escape (quotes, backslashes, control characters, lone surrogates) and tricky keys. */
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom(
    '"',
    "\\",
    "\u0000",
    "\u001f",
    "\ud800",
    "x\udc00",
    "\u2028",
    "__proto__",
    "10",
    "01",
    "-1",
    "reform.applied.sha256",
  ),
);

describe("fingerprintOf", () => {
  it("equals the digest of the canonical record, whatever the server shows (property)", () => {
    const server = capsArb.chain((caps) => serverArb(caps)).map((s) => s.observed);
    fc.assert(
      fc.property(
        server,
        text,
        text,
        fc.dictionary(text, text),
        fc.boolean(),
        fc.option(text, { nil: undefined }),
        (o, id, updatedAt, metadata, locked, applied) => {
          const shown = {
            ...o,
            id,
            updatedAt,
            locked,
            metadata: { ...o.metadata, ...metadata },
            annotations: { ...o.annotations, ...(applied === undefined ? {} : { appliedSha256: applied }) },
          };
          expect(fingerprintOf(shown)).toBe(definedFingerprint(shown));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("appliedSha256Of", () => {
  it("gives the same digest for a spec seen before and for an equal copy of it, and another for another image (property)", () => {
    fc.assert(
      fc.property(specArb, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), (s, a, b) => {
        const first = appliedSha256Of(s, a);
        expect(appliedSha256Of(s, a)).toBe(first);
        expect(appliedSha256Of({ ...s }, a)).toBe(first);
        if (s.image !== undefined && a !== b) expect(appliedSha256Of(s, b)).not.toBe(first);
      }),
    );
  });

  it("changes when a managed field changes, in a new spec object", () => {
    const base = spec({ keyPair: "k1", metadata: { role: "web" } });
    const digest = appliedSha256Of(base, "img-1");
    expect(appliedSha256Of(spec({ keyPair: "k2", metadata: { role: "web" } }), "img-1")).not.toBe(digest);
    expect(appliedSha256Of(spec({ keyPair: "k1", metadata: { role: "db" } }), "img-1")).not.toBe(digest);
  });
});
