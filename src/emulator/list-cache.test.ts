import { describe, expect, it } from "vitest";
import { EncodedJson } from "./http.js";
import { ListCache } from "./list-cache.js";

const bytes = (n: number, fill = "x") => new EncodedJson([Buffer.from(fill.repeat(n))]);

describe("ListCache", () => {
  it("answers a kept page until its time, and forgets every page on a change", () => {
    const cache = new ListCache();
    cache.set("a", bytes(3, "a"), 1000);
    cache.set("b", bytes(3, "b"), Infinity);
    expect(cache.get("a", 999)?.toString()).toBe("aaa");
    expect(cache.get("a", 1000)).toBeUndefined();
    expect(cache.get("b", 1e15)?.toString()).toBe("bbb");
    cache.changed();
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxBytes, forgetting the oldest pages first, and never one page larger than that", () => {
    const cache = new ListCache(10);
    cache.set("a", bytes(4), Infinity);
    cache.set("b", bytes(4), Infinity);
    cache.set("c", bytes(4), Infinity);
    expect([cache.get("a", 0), cache.get("b", 0)?.length, cache.get("c", 0)?.length]).toEqual([undefined, 4, 4]);
    cache.set("b", bytes(6), Infinity);
    expect([cache.get("b", 0)?.length, cache.get("c", 0)?.length]).toEqual([6, 4]);
    cache.set("big", bytes(11), Infinity);
    expect(cache.get("big", 0)).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});
