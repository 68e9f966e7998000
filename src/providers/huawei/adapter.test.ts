import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import type { Clock } from "../../model/clock.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { OperationPoller } from "../../apply/poller.js";
import { systemClock } from "../../runtime/clock.js";
import { CloudError, ReformError } from "../../model/errors.js";
import type { SeenRequest, TestServer } from "../http/test-server.js";
import { sendJson, startTestServer } from "../http/test-server.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { testRuntime } from "../test-support.js";
import { createHuaweiAdapter } from "./adapter.js";

const P = "0123456789abcdef0123456789abcdef";
const ENV = { HW_ACCESS_KEY: "AKADAPTER", HW_SECRET_KEY: "SK-adapter-secret", HW_USER_ID: "u-1" };
const SERVERS = 2030;
/** Two more servers than the numbered ones: a busy one and one in ERROR. */
const TOTAL = SERVERS + 2;

function world(): string {
  const servers = Array.from(
    { length: SERVERS },
    (_, i) => `    - { name: vm-${String(i).padStart(4, "0")}, id: vm-${i}, image: euler, keyPair: ops }`,
  ).join("\n");
  return `huaweicloud:
  projectId: ${P}
  userId: u-1
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${ENV.HW_SECRET_KEY} }]
  images: [{ name: euler, id: img-euler }, { name: legacy, id: img-legacy, cloudInit: false }]
  keypairs: [{ name: ops }, { name: ops-2 }]
  servers:
${servers}
    - { name: busy, id: busy-1, image: euler, keyPair: ops, busyFor: 1h }
    - { name: broken, id: err-1, image: euler, keyPair: ops, status: ERROR, fault: boom }
`;
}

function adapterWith(clock: Clock, settings: Record<string, unknown>, debug?: (line: string) => void): ProviderAdapter {
  return createHuaweiAdapter({
    name: "hw",
    settings: { region: "r", projectId: P, endpoint: emulator.urls.huaweicloud, ...settings },
    ...testRuntime(ENV, clock),
    ...(debug ? { debug } : {}),
  });
}

let emulator: Emulator;

