import * as diagnostics from "node:diagnostics_channel";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MetadataTarget, ReprovisionParams, Step } from "../../model/action.js";
import type { CloudError } from "../../model/errors.js";
import { AmbiguousError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { OperationHandle, OperationQuery } from "../../model/operation.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { followStep } from "../test-support.js";
import type { OpenStackAdapterOptions } from "./adapter.js";
import { createOpenStackAdapter } from "./adapter.js";
import { startServerPageWorker } from "../page-pool.js";
import type { FakeOpenStack } from "../../../test/support/fake-openstack.js";
import { PASSWORD, makeServer, startFakeOpenStack } from "../../../test/support/fake-openstack.js";

let fake: FakeOpenStack;
const signal = new AbortController().signal;
const adapters: ProviderAdapter[] = [];
const debugLines: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenStack();
});
afterAll(async () => {
  for (const a of adapters) await a.close();
  await fake.close();
  // Every debug line and every error message of the whole suite: the password and tokens never appear.
  const all = debugLines.join("\n") + errors.join("\n");
  expect(all).not.toContain(PASSWORD);
  for (const token of fake.tokens) expect(all).not.toContain(token);
});
beforeEach(() => {
  fake.servers.clear();
  fake.images.length = 0;
  fake.options.onAction = undefined;
  fake.options.versionDocAfter = undefined;
  fake.options.maxMicroversion = "2.96";
});
afterEach(() => {
  fake.seen.length = 0;
});

function adapter(patch: Partial<OpenStackAdapterOptions> = {}) {
  const clock = instantClock();
  const warnings: string[] = [];
  const clouds = `clouds:\n  dc1:\n    region_name: RegionOne\n    auth:\n      auth_url: ${fake.identity}\n      username: admin\n      password: ${PASSWORD}\n      project_name: demo\n`;
  const a = createOpenStackAdapter({
    name: "dc1",
    settings: { cloud: "dc1" },
    env: {},
    cwd: "/fleet",
    homeDir: "/home/u",
    readFile: async (path) => {
      if (path === "/fleet/clouds.yaml") return clouds;
      throw new Error("ENOENT");
    },
    clock,
    random: () => 0,
    warn: (m) => warnings.push(m),
    debug: (line) => debugLines.push(line),
    conflict: { maxRetries: 3, delayMs: 10 },
    ...patch,
  });
  adapters.push(a);
  return { a, clock, warnings };
}

const listCalls = () => fake.seen.filter((r) => r.url.startsWith("/compute/v2.1/servers/detail"));
const meta = (
  set: Record<string, string>,
  remove: string[] = [],
  full: Record<string, string> = set,
): MetadataTarget => ({ set, remove, full });
/** A poll's question about a handle, as apply asks it before anything is known. */
const ask = (handle: OperationHandle): OperationQuery => ({ handle, readJob: true, complete: false });
const rebuild = (params: Partial<ReprovisionParams> = {}): Step => ({
  kind: "rebuild",
  impact: "reprovision",
  params: { imageId: "img-new", metadata: meta({ role: "web" }), keepStopped: false, ...params },
});

