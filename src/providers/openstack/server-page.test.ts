import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstanceSelector } from "../../model/desired.js";
import type { NovaServer } from "./normalize.js";
import { USER_DATA_KEY, bootsFromVolume, normalizeServer } from "./normalize.js";
import { digestServerPageBytes, nextLinkFromTail } from "./server-page.js";

const bytesOf = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value), "utf8"));

// Names and metadata include quotes, braces and the key names the tail reader looks for.
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('"servers_links":[{"rel":"next","href":"x"}]}', "ünïcødé", "}]", ""),
);
const server: fc.Arbitrary<NovaServer> = fc.record(
  {
    id: fc.uuid(),
    name: text,
    status: fc.constantFrom("ACTIVE", "SHUTOFF", "DELETED", "deleted", "REBUILD"),
    image: fc.oneof(fc.record({ id: fc.uuid() }), fc.constant("")),
    key_name: fc.option(text, { nil: null }),
    metadata: fc.dictionary(text, text, { maxKeys: 3 }),
    addresses: fc.dictionary(fc.constantFrom("private", "public"), fc.array(fc.record({ addr: fc.ipV4() }))),
    [USER_DATA_KEY]: fc.option(fc.base64String(), { nil: null }),
  },
  { requiredKeys: ["id"] },
);
const link = fc.option(fc.webUrl(), { nil: undefined });

describe("digestServerPageBytes", () => {
  it("keeps what the listing kept of the documents: the wanted servers that are not deleted, normalised, in order", () => {
    fc.assert(
      fc.property(fc.array(server, { maxLength: 12 }), link, fc.nat(3), (servers, next, pick) => {
        const selectors: InstanceSelector[] = servers
          .filter((_, i) => pick > 0 && i % pick === 0)
          .map((s, i) => (i % 2 === 0 ? { id: s.id } : { name: s.name ?? "" }));
        const wanted = (s: NovaServer) =>
          selectors.length === 0 ||
          selectors.some((sel) => ("id" in sel ? sel.id === s.id : sel.name === (s.name ?? "")));
        const links = next === undefined ? [] : [{ rel: "next", href: next }];
        const page = digestServerPageBytes(bytesOf({ servers, servers_links: links }), { provider: "dc1", selectors });
        const kept = servers.filter((s) => s.status?.toUpperCase() !== "DELETED" && wanted(s));
        expect(page.isList).toBe(true);
        expect(page.next).toBe(next);
        expect(page.listed).toBe(servers.length);
        expect(page.instances).toEqual(kept.map((s) => normalizeServer(s, "dc1")));
        expect(page.showingUserData).toBe(servers.filter((s) => Object.hasOwn(s, USER_DATA_KEY)).length);
        expect(page.volumeBacked.map(([i, doc]) => [page.instances[i]?.id, doc])).toEqual(
          kept.filter(bootsFromVolume).map((s) => [s.id, s]),
        );
        expect(page.otherNames).toEqual(
          servers
            .filter((s) => !kept.includes(s) && typeof s.name === "string")
            .map((s) => ({ id: s.id, name: s.name })),
        );
      }),
    );
  });

  it("says when the answer is not a server list, and reads an empty body as none", () => {
    const request = { provider: "dc1", selectors: [] };
    expect(digestServerPageBytes(bytesOf({ server: {} }), request).isList).toBe(false);
    expect(digestServerPageBytes(new TextEncoder().encode("<html>login</html>"), request).isList).toBe(false);
    expect(digestServerPageBytes(new Uint8Array(), request).isList).toBe(false);
    expect(digestServerPageBytes(bytesOf({ servers: [] }), request)).toMatchObject({ isList: true, listed: 0 });
  });
});

describe("nextLinkFromTail", () => {
  it("reads the next link Nova writes after the servers, equal to the parsed page's, whatever the servers hold", () => {
    fc.assert(
      fc.property(fc.array(server, { maxLength: 8 }), link, (servers, next) => {
        const links =
          next === undefined
            ? []
            : [
                { rel: "self", href: "http://nova/x" },
                { rel: "next", href: next },
              ];
        expect(nextLinkFromTail(bytesOf({ servers, servers_links: links }))).toBe(next);
      }),
    );
  });

  it("guesses nothing when the links are not at the end, and never a link that is not the page's own", () => {
    fc.assert(
      fc.property(fc.array(server, { maxLength: 8 }), link, (servers, next) => {
        const links = next === undefined ? [] : [{ rel: "next", href: next }];
        const guess = nextLinkFromTail(bytesOf({ servers_links: links, servers }));
        expect(guess === undefined || guess === next).toBe(true);
      }),
    );
    // Longer than the part of the page that is read: nothing is guessed, the page is parsed before the next request.
    const long = { servers: [], servers_links: [{ rel: "next", href: `http://nova/?marker=${"x".repeat(10_000)}` }] };
    expect(nextLinkFromTail(bytesOf(long))).toBeUndefined();
  });
});