describe("Huawei adapter against the emulator", () => {
  let adapter: ProviderAdapter;
  const lines: string[] = [];
  const signal = new AbortController().signal;
  const requests = (pattern: RegExp) => lines.filter((l) => pattern.test(l));

  beforeAll(async () => {
    emulator = await startEmulator({
      world: parseWorld(world(), "world.yaml"),
      timings: { reinstall: 200, reboot: 50, stop: 30, start: 30, rebuild: 200 },
    });
    adapter = adapterWith(systemClock, { pollIntervalMs: 20 }, (line) => lines.push(line));
  });
  afterAll(async () => {
    await adapter.close();
    await emulator.close();
  });

  it("reads every server in pages of 1000 (the API's largest), offset being the page number", async () => {
    lines.length = 0;
    const shown: (readonly ObservedInstance[])[] = [];
    const servers = await adapter.listInstances({ selectors: [], onPage: (page) => shown.push(page) }, signal);
    expect(servers).toHaveLength(TOTAL);
    // Each page's servers are shown as it is read: the listing's own objects, in its order.
    expect(shown.map((page) => page.length)).toEqual([1000, 1000, TOTAL - 2000]);
    shown.flat().forEach((server, i) => expect(server).toBe(servers[i]));
    const pages = requests(/cloudservers\/detail/);
    expect(pages).toHaveLength(Math.ceil(TOTAL / 1000));
    expect(pages.every((l) => /limit=1000/.test(l))).toBe(true);
    expect(pages.map((l) => /offset=(\d+)/.exec(l)?.[1])).toEqual(["1", "2", "3"]);
  });

  it("reads servers named by id with repeated server_id filters, 100 per call", async () => {
    lines.length = 0;
    const ids = Array.from({ length: 150 }, (_, i) => ({ id: `vm-${i}` }));
    const servers = await adapter.listInstances({ selectors: ids }, signal);
    expect(servers.map((s) => s.id).sort()).toEqual(ids.map((s) => s.id).sort());
    const calls = requests(/cloudservers\/detail/);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.match(/server_id=/g)).toHaveLength(100);
  });

  it("polls many operations with one bulk server read, asking about jobs only once servers look settled", async () => {
    const targets = (
      await adapter.listInstances({ selectors: Array.from({ length: 20 }, (_, i) => ({ id: `vm-${i}` })) }, signal)
    ).slice();
    const step: Step = {
      kind: "reinstall",
      impact: "reprovision",
      params: {
        imageId: "img-euler",
        keyPair: "ops-2",
        metadata: { set: {}, remove: [], full: {} },
        keepStopped: false,
      },
    };
    const handles = await Promise.all(
      targets.map((instance) => adapter.startStep({ instance, step, inputs: {} }, signal)),
    );
    expect(handles.filter((h) => typeof h.jobId !== "string")).toEqual([]);
    lines.length = 0;
    const poller = new OperationPoller(adapter, { clock: systemClock, intervalMs: 25, signal });
    const done = await Promise.all(handles.map((h) => poller.wait(h, 30_000)));
    const polls = poller.polls;
    expect(polls).toBeGreaterThan(1);
    expect(done.map((s) => s.type)).toEqual(handles.map(() => "done"));
    // One bulk server read per poll, whatever the number of operations; each job read once, when its server settled.
    expect(requests(/cloudservers\/detail/)).toHaveLength(polls);
    expect(requests(/\/jobs\//)).toHaveLength(handles.length);
    for (const status of done) if (status.type === "done") expect(status.instance.keyPair).toBe("ops-2");
  });

  it("declares its capabilities: changeos for images, reinstall for key pair and user_data, no reinstall in ERROR, Huawei's system keys", async () => {
    const caps = await adapter.capabilities(signal);
    expect(caps).toMatchObject({
      imageChangeStep: "changeos",
      sameImageStep: "reinstall",
      reprovisionInError: false,
      reprovisionStartsStopped: true,
      reprovisionRequiresStopped: false,
    });
    expect(caps.systemMetadataKeys).toEqual(expect.arrayContaining(["image_name", "metering.*", "virtual_env_type"]));
    expect(caps.description).toMatch(/__support_cloudinit/);
  });

  it("resolves images by name with their properties, and tells a missing one with the names IMS lists", async () => {
    const [found, missing] = await adapter.resolveImages([{ name: "legacy" }, { name: "nope" }], signal);
    expect(found?.result).toMatchObject({
      type: "found",
      id: "img-legacy",
      properties: { __support_cloudinit: "false" },
    });
    expect(missing?.result).toEqual({ type: "error", message: "no image with name nope", known: ["euler", "legacy"] });
  });

  it("waits out a busy server (400 Ecs.0100) with exponential backoff, and gives up after busyTimeoutMs", async () => {
    const clock = instantClock(Date.now());
    const patient = adapterWith(clock, { pollIntervalMs: 100, busyTimeoutMs: 5000 });
    try {
      const [busy] = await patient.listInstances({ selectors: [{ id: "busy-1" }] }, signal);
      const step: Step = { kind: "reboot", impact: "reboot", params: { type: "SOFT" } };
      const error = await patient.startStep({ instance: busy!, step, inputs: {} }, signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudError);
      expect((error as CloudError).details.cloudCode).toBe("Ecs.0100");
      expect(clock.slept).toEqual([100, 200, 400, 800, 1600]);
    } finally {
      await patient.close();
    }
  });

  it("does not wait when the server is in ERROR: Ecs.0100 there is final", async () => {
    const clock = instantClock(Date.now());
    const patient = adapterWith(clock, { pollIntervalMs: 100 });
    try {
      const [broken] = await patient.listInstances({ selectors: [{ id: "err-1" }] }, signal);
      expect(broken?.status).toBe("error");
      const step: Step = {
        kind: "reinstall",
        impact: "reprovision",
        params: {
          imageId: "img-euler",
          keyPair: "ops-2",
          metadata: { set: {}, remove: [], full: {} },
          keepStopped: false,
        },
      };
      const error = await patient.startStep({ instance: broken!, step, inputs: {} }, signal).catch((e: unknown) => e);
      expect((error as CloudError).details.cloudCode).toBe("Ecs.0100");
      expect(clock.slept).toEqual([]);
    } finally {
      await patient.close();
    }
  });
});

/** A loopback proxy in front of the emulator that records each request as sent (the Host header kept, so signatures still verify). */
function recordingProxy(target: string): Promise<TestServer> {
  const origin = new URL(target);
  return startTestServer(
    (seen, res) =>
      new Promise<void>((done, fail) => {
        const forward = request(
          { host: origin.hostname, port: origin.port, method: seen.method, path: seen.url, headers: seen.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res).on("finish", done);
          },
        );
        forward.on("error", fail);
        forward.end(seen.body);
      }),
  );
}