describe("listInstances", () => {
  it.each([
    [2500, 3],
    [2000, 3],
    [999, 1],
  ])("reads %i servers in %i requests, following next links", async (n, requests) => {
    for (let i = 0; i < n; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    const { a } = adapter();
    const pages: (readonly ObservedInstance[])[] = [];
    const servers = await a.listInstances({ selectors: [], onPage: (page) => pages.push(page) }, signal);
    expect(servers).toHaveLength(n);
    // Each page's servers are shown as it is read: the same objects as the listing, in its order, one call per page.
    expect(pages).toHaveLength(requests);
    expect(pages.flat()).toEqual(servers);
    pages.flat().forEach((server, i) => expect(server).toBe(servers[i]));
    expect(new Set(servers.map((s) => s.id)).size).toBe(n);
    expect(listCalls()).toHaveLength(requests);
    expect(listCalls()[1]?.url ?? "").not.toContain("nova-internal");
  });

  it("sends the next page's request before it parses a page on its own thread", async () => {
    for (let i = 0; i < 2500; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    // Requests whose headers undici has written to the socket, seen when each page is shown (after its parse).
    const sent: string[] = [];
    const onSend = (message: unknown) => {
      const { request } = message as { request: { path: string } };
      if (request.path.includes("/servers/detail")) sent.push(request.path);
    };
    diagnostics.subscribe("undici:client:sendHeaders", onSend);
    try {
      const sentAtPage: number[] = [];
      const { a } = adapter();
      await a.listInstances({ selectors: [], onPage: () => sentAtPage.push(sent.length) }, signal);
      // Page 1 was parsed with page 2's request on its way, page 2 with page 3's; page 3 is the last.
      expect(sentAtPage).toEqual([2, 3, 3]);
    } finally {
      diagnostics.unsubscribe("undici:client:sendHeaders", onSend);
    }
  });

  it("digests pages on the runtime's page worker as on its own thread, and polls by the names that listing learned", async () => {
    // Pages of about 1 MB: the worker starts from a page of 512 KB.
    const note = "x".repeat(700);
    for (let i = 0; i < 2300; i++) {
      const server = makeServer(i, { metadata: { role: i % 3 === 0 ? "db" : "web", note } });
      fake.servers.set(server.id, server);
    }
    const started: string[] = [];
    const threaded = adapter({
      pageWorker: () => {
        started.push("worker");
        const worker = startServerPageWorker();
        return {
          digest: (bytes, request) => {
            started.push(`page of ${bytes.byteLength >= 512 * 1024 ? "1 MB" : "less"}`);
            return worker.digest(bytes, request);
          },
          close: () => worker.close(),
        };
      },
    }).a;
    const pages: (readonly ObservedInstance[])[] = [];
    const fromWorker = await threaded.listInstances({ selectors: [], onPage: (page) => pages.push(page) }, signal);
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 300]);
    expect(pages.flat()).toEqual(fromWorker);
    const inline = await adapter().a.listInstances({ selectors: [] }, signal);
    // Started by the first page (large, with a next link), digested here; the thread digests every later one.
    expect(started).toEqual(["worker", "page of 1 MB", "page of less"]);
    expect(fromWorker).toHaveLength(2300);
    expect(fromWorker).toEqual(inline);
    const handle = await threaded.startStep({ instance: fromWorker[2299]!, step: rebuild(), inputs: {} }, signal);
    fake.seen.length = 0;
    const [seen] = await threaded.pollOperations([ask(handle)], signal);
    expect(seen?.instance?.id).toBe(fromWorker[2299]!.id);
    expect(listCalls().map((r) => decodeURIComponent(r.url))).toEqual([
      `/compute/v2.1/servers/detail?limit=1000&name=^(${fromWorker[2299]!.name})$`,
    ]);
  });

  it("does not start the page worker for a listing of one page, however large", async () => {
    const note = "x".repeat(700);
    for (let i = 0; i < 900; i++) {
      const server = makeServer(i, { metadata: { role: "web", note } });
      fake.servers.set(server.id, server);
    }
    const started: string[] = [];
    const { a } = adapter({
      pageWorker: () => {
        started.push("worker");
        return startServerPageWorker();
      },
    });
    expect(await a.listInstances({ selectors: [] }, signal)).toHaveLength(900);
    expect(listCalls()).toHaveLength(1);
    expect(started).toEqual([]);
  });

  it("sends the negotiated microversion on Nova calls and filters one name with an anchored regex", async () => {
    fake.servers.set("a", makeServer(1, { id: "a", name: "web-1" }));
    fake.servers.set("b", makeServer(2, { id: "b", name: "web-10" }));
    const { a } = adapter();
    const servers = await a.listInstances({ selectors: [{ name: "web-1" }] }, signal);
    expect(servers.map((s) => s.id)).toEqual(["a"]);
    // The first listing's first page went out beside the version document, at "latest" (Nova answered at 2.96).
    expect(listCalls()[0]?.headers["openstack-api-version"]).toBe("compute latest");
    await a.listInstances({ selectors: [{ name: "web-1" }] }, signal);
    const call = listCalls()[1];
    expect(call?.headers["openstack-api-version"]).toBe("compute 2.96");
    expect(call?.headers["x-openstack-nova-api-version"]).toBe("2.96");
    expect(decodeURIComponent(call?.url ?? "")).toContain("name=^web-1$");
  });

  it("sends the first page of the first listing with the version document, not after it: no request more", async () => {
    for (let i = 0; i < 2500; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    // The version document is answered only once the first page has been asked for: sent after it, it would never be.
    let pageAsked: () => void = () => undefined;
    fake.options.versionDocAfter = new Promise<void>((resolve) => (pageAsked = resolve));
    const seen = fake.seen.length;
    const watch = setInterval(() => {
      if (fake.seen.slice(seen).some((r) => r.url.startsWith("/compute/v2.1/servers/detail"))) pageAsked();
    }, 5);
    try {
      const { a } = adapter();
      expect(await a.listInstances({ selectors: [] }, signal)).toHaveLength(2500);
    } finally {
      clearInterval(watch);
      fake.options.versionDocAfter = undefined;
    }
    const routes = fake.seen.map((r) => `${r.method} ${r.url.replace(/\?.*/, "")}`);
    expect(routes[0]).toBe("POST /identity/v3/auth/tokens");
    expect(routes.slice(1, 3).sort()).toEqual(["GET /compute/v2.1/", "GET /compute/v2.1/servers/detail"]);
    expect(routes.slice(3)).toEqual(["GET /compute/v2.1/servers/detail", "GET /compute/v2.1/servers/detail"]);
    expect(listCalls().map((r) => r.headers["openstack-api-version"])).toEqual([
      "compute latest",
      "compute 2.96",
      "compute 2.96",
    ]);
  });

  it("asks for the first page again when Nova answered it at another microversion than the negotiated one", async () => {
    // A Nova newer than this client: "latest" is above the microversion reform negotiates (its own maximum).
    fake.options.maxMicroversion = "2.101";
    for (let i = 0; i < 1500; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    const { a } = adapter();
    expect(await a.listInstances({ selectors: [] }, signal)).toHaveLength(1500);
    expect(listCalls().map((r) => [r.headers["openstack-api-version"], decodeURIComponent(r.url)])).toEqual([
      ["compute latest", "/compute/v2.1/servers/detail?limit=1000"],
      ["compute 2.100", "/compute/v2.1/servers/detail?limit=1000"],
      ["compute 2.100", expect.stringContaining("marker=")],
    ]);
  });

  it("sends the first page at a pinned microversion, and keeps it", async () => {
    for (let i = 0; i < 10; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    const { a } = adapter({ settings: { cloud: "dc1", computeApiVersion: "2.79" } });
    expect(await a.listInstances({ selectors: [] }, signal)).toHaveLength(10);
    expect(listCalls().map((r) => r.headers["openstack-api-version"])).toEqual(["compute 2.79"]);
  });
});

describe("capabilities", () => {
  it("declares rebuild features from the microversion", async () => {
    const { a } = adapter();
    const caps = await a.capabilities(signal);
    expect(caps).toMatchObject({
      imageChangeStep: "rebuild",
      sameImageStep: "rebuild",
      reprovisionSetsKeyPair: true,
      reprovisionSetsUserData: true,
      reprovisionSetsMetadata: true,
      metadataUpdateInError: false,
      readsUserData: false,
      description: "compute API microversion 2.96",
    });
  });

  it.each([true, false])(
    "reads whether servers show user_data from the first page of a listing under way (shown: %s), not a probe",
    async (shown) => {
      fake.options.showUserData = shown;
      try {
        for (let i = 0; i < 1500; i++) fake.servers.set(makeServer(i).id, makeServer(i));
        const { a } = adapter();
        const [caps, servers] = await Promise.all([a.capabilities(signal), a.listInstances({ selectors: [] }, signal)]);
        expect(servers).toHaveLength(1500);
        expect(caps.readsUserData).toBe(shown);
        // Two pages, and no probe of one server (limit=1).
        expect(listCalls().map((r) => decodeURIComponent(r.url).replace(/&marker=.*/, ""))).toEqual([
          "/compute/v2.1/servers/detail?limit=1000",
          "/compute/v2.1/servers/detail?limit=1000",
        ]);
        // Without a listing, capabilities probes one server.
        const alone = await adapter().a.capabilities(signal);
        expect(alone.readsUserData).toBe(shown);
        expect(listCalls().at(-1)?.url).toBe("/compute/v2.1/servers/detail?limit=1");
      } finally {
        fake.options.showUserData = false;
      }
    },
  );

  it("marks same-image changes unsupported below 2.54", async () => {
    fake.options.maxMicroversion = "2.53";
    const { a } = adapter();
    expect(await a.capabilities(signal)).toMatchObject({
      sameImageStep: null,
      reprovisionSetsKeyPair: false,
      reprovisionSetsUserData: false,
      reprovisionRemovesKeyPair: false,
      reprovisionsBootVolume: false,
      description:
        "compute API microversion 2.53; a rebuild that sets the key pair needs 2.54, the user_data needs 2.57; a rebuild of a server that boots from a volume (re-imaging its root volume) needs 2.93",
    });
  });
});

describe("startStep and pollOperations", () => {
  it("rebuilds with image, full metadata, key_name and base64 user_data; a poll shows the server under way, then settled", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1", metadata: { role: "web", owner: "x" } }));
    fake.servers.set("s2", makeServer(2, { id: "s2" }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [{ id: "s1" }] }, signal);
    const full = { role: "web", owner: "x", "reform.user_data.sha256": "d1" };
    const step = rebuild({
      keyPair: "ops-2026",
      userDataSha256: "d1",
      metadata: meta({ "reform.user_data.sha256": "d1" }, [], full),
    });
    const handle = await a.startStep({ instance: s1!, step, inputs: { userData: "#cloud-config\n" } }, signal);
    const post = fake.seen.find((r) => r.method === "POST" && r.url.endsWith("/action"));
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      rebuild: {
        imageRef: "img-new",
        metadata: full,
        key_name: "ops-2026",
        user_data: Buffer.from("#cloud-config\n").toString("base64"),
      },
    });
    expect(handle).toMatchObject({
      instanceId: "s1",
      step: "rebuild",
      synchronous: false,
      baseline: { updatedAt: s1!.updatedAt, status: "ACTIVE" },
    });
    expect(handle.requestId).toMatch(/^req-/);

    fake.seen.length = 0;
    expect((await a.pollOperations([ask(handle)], signal))[0]).toEqual({
      instance: expect.objectContaining({ rawStatus: "REBUILD", task: "rebuilding" }) as unknown,
    });
    expect(listCalls()).toHaveLength(1);
    expect(decodeURIComponent(listCalls()[0]?.url ?? "")).toContain("name=^(web-1)$");
    fake.finish("s1");
    const actionReads = () =>
      fake.seen.filter((r) => r.url.endsWith(`/servers/s1/os-instance-actions/${handle.requestId ?? ""}`));
    const [settled] = await a.pollOperations([ask(handle)], signal);
    expect(settled?.instance).toMatchObject({ imageId: "img-new", keyPair: "ops-2026", status: "active", task: null });
    // A poll that cannot confirm the step does not read its instance action; the one that can reads it (this fake
    // Nova does not know it: 404, no record)
    expect(actionReads()).toHaveLength(0);
    const [confirming] = await a.pollOperations([{ ...ask(handle), complete: true }], signal);
    expect(confirming?.instance).toMatchObject({ status: "active", task: null });
    expect(confirming?.job).toBeUndefined();
    expect(actionReads()).toHaveLength(1);
    expect((await followStep(a, handle, signal)).final).toMatchObject({
      type: "done",
      instance: { imageId: "img-new" },
    });
  });

  it("polls the servers in flight by name: the requests grow with the operations in flight, not with the fleet", async () => {
    for (let i = 0; i < 3000; i++) fake.servers.set(makeServer(i).id, makeServer(i));
    const { a } = adapter();
    const all = await a.listInstances({ selectors: [] }, signal);
    const inFlight = all.slice(0, 250);
    const handles = await Promise.all(
      inFlight.map((s) => a.startStep({ instance: s, step: rebuild(), inputs: {} }, signal)),
    );
    fake.seen.length = 0;
    const seen = await a.pollOperations(handles.map(ask), signal);
    expect(seen.map((s) => s.instance?.task)).toEqual(inFlight.map(() => "rebuilding"));
    const urls = listCalls().map((c) => new URL(c.url, "http://x").searchParams);
    // 250 names of 8 to 9 characters: two patterns of at most 1,500 characters, whatever the size of the fleet.
    expect(urls).toHaveLength(2);
    expect(urls.every((q) => q.get("changes-since") === null && /^\^\(.*\)\$$/.test(q.get("name") ?? ""))).toBe(true);
    for (const s of inFlight.slice(0, 10)) fake.finish(s.id);
    const next = await a.pollOperations(handles.map(ask), signal);
    expect(next.filter((s) => s.instance?.task === null).map((s) => s.instance?.id)).toEqual(
      inFlight.slice(0, 10).map((s) => s.id),
    );
  });

  it("polls by changes-since when it never listed the servers, and finds a renamed server in a full listing", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    fake.servers.set("s2", makeServer(2, { id: "s2", updated: "2020-01-01T00:00:00Z" }));
    const { a: lister } = adapter();
    const [s1, s2] = await lister.listInstances({ selectors: [] }, signal);
    const handles = await Promise.all(
      [s1!, s2!].map((s) => lister.startStep({ instance: s, step: rebuild(), inputs: {} }, signal)),
    );
    const { a } = adapter();
    fake.seen.length = 0;
    expect((await a.pollOperations(handles.map(ask), signal)).map((s) => s.instance?.task)).toEqual([
      "rebuilding",
      "rebuilding",
    ]);
    expect(listCalls()).toHaveLength(1);
    expect(decodeURIComponent(listCalls()[0]?.url ?? "")).toMatch(/changes-since=2026-11-23T11:55:00.000Z/);
    fake.servers.get("s1")!.name = "renamed";
    fake.finish("s1");
    fake.seen.length = 0;
    const [settled] = await a.pollOperations([ask(handles[0]!)], signal);
    expect(settled).toMatchObject({ instance: { id: "s1", name: "renamed", task: null } });
    expect(listCalls().map((c) => new URL(c.url, "http://x").searchParams.has("name"))).toEqual([true, false]);
  });

  it("leaves key_name and user_data out when unchanged, and sends null to remove them", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    await a.startStep({ instance: s1!, step: rebuild(), inputs: {} }, signal);
    fake.finish("s1");
    await a.startStep({ instance: s1!, step: rebuild({ keyPair: null, userDataSha256: null }), inputs: {} }, signal);
    const bodies = fake.seen
      .filter((r) => r.url.endsWith("/action"))
      .map((r) => JSON.parse(r.body) as { rebuild: Record<string, unknown> });
    expect(Object.keys(bodies[0]!.rebuild).sort()).toEqual(["imageRef", "metadata"]);
    expect(bodies[1]!.rebuild).toMatchObject({ key_name: null, user_data: null });
  });

  it("waits out a 409 and sends the action again", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    let refusals = 2;
    fake.options.onAction = (_id, _body, res) => {
      if (refusals-- <= 0) return false;
      res
        .writeHead(409, { "content-type": "application/json" })
        .end(JSON.stringify({ conflictingRequest: { code: 409, message: "busy" } }));
      return true;
    };
    const { a, clock } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    const handle = await a.startStep(
      { instance: s1!, step: { kind: "reboot", impact: "reboot", params: { type: "SOFT" } }, inputs: {} },
      signal,
    );
    expect(handle.step).toBe("reboot");
    expect(clock.slept).toEqual([10, 20]);
    expect(fake.seen.filter((r) => r.url.endsWith("/action"))).toHaveLength(3);
  });

  it("after a dropped POST, re-reads the server: accepted when its task shows the step, else AmbiguousError", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    let apply = true;
    fake.options.onAction = (id, _body, res) => {
      if (apply) Object.assign(fake.servers.get(id)!, { task: "rebuilding", status: "REBUILD", updated: fake.tick() });
      res.socket?.destroy();
      return true;
    };
    const handle = await a.startStep({ instance: s1!, step: rebuild(), inputs: {} }, signal);
    expect(handle.instanceId).toBe("s1");
    fake.finish("s1");
    const [fresh] = await a.listInstances({ selectors: [] }, signal);
    apply = false;
    fake.seen.length = 0;
    await expect(a.startStep({ instance: fresh!, step: rebuild(), inputs: {} }, signal)).rejects.toBeInstanceOf(
      AmbiguousError,
    );
    expect(fake.seen.filter((r) => r.url.endsWith("/action"))).toHaveLength(1);
    expect(fake.seen.filter((r) => r.method === "GET" && r.url === "/compute/v2.1/servers/s1")).toHaveLength(1);
  });

  it("updates metadata synchronously: merge, then delete removed keys (404 is fine)", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1", metadata: { role: "web", old: "1" } }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    const handle = await a.startStep(
      {
        instance: s1!,
        step: { kind: "update-metadata", impact: "none", params: { metadata: meta({ tier: "2" }, ["old", "gone"]) } },
        inputs: {},
      },
      signal,
    );
    expect(handle.synchronous).toBe(true);
    expect(fake.servers.get("s1")?.metadata).toEqual({ role: "web", tier: "2" });
    expect((await followStep(a, handle, signal)).final).toMatchObject({
      type: "done",
      instance: { metadata: { role: "web", tier: "2" } },
    });
  });

  it("reports a server that ends in ERROR with Nova's fault and the step's request id", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    const handle = await a.startStep({ instance: s1!, step: rebuild(), inputs: {} }, signal);
    Object.assign(fake.servers.get("s1")!, { fault: { code: 500, message: "No valid host was found." } });
    fake.finish("s1", "ERROR");
    expect((await followStep(a, handle, signal)).final).toEqual({
      type: "failed",
      message: "No valid host was found.",
      requestId: handle.requestId,
    });
  });

  it("carries Nova's message and request id in a refused step", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    const { a } = adapter();
    const [s1] = await a.listInstances({ selectors: [] }, signal);
    const error = (await a
      .startStep(
        {
          instance: s1!,
          step: {
            kind: "reinstall",
            impact: "reprovision",
            params: { imageId: "img-new", metadata: meta({}), keepStopped: false },
          },
          inputs: {},
        },
        signal,
      )
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TypeError);
    fake.servers.get("s1")!.task = "rebuilding";
    const refused = (await a
      .startStep(
        { instance: s1!, step: { kind: "stop", impact: "reboot", params: { reason: "power" } }, inputs: {} },
        signal,
      )
      .catch((e: unknown) => e)) as CloudError;
    errors.push(refused.message);
    expect(refused.details).toMatchObject({
      provider: "dc1",
      status: 409,
      cloudCode: "conflictingRequest",
      operation: "POST /servers/{id}/action os-stop",
    });
    expect(refused.details.requestId).toMatch(/^req-/);
    expect(refused.message).toContain("while it is in task_state rebuilding");
  });
});

