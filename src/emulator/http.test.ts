import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EncodedJson, routeKey } from "./http.js";
import { TextSlab } from "./view-cache.js";

describe("routeKey", () => {
  it("replaces ids and request ids by placeholders, so that a route is counted once whatever the server", () => {
    expect(
      routeKey(
        "GET",
        "/compute/v2.1/servers/7c9e6679-7425-40de-944b-e07fc1f90ae7/os-instance-actions/req-fa506b4f-2acf-4908-8327-7005a3124251",
      ),
    ).toBe("GET /compute/v2.1/servers/{id}/os-instance-actions/{request-id}");
    expect(routeKey("POST", "/identity/v3/auth/tokens")).toBe("POST /identity/v3/auth/tokens");
    expect(routeKey("GET", "/huaweicloud/v1/0123456789abcdef0123456789abcdef/cloudservers/detail")).toBe(
      "GET /huaweicloud/v1/{id}/cloudservers/detail",
    );
    expect(routeKey("GET", "/compute/v2.1/servers/req-not-a-uuid")).toBe("GET /compute/v2.1/servers/req-not-a-uuid");
  });
});

describe("EncodedJson.list", () => {
  it("is the head, the entries joined by commas and the tail, whichever entries lie side by side (property)", () => {
    const entry = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.string({ minLength: 17000, maxLength: 17100 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, fc.boolean()), { maxLength: 60 }), (entries) => {
        const slab = new TextSlab();
        // Some entries from the slab (side by side when made one after another), some from buffers of their own.
        const encoded = entries.map(([text, own]) => (own ? Buffer.from(`${text},`) : slab.encode(`${text},`)));
        const list = EncodedJson.list("[", encoded, (bytes) => bytes, "]");
        const expected = `[${entries.map(([text]) => text).join(",")}]`;
        expect(list.toString()).toBe(expected);
        expect(list.length).toBe(Buffer.byteLength(expected));
      }),
    );
  });

  it("sends entries made one after another in one slab as one chunk, a slice of the slab", () => {
    const slab = new TextSlab();
    const entries = Array.from({ length: 20 }, (_, i) => slab.encode(`{"n":${i}},`));
    const list = EncodedJson.list("[", entries, (bytes) => bytes, "]");
    expect(list.chunks.map((chunk) => chunk.toString())).toEqual([
      "[",
      entries.map((_, i) => `{"n":${i}}`).join(","),
      "]",
    ]);
    expect(list.chunks[1]?.buffer).toBe(entries[0]?.buffer);
  });
});
