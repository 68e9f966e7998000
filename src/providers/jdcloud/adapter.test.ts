import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/emulator.js";
import type { Emulator } from "../../emulator/types.js";
import { parseWorld } from "../../emulator/world.js";
import type { Step } from "../../model/action.js";
import { AmbiguousError, CloudError, ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { OperationHandle, OperationQuery } from "../../model/operation.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { userDataSha256 } from "../../model/user-data.js";
import { sendJson, startTestServer } from "../http/test-server.js";
import type { JdCloudAdapterOptions } from "./adapter.js";
import { createJdCloudAdapter } from "./adapter.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { systemClock } from "../../runtime/clock.js";
import type { Settled } from "../../apply/poller.js";
import { OperationPoller } from "../../apply/poller.js";

const AK = "ADAPTERAK";
const SK = "Adapter-Secret-Key-Never-Shown";
const PASSWORD = "Rebuild-Pa55-Never-Shown";
const BULK = 230;
const WORLD = `jdcloud:
  region: cn-east-2
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: ubuntu-22.04, id: img-old }, { name: ubuntu-24.04, id: img-new }, { name: dup, id: img-d1 }, { name: dup, id: img-d2, source: public }, { name: centos-7, id: img-pub, source: public }]
  keypairs: [{ name: kp1 }]
  instances:
${Array.from({ length: BULK }, (_, n) => `    - { name: vm-${n}, id: i-${String(n).padStart(4, "0")}, image: img-old, keyPair: kp1, metadata: { n: "${n}" }${n === 0 ? ', userData: "#!/bin/bash\\necho hi\\n"' : ""} }`).join("\n")}
`;

/** Virtual time from now (the emulator checks x-jdcloud-date): a 409 is waited out at once. */
const clock = instantClock(Date.now());
const signal = new AbortController().signal;
const debug: string[] = [];
const errors: string[] = [];
const adapters: ProviderAdapter[] = [];
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    timings: { stop: 400, start: 30, reboot: 30, rebuild: 60 },
  });
});
afterAll(async () => {
  for (const a of adapters) await a.close();
  await emulator.close();
  const all = `${debug.join("\n")}\n${errors.join("\n")}`;
  expect(all).not.toContain(SK);
  expect(all).not.toContain(PASSWORD);
});
beforeEach(() => {
  for (const key of Object.keys(emulator.stats.byRoute)) delete (emulator.stats.byRoute as Record<string, number>)[key];
});

function options(patch: Partial<JdCloudAdapterOptions> = {}): JdCloudAdapterOptions {
  return {
    name: "jd",
    settings: { region: "cn-east-2", endpoint: emulator.urls.jdcloud },
    env: { JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK },
    cwd: "/fleet",
    homeDir: "/home/u",
    readFile: () => Promise.reject(new Error("no files")),
    clock,
    warn: () => undefined,
    debug: (line) => debug.push(line),
    settleGraceMs: 1000,
    ...patch,
  };
}

function adapter(patch: Partial<JdCloudAdapterOptions> = {}): ProviderAdapter {
  const a = createJdCloudAdapter(options(patch));
  adapters.push(a);
  return a;
}

function calls(path: "instances" | "instancesCustomData"): number {
  return emulator.stats.byRoute[`GET /jdcloud/v1/regions/cn-east-2/${path}`] ?? 0;
}