describe("Huawei adapter without a configured project id", () => {
  const PROJECT = "f00dfeedf00dfeedf00dfeedf00dfeed";
  const KEYS = { HW_ACCESS_KEY: "AKLOOKUP", HW_SECRET_KEY: "SK-lookup-secret-Kn0wn" };
  const signal = new AbortController().signal;
  let cloud: Emulator;
  let proxy: TestServer;

  const lookupAdapter = (
    endpoint: string,
    settings: Record<string, unknown>,
    env: Record<string, string> = KEYS,
  ): ProviderAdapter =>
    createHuaweiAdapter({ name: "hw", settings: { endpoint, pollIntervalMs: 20, ...settings }, ...testRuntime(env) });
  const path = (r: SeenRequest) => new URL(r.url, "http://x").pathname;
  const failure = async (work: Promise<unknown>): Promise<unknown> =>
    work.then(
      () => new Error("no failure"),
      (e: unknown) => e,
    );

  beforeAll(async () => {
    const world = `huaweicloud:
  projectId: ${PROJECT}
  region: cn-north-4
  userId: u-1
  credentials: [{ accessKey: ${KEYS.HW_ACCESS_KEY}, secretKey: ${KEYS.HW_SECRET_KEY} }]
  images: [{ name: euler, id: img-euler }]
  keypairs: [{ name: ops }]
  servers: [{ name: web-1, id: web-1, image: euler, keyPair: ops }]
`;
    cloud = await startEmulator({
      world: parseWorld(world, "world.yaml"),
      timings: { reinstall: 50, reboot: 20, stop: 20, start: 20, rebuild: 50 },
    });
    proxy = await recordingProxy(cloud.urls.huaweicloud);
  });
  afterAll(async () => {
    await proxy.close();
    await cloud.close();
  });

  it("asks IAM once, unsigned by any project, then uses the project as the path segment and X-Project-Id of every call", async () => {
    proxy.seen.length = 0;
    const adapter = lookupAdapter(`${proxy.url}/huaweicloud`, { region: "cn-north-4" });
    try {
      // Concurrent first calls share the one lookup.
      const [servers, images] = await Promise.all([
        adapter.listInstances({ selectors: [] }, signal),
        adapter.resolveImages([{ name: "euler" }], signal),
      ]);
      expect(servers.map((s) => s.id)).toEqual(["web-1"]);
      expect(images[0]?.result).toMatchObject({ type: "found", id: "img-euler" });
      const [web] = await adapter.listInstances({ selectors: [{ id: "web-1" }] }, signal);
      const step: Step = {
        kind: "update-metadata",
        impact: "none",
        params: { metadata: { set: { role: "web" }, remove: [], full: { role: "web" } } },
      };
      await adapter.startStep({ instance: web!, step, inputs: {} }, signal);

      const lookups = proxy.seen.filter((r) => path(r) === "/huaweicloud/v3/projects");
      expect(lookups).toHaveLength(1);
      expect(new URL(lookups[0]!.url, "http://x").searchParams.get("name")).toBe("cn-north-4");
      expect(lookups[0]!.headers["x-project-id"]).toBeUndefined();
      expect(lookups[0]!.headers["authorization"]).toMatch(
        /^SDK-HMAC-SHA256 Access=AKLOOKUP, SignedHeaders=content-type;host;x-sdk-date,/,
      );
      const others = proxy.seen.filter((r) => !lookups.includes(r));
      expect(others.map((r) => `${r.method} ${path(r)}`)).toEqual(
        expect.arrayContaining([
          `GET /huaweicloud/v1/${PROJECT}/cloudservers/detail`,
          "GET /huaweicloud/v2/cloudimages",
          `POST /huaweicloud/v1/${PROJECT}/cloudservers/web-1/metadata`,
        ]),
      );
      expect(others).toHaveLength(4);
      for (const r of others) {
        expect(r.headers["x-project-id"]).toBe(PROJECT);
        expect(r.headers["authorization"]).toContain("x-project-id");
      }
      expect(cloud.snapshot().huaweicloud?.servers[0]?.metadata["role"]).toBe("web");
    } finally {
      await adapter.close();
    }
  });

  it("asks nothing of IAM when the project id is configured", async () => {
    proxy.seen.length = 0;
    const adapter = lookupAdapter(
      `${proxy.url}/huaweicloud`,
      { region: "cn-north-4" },
      { ...KEYS, HW_PROJECT_ID: PROJECT },
    );
    try {
      await adapter.listInstances({ selectors: [] }, signal);
      expect(proxy.seen.map(path)).toEqual([`/huaweicloud/v1/${PROJECT}/cloudservers/detail`]);
    } finally {
      await adapter.close();
    }
  });

  it("refuses a region IAM has no project for, naming it and the settings, before any ECS call", async () => {
    proxy.seen.length = 0;
    const adapter = lookupAdapter(`${proxy.url}/huaweicloud`, { region: "eu-west-101" });
    try {
      const error = await failure(adapter.listInstances({ selectors: [] }, signal));
      expect(error).toBeInstanceOf(ReformError);
      expect(error).not.toBeInstanceOf(CloudError);
      expect((error as ReformError).code).toBe("AUTH_ERROR");
      expect((error as Error).message).toBe(
        "provider hw (huaweicloud): IAM lists no project for region eu-west-101, so the project id is unknown: set projectId in the provider or HW_PROJECT_ID",
      );
      expect(proxy.seen.map(path)).toEqual(["/huaweicloud/v3/projects"]);
    } finally {
      await adapter.close();
    }
  });

  it("fails with the emulator's 401 when the lookup is signed with a wrong secret key, keeping Huawei's code and request id, never the key", async () => {
    const adapter = lookupAdapter(
      cloud.urls.huaweicloud,
      { region: "cn-north-4" },
      { ...KEYS, HW_SECRET_KEY: "Wrong-Secret-Kn0wn" },
    );
    try {
      const error = await failure(adapter.listInstances({ selectors: [] }, signal));
      expect(error).toBeInstanceOf(CloudError);
      const details = (error as CloudError).details;
      expect(details).toMatchObject({ status: 401, cloudCode: "APIGW.0301", operation: "GET /v3/projects" });
      expect(details.cloudMessage).toContain("signature mismatch");
      expect(details.requestId).toMatch(/^[0-9a-f]+$/);
      expect((error as CloudError).code).toBe("AUTH_ERROR");
      expect((error as Error).message).not.toContain("Wrong-Secret-Kn0wn");
      expect((error as Error).message).not.toContain(KEYS.HW_SECRET_KEY);
    } finally {
      await adapter.close();
    }
  });

  it("refuses several projects of the region, listing their ids, and asks again on the next call", async () => {
    const iam = await startTestServer((_req, res) =>
      sendJson(
        res,
        200,
        {
          projects: [
            { id: "p-1", name: "cn-north-4" },
            { id: "p-2", name: "cn-north-4" },
          ],
        },
        { "x-request-id": "iam-1" },
      ),
    );
    const adapter = lookupAdapter(cloud.urls.huaweicloud, { region: "cn-north-4", iamEndpoint: iam.url });
    try {
      for (let call = 0; call < 2; call++) {
        const error = await failure(adapter.listInstances({ selectors: [] }, signal));
        expect((error as ReformError).code).toBe("AUTH_ERROR");
        expect((error as Error).message).toBe(
          "provider hw (huaweicloud): IAM lists 2 projects for region cn-north-4 (p-1, p-2): set projectId in the provider or HW_PROJECT_ID to the one to use",
        );
      }
      expect(iam.seen.map((r) => r.url)).toEqual(["/v3/projects?name=cn-north-4", "/v3/projects?name=cn-north-4"]);
    } finally {
      await adapter.close();
      await iam.close();
    }
  });
});
