import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import { HttpClient } from "../http/client.js";
import type { TestServer } from "../http/test-server.js";
import { sendJson, startTestServer } from "../http/test-server.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { NovaClient } from "./nova.js";
import { digestServerPageBytes } from "./server-page.js";

// Answers seen on a real Nova (test/openstack, noauth2 phase of test/nova/run.sh) that carry no server list.
let server: TestServer;
const http = new HttpClient({ provider: "dc1", clock: instantClock(), random: () => 0 });
const signal = new AbortController().signal;
const noSigner = { sign: async () => ({}) };

beforeAll(async () => {
  server = await startTestServer((req, res) => {
    if (req.url.startsWith("/noauth2/")) {
      // nova.api.openstack.auth.NoAuthMiddlewareBase, for a request without X-Auth-Token
      res.writeHead(204, {
        "x-auth-token": "admin:admin",
        "x-server-management-url": "http://nova/v2.1",
        "content-type": "text/plain; charset=UTF-8",
      });
      res.end();
    } else if (req.url.startsWith("/html/")) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy login</html>");
    } else if (req.url.startsWith("/paged/")) {
      // Three pages of two servers, linked by marker as Nova links them.
      const marker = new URL(req.url, "http://x").searchParams.get("marker");
      const page = marker === null ? 0 : Number(marker.slice(1)) / 2;
      const servers = [0, 1].map((i) => ({ id: `s${page * 2 + i + 1}`, name: `web-${page * 2 + i + 1}` }));
      const next = `http://internal.invalid/v2.1/servers/detail?limit=2&marker=s${page * 2 + 2}`;
      sendJson(res, 200, { servers, servers_links: page < 2 ? [{ rel: "next", href: next }] : [] });
    } else sendJson(res, 200, { servers: [], servers_links: [] });
  });
});
afterAll(async () => {
  await http.close();
  await server.close();
});

describe("NovaClient.listServers without a server list", () => {
  it("names Nova's noauth2 middleware when it answers 204 with a suggested token, never reading it as no servers", async () => {
    const nova = new NovaClient(http, `${server.url}/noauth2/v2.1`, "2.93", noSigner);
    const error = await nova.listServers({}, signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CloudError);
    expect((error as CloudError).message).toMatch(/204.*noauth2.*admin_token/);
    expect((error as CloudError).message).not.toContain("admin:admin");
  });

  it("refuses a 200 that is not a server list", async () => {
    const nova = new NovaClient(http, `${server.url}/html/v2.1`, "2.93", noSigner);
    await expect(nova.listServers({}, signal)).rejects.toThrow(/no "servers" list \(content-type text\/html\)/);
  });

  it("still reads an empty list as no servers", async () => {
    const nova = new NovaClient(http, `${server.url}/v2.1`, "2.93", noSigner);
    expect(await nova.listServers({}, signal)).toEqual([]);
  });
});

describe("NovaClient.eachServerPage", () => {
  it("visits the pages in order, each once the next one has been asked for, with the same requests as listServers", async () => {
    const nova = new NovaClient(http, `${server.url}/paged/v2.1`, "2.93", noSigner);
    const before = server.seen.length;
    const visits: { names: string[]; requested: number }[] = [];
    // listRequests counts the requests sent: the next page's is sent before the current page is visited.
    await nova.eachServerPage({ limit: 2 }, signal, (servers) =>
      visits.push({ names: servers.map((s) => s.name ?? ""), requested: nova.listRequests }),
    );
    expect(visits).toEqual([
      { names: ["web-1", "web-2"], requested: 2 },
      { names: ["web-3", "web-4"], requested: 3 },
      { names: ["web-5", "web-6"], requested: 3 },
    ]);
    expect(server.seen.slice(before).map((r) => r.url)).toEqual([
      "/paged/v2.1/servers/detail?limit=2",
      "/paged/v2.1/servers/detail?limit=2&marker=s2",
      "/paged/v2.1/servers/detail?limit=2&marker=s4",
    ]);
    expect(nova.listRequests).toBe(3);
    expect((await nova.listServers({ limit: 2 }, signal)).map((s) => s.id)).toEqual([
      "s1",
      "s2",
      "s3",
      "s4",
      "s5",
      "s6",
    ]);
  });

  it("ends with the visitor's error, reading no further page", async () => {
    const nova = new NovaClient(http, `${server.url}/paged/v2.1`, "2.93", noSigner);
    const before = server.seen.length;
    await expect(
      nova.eachServerPage({ limit: 2 }, signal, () => {
        throw new Error("stop here");
      }),
    ).rejects.toThrow("stop here");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.seen.length - before).toBe(2);
  });
});

describe("NovaClient.eachServerPageDigest", () => {
  const request = { provider: "dc1", selectors: [] };
  const inline = async (bytes: Uint8Array) => digestServerPageBytes(bytes, request);

  it("asks for the next page as soon as a page arrives, before digesting it, and sends no request more", async () => {
    const nova = new NovaClient(http, `${server.url}/paged/v2.1`, "2.93", noSigner);
    const before = server.seen.length;
    const asked: number[] = [];
    const expected: boolean[] = [];
    const names: string[][] = [];
    await nova.eachServerPageDigest(
      { limit: 2 },
      signal,
      (bytes, more) => {
        // The next page's request is out while this page is digested (the last page has no next).
        asked.push(nova.listRequests);
        expected.push(more);
        return inline(bytes);
      },
      (page) => names.push(page.instances.map((i) => i.name)),
    );
    expect(asked).toEqual([2, 3, 3]);
    // The digest is told whether another page is on its way.
    expect(expected).toEqual([true, true, false]);
    expect(names).toEqual([
      ["web-1", "web-2"],
      ["web-3", "web-4"],
      ["web-5", "web-6"],
    ]);
    expect(server.seen.slice(before).map((r) => r.url)).toEqual([
      "/paged/v2.1/servers/detail?limit=2",
      "/paged/v2.1/servers/detail?limit=2&marker=s2",
      "/paged/v2.1/servers/detail?limit=2&marker=s4",
    ]);
  });

  it("follows the parsed page's next link when it differs from the one read from the page's end", async () => {
    const nova = new NovaClient(http, `${server.url}/paged/v2.1`, "2.93", noSigner);
    const before = server.seen.length;
    const names: string[][] = [];
    // A digest that says page 1 continues at s4: the early request (marker s2) is dropped, never visited.
    const lying = async (bytes: Uint8Array) => {
      const page = await inline(bytes);
      return page.next?.endsWith("marker=s2") ? { ...page, next: page.next.replace("s2", "s4") } : page;
    };
    await nova.eachServerPageDigest({ limit: 2 }, signal, lying, (page) =>
      names.push(page.instances.map((i) => i.name)),
    );
    expect(names).toEqual([
      ["web-1", "web-2"],
      ["web-5", "web-6"],
    ]);
    // Three requests: the early one for s2 was sent (and its answer dropped), then s4's.
    expect(server.seen.slice(before).map((r) => r.url)).toEqual([
      "/paged/v2.1/servers/detail?limit=2",
      "/paged/v2.1/servers/detail?limit=2&marker=s2",
      "/paged/v2.1/servers/detail?limit=2&marker=s4",
    ]);
  });

  it("refuses a 200 that is not a server list, as listServers does", async () => {
    const nova = new NovaClient(http, `${server.url}/html/v2.1`, "2.93", noSigner);
    await expect(nova.eachServerPageDigest({}, signal, inline, () => undefined)).rejects.toThrow(
      /no "servers" list \(content-type text\/html\)/,
    );
  });
});