async function one(a: ProviderAdapter, id: string): Promise<ObservedInstance> {
  const [found] = await a.listInstances({ selectors: [{ id }] }, signal);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

/**
 * Follows the steps as apply does (its poller, a poll every 10 ms). `confirming`: polls on which apply asked for whole
 * instances, because they could confirm a step done.
 */
async function settle(
  a: ProviderAdapter,
  handles: readonly OperationHandle[],
): Promise<{ statuses: Settled[]; polls: number; confirming: number }> {
  let confirming = 0;
  const counting: ProviderAdapter = {
    name: a.name,
    type: a.type,
    ...(a.operationRules ? { operationRules: a.operationRules } : {}),
    capabilities: (s) => a.capabilities(s),
    resolveImages: (refs, s) => a.resolveImages(refs, s),
    findKeyPairs: (names, s) => a.findKeyPairs(names, s),
    listInstances: (req, s) => a.listInstances(req, s),
    startStep: (req, s) => a.startStep(req, s),
    pollOperations: (queries: readonly OperationQuery[], s) => {
      if (queries.some((q) => q.complete)) confirming++;
      return a.pollOperations(queries, s);
    },
    close: () => a.close(),
  };
  const poller = new OperationPoller(counting, { clock: systemClock, intervalMs: 10, signal });
  const statuses = await Promise.all(handles.map((h) => poller.wait(h, 30_000)));
  return { statuses, polls: poller.polls, confirming };
}

const stop: Step = { kind: "stop", impact: "reboot", params: { reason: "prerequisite" } };

describe("JD Cloud adapter configuration", () => {
  it("takes keys from JDC_ACCESS_KEY / JDC_SECRET_KEY and the region from JDC_REGION when the fleet file has none", async () => {
    const a = adapter({
      settings: { endpoint: emulator.urls.jdcloud },
      env: { JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK, JDC_REGION: "cn-east-2" },
    });
    expect((await one(a, "i-0001")).name).toBe("vm-1");
  });

  it("says which variable is missing, and never shows the secret key", () => {
    expect(() => createJdCloudAdapter(options({ env: { JDC_ACCESS_KEY: AK } }))).toThrow(
      /JDC_ACCESS_KEY and JDC_SECRET_KEY/,
    );
    expect(() =>
      createJdCloudAdapter(options({ settings: {}, env: { JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK } })),
    ).toThrow(ReformError);
    try {
      createJdCloudAdapter(options({ settings: {}, env: { JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: SK } }));
    } catch (error) {
      expect(String(error)).toMatch(/no region/);
      expect(String(error)).not.toContain(SK);
    }
  });

  it("surfaces the gateway's refusal of a wrong key in JD's envelope", async () => {
    const a = adapter({ env: { JDC_ACCESS_KEY: AK, JDC_SECRET_KEY: "wrong" } });
    const error = await a.listInstances({ selectors: [] }, signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    expect((error as CloudError).details).toMatchObject({ status: 401, cloudCode: "APIGW_SIGN_RESULT_NOT_SAME" });
    expect((error as CloudError).details.requestId).toMatch(/^req-/);
  });
});

describe("JD Cloud bulk reads", () => {
  it("reads every VM in pages of 100 and their custom data ten per call: the fewest calls the API allows", async () => {
    const all = await adapter().listInstances({ selectors: [] }, signal);
    expect(all).toHaveLength(BULK);
    expect(calls("instances")).toBe(Math.ceil(BULK / 100));
    expect(calls("instancesCustomData")).toBe(Math.ceil(BULK / 10));
    const first = all.find((i) => i.id === "i-0000")!;
    expect(first).toMatchObject({
      name: "vm-0",
      status: "active",
      power: "running",
      imageId: "img-old",
      keyPair: "kp1",
      metadata: { n: "0" },
    });
    expect(first.userDataSha256).toEqual({ known: true, value: userDataSha256("#!/bin/bash\necho hi\n") });
  });

  it("filters by instanceId for known VMs: 15 ids, one describeInstances and two custom-data calls", async () => {
    const ids = Array.from({ length: 15 }, (_, n) => `i-${String(n * 7).padStart(4, "0")}`);
    const found = await adapter().listInstances({ selectors: ids.map((id) => ({ id })) }, signal);
    expect(found.map((i) => i.id).sort()).toEqual([...ids].sort());
    expect(calls("instances")).toBe(1);
    expect(calls("instancesCustomData")).toBe(2);
  });

  it("resolves images by id (ids.N) and by name across every imageSource, and names ambiguity", async () => {
    const res = await adapter().resolveImages(
      [
        { name: "ubuntu-24.04" },
        { id: "img-old" },
        { name: "dup" },
        { name: "nope" },
        { name: "centos-7" },
        { id: "img-gone" },
      ],
      signal,
    );
    expect(res.map((r) => r.result.type)).toEqual(["found", "found", "error", "error", "found", "error"]);
    expect(res[2]!.result).toMatchObject({ message: expect.stringMatching(/ambiguous: img-d1, img-d2/) as unknown });
    expect(res[4]!.result).toMatchObject({ id: "img-pub" });
    expect(res[3]!.result).toMatchObject({
      message: 'no JD Cloud image with name "nope"',
      known: expect.arrayContaining(["ubuntu-24.04", "dup", "centos-7"]) as unknown,
    });
    // one call for the ids, one per image source (private, shared, public, thirdparty) for the names
    expect(emulator.stats.byRoute["GET /jdcloud/v1/regions/cn-east-2/images"]).toBe(5);
  });
});

describe("JD Cloud steps and polling", () => {
  it("polls all in-flight VMs with one describeInstances per poll, and reads custom data only on a poll that can confirm them done", async () => {
    const a = adapter();
    const ids = ["i-0100", "i-0101", "i-0102", "i-0103"];
    const handles: OperationHandle[] = [];
    const before = await a.listInstances({ selectors: ids.map((id) => ({ id })) }, signal);
    for (const instance of before) handles.push(await a.startStep({ instance, step: stop, inputs: {} }, signal));
    for (const key of Object.keys(emulator.stats.byRoute))
      delete (emulator.stats.byRoute as Record<string, number>)[key];
    const seen = await a.pollOperations(
      handles.map((handle) => ({ handle, readJob: true, complete: false })),
      signal,
    );
    expect(seen.map((s) => s.instance?.rawStatus)).toEqual(["stopping", "stopping", "stopping", "stopping"]);
    expect(calls("instances")).toBe(1);
    expect(calls("instancesCustomData")).toBe(0);
    const { statuses, polls, confirming } = await settle(a, handles);
    expect(statuses.map((s) => s.type)).toEqual(["done", "done", "done", "done"]);
    expect(statuses.map((s) => (s.type === "done" ? s.instance.metadata["n"] : ""))).toEqual([
      "100",
      "101",
      "102",
      "103",
    ]);
    expect(calls("instances")).toBe(polls + 1);
    expect(confirming).toBeGreaterThan(0);
    expect(calls("instancesCustomData")).toBe(confirming);
  });

  it("rebuilds with the password in the body only, then sees rebuilding → stopped", async () => {
    const a = adapter();
    const stopped = await one(a, "i-0100");
    const full = { ...stopped.metadata, role: "x" };
    const step: Step = {
      kind: "rebuild",
      impact: "reprovision",
      params: { imageId: "img-new", metadata: { set: { role: "x" }, remove: [], full }, keepStopped: true },
    };
    const handle = await a.startStep({ instance: stopped, step, inputs: { password: new Secret(PASSWORD) } }, signal);
    const { statuses } = await settle(a, [handle]);
    expect(statuses[0]).toMatchObject({
      type: "done",
      instance: { status: "stopped", imageId: "img-new", keyPair: "kp1", metadata: { n: "100", role: "x" } },
    });
  });

  it("a refused rebuild carries JD's status word, message and request id, and where the VM is after the refusal", async () => {
    const a = adapter();
    const running = await one(a, "i-0200");
    const step: Step = {
      kind: "rebuild",
      impact: "reprovision",
      params: { imageId: "img-new", metadata: { set: {}, remove: [], full: {} }, keepStopped: false },
    };
    const error = await a
      .startStep({ instance: running, step, inputs: { password: new Secret(PASSWORD) } }, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    const details = (error as CloudError).details;
    errors.push(String(error));
    expect(details).toMatchObject({ status: 400, cloudCode: "FAILED_PRECONDITION" });
    expect(details.requestId).toMatch(/^req-/);
    expect(details.cloudMessage).toMatch(
      /must be stopped, it is running; after the refusal the VM i-0200 is running with image img-old/,
    );
  });
});

describe("JD Cloud mutations whose answer is lost", () => {
  it("are not retried blindly: the VM is read back, and a stop it shows is taken as accepted", async () => {
    const lossy = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { stop: 400 },
      faults: { ambiguousRate: 1 },
    });
    try {
      const a = adapter({ settings: { region: "cn-east-2", endpoint: lossy.urls.jdcloud } });
      const handle = await a.startStep({ instance: await one(a, "i-0005"), step: stop, inputs: {} }, signal);
      expect(handle).toMatchObject({ instanceId: "i-0005", step: "stop" });
      expect(lossy.stats.actions.filter((x) => x.serverId === "i-0005").map((x) => x.action)).toEqual(["stop"]);
      const metadata: Step = {
        kind: "update-metadata",
        impact: "none",
        params: { metadata: { set: { a: "1" }, remove: [], full: { a: "1" } } },
      };
      await expect(
        a.startStep({ instance: await one(a, "i-0006"), step: metadata, inputs: {} }, signal),
      ).rejects.toBeInstanceOf(AmbiguousError);
    } finally {
      await lossy.close();
    }
  });
});

describe("JD Cloud custom data left out", () => {
  it("is an error naming the VM, not an empty metadata map a full-map write would act on", async () => {
    const server = await startTestServer((req, res) =>
      req.url.includes("/instancesCustomData")
        ? sendJson(res, 200, {
            requestId: "r",
            result: {
              customData: [{ instanceId: "i-a", metadata: [{ key: "k", value: "v" }], userdata: [] }],
              totalCount: 1,
            },
          })
        : sendJson(res, 200, {
            requestId: "r",
            result: {
              instances: [
                { instanceId: "i-a", instanceName: "a", status: "running" },
                { instanceId: "i-b", instanceName: "b", status: "running" },
              ],
              totalCount: 2,
            },
          }),
    );
    try {
      const a = adapter({ settings: { region: "cn-east-2", endpoint: server.url } });
      const error = await a.listInstances({ selectors: [] }, signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudError);
      expect(String(error)).toMatch(/no metadata and user data returned for i-b \(b\)/);
    } finally {
      await server.close();
    }
  });
});