describe("resolveImages", () => {
  it("resolves by id and by name (paginated), reports missing (with names it has) and ambiguous, and caches per run", async () => {
    fake.images.push(
      { id: "i1", name: "ubuntu-24.04", os_distro: "ubuntu" },
      { id: "i2", name: "dup" },
      { id: "i3", name: "dup" },
    );
    const { a } = adapter();
    const refs = [
      { name: "ubuntu-24.04" },
      { name: "dup" },
      { name: "nope" },
      { id: "i1" },
      { id: "missing" },
      { name: "ubuntu-24.04" },
    ];
    const results = await a.resolveImages(refs, signal);
    expect(results.map((r) => r.result)).toEqual([
      { type: "found", id: "i1", name: "ubuntu-24.04", properties: { os_distro: "ubuntu" } },
      { type: "error", message: "image name dup is ambiguous: ids i2, i3" },
      // One more listing, only for a name not found: the names a suggestion is drawn from (the fake pages by one).
      { type: "error", message: "no image named nope", known: ["ubuntu-24.04"] },
      { type: "found", id: "i1", name: "ubuntu-24.04", properties: { os_distro: "ubuntu" } },
      { type: "error", message: "image id missing not found" },
      { type: "found", id: "i1", name: "ubuntu-24.04", properties: { os_distro: "ubuntu" } },
    ]);
    const imageCalls = () => fake.seen.filter((r) => r.url.startsWith("/image/")).length;
    expect(imageCalls()).toBe(1 + 2 + 1 + 1 + 1 + 1);
    await a.resolveImages(refs, signal);
    expect(imageCalls()).toBe(7);
  });
});

