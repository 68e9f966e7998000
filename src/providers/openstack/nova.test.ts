import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import { HttpClient } from "../http/client.js";
import type { TestServer } from "../http/test-server.js";
import { sendJson, startTestServer } from "../http/test-server.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { NovaClient } from "./nova.js";

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
