import { describe, expect, it } from "vitest";
import { FaultInjector, checkFaultOptions } from "./faults.js";
import type { ApiService } from "./http.js";
import { EncodedJson } from "./http.js";
import { ListCache, mayChangeWorld } from "./list-cache.js";
import { emptyStats, startHttpServer } from "./server.js";
import { NO_FAULTS } from "./types.js";

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

  it("keeps a page of a few chunks as its chunks, and joins a page of many into one chunk of the same bytes", () => {
    const cache = new ListCache();
    const few = new EncodedJson([Buffer.from("[1"), Buffer.from(","), Buffer.from("2]")]);
    expect(cache.set("few", few, Infinity)).toBe(few);
    expect(cache.get("few", 0)).toBe(few);
    const items = Array.from({ length: 300 }, (_, i) => i);
    const many = new EncodedJson([Buffer.from("["), ...items.map((i) => Buffer.from(`${i},`)), Buffer.from("0]")]);
    const kept = cache.set("many", many, Infinity);
    expect(kept.chunks).toHaveLength(1);
    expect(kept.toString()).toBe(`[${items.join(",")},0]`);
    expect(kept.length).toBe(many.length);
    expect(cache.get("many", 0)).toBe(kept);
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

describe("what makes kept pages forgotten", () => {
  it("mayChangeWorld: every method but GET and HEAD, except a Keystone token request", () => {
    expect(mayChangeWorld("GET", "/compute/v2.1/servers/detail")).toBe(false);
    expect(mayChangeWorld("HEAD", "/identity/v3/auth/tokens")).toBe(false);
    expect(mayChangeWorld("POST", "/identity/v3/auth/tokens")).toBe(false);
    expect(mayChangeWorld("DELETE", "/identity/v3/auth/tokens")).toBe(true);
    expect(mayChangeWorld("POST", "/identity/v3/auth/tokens/")).toBe(true);
    expect(mayChangeWorld("POST", "/identity/v3/users/u1/application_credentials")).toBe(true);
    expect(mayChangeWorld("POST", "/compute/v2.1/servers/s1/action")).toBe(true);
    expect(mayChangeWorld("PUT", "/compute/v2.1/servers/s1/metadata")).toBe(true);
    expect(mayChangeWorld("POST", "/huaweicloud/v1/p/cloudservers/action")).toBe(true);
  });

  it("the HTTP server keeps pages across a token request and forgets them on a mutating POST, before and after it", async () => {
    const lists = new ListCache();
    const seen: number[] = [];
    const service: ApiService = {
      prefix: "/identity",
      isExempt: () => false,
      injectErrors: false,
      faultBody: () => ({}),
      commonHeaders: () => ({}),
      handle() {
        seen.push(lists.size);
        // A handler that keeps a page while it runs (a list read racing the write): forgotten after it too.
        lists.set("during", bytes(1), Infinity);
        return { status: 201, body: {} };
      },
    };
    const http = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      services: [service],
      faults: new FaultInjector(checkFaultOptions(NO_FAULTS), 1),
      stats: emptyStats(),
      lists,
    });
    try {
      const post = async (path: string) => {
        const res = await fetch(`${http.origin}${path}`, { method: "POST", body: "{}" });
        await res.arrayBuffer();
      };
      lists.set("page", bytes(3), Infinity);
      await post("/identity/v3/auth/tokens");
      expect(lists.get("page", 0)?.toString()).toBe("xxx");
      expect(seen).toEqual([1]);
      await post("/identity/v3/users/u1/application_credentials");
      expect(seen).toEqual([1, 0]);
      expect(lists.size).toBe(0);
    } finally {
      await http.close();
    }
  });
});