describe("connections and secrets", () => {
  it("accepts an explicit connection (the simulator's), warns when TLS verification is off", async () => {
    fake.servers.set("s1", makeServer(1, { id: "s1" }));
    const { a, warnings } = adapter({
      connection: {
        authUrl: fake.identity,
        auth: { type: "password", username: "admin", password: new Secret(PASSWORD), projectName: "demo" },
        verify: false,
      },
      readFile: async () => Promise.reject(new Error("not used")),
    });
    expect(await a.listInstances({ selectors: [] }, signal)).toHaveLength(1);
    expect(warnings.join()).toMatch(/TLS certificate verification is turned off/);
  });

  it("never puts the password or token in errors or debug lines", async () => {
    const { a } = adapter({
      connection: {
        authUrl: fake.identity,
        auth: { type: "password", username: "admin", password: new Secret(`${PASSWORD}-typo`), projectName: "demo" },
      },
    });
    const error = (await a.listInstances({ selectors: [] }, signal).catch((e: unknown) => e)) as CloudError;
    errors.push(error.message, JSON.stringify(error), error.stack ?? "");
    expect(error.code).toBe("AUTH_ERROR");
    expect(error.message).toContain("The request you have made requires authentication.");
    expect(debugLines.some((l) => l.includes("POST") && l.includes("/v3/auth/tokens") && l.includes("401"))).toBe(true);
    expect(`${errors.join()}${debugLines.join()}`).not.toContain(`${PASSWORD}-typo`);
  });
});
