import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jdDate, signJdRequest } from "../../providers/jdcloud/sign.js";
import { startEmulator } from "../emulator.js";
import type { Emulator } from "../types.js";
import { parseWorld } from "../world.js";

const AK = "EMUAK";
const SK = "EMU-SECRET";
const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${AK}, secretKey: ${SK} }]
  images: [{ name: ubuntu-22.04, id: img-old }, { name: ubuntu-24.04, id: img-new }]
  keypairs: [{ name: kp1 }]
  instances:
    - { name: run-1, id: i-run1, image: img-old, keyPair: kp1, metadata: { role: web } }
    - { name: stop-1, id: i-stop1, image: img-old, status: stopped }
    - { name: stop-2, id: i-stop2, image: img-old, keyPair: kp1, status: stopped }
${Array.from({ length: 23 }, (_, n) => `    - { name: bulk-${n}, id: i-bulk${String(n).padStart(2, "0")}, image: img-old }`).join("\n")}
`;

interface Envelope {
  readonly requestId?: string;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly status: string; readonly message: string };
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({
    world: parseWorld(WORLD, "world.yaml"),
    timings: { stop: 250, start: 250, reboot: 250, rebuild: 250 },
  });
});
afterAll(async () => emulator.close());

/** A request signed like jdcloud-sdk-js does; `nonce` fixed to test replays. */
function signed(
  method: string,
  path: string,
  body?: string,
  nonce: string = randomUUID(),
  secret = SK,
  at = Date.now(),
): { url: URL; init: RequestInit } {
  const url = new URL(`${emulator.urls.jdcloud}${path}`);
  const headers = { accept: "application/json", "content-type": "application/json" };
  const sig = signJdRequest(
    { method, url, headers, body, date: jdDate(at), nonce, region: "cn-north-1" },
    { accessKey: AK, secretKey: secret },
  );
  return { url, init: { method, headers: { ...headers, ...sig.headers }, ...(body === undefined ? {} : { body }) } };
}

async function call(
  method: string,
  path: string,
  body?: string,
  nonce?: string,
): Promise<{ status: number; json: Envelope; requestId: string | null }> {
  const { url, init } = signed(method, path, body, nonce);
  const res = await fetch(url, init);
  return {
    status: res.status,
    json: (await res.json()) as Envelope,
    requestId: res.headers.get("x-jdcloud-request-id"),
  };
}

const act = (id: string, verb: string, body = "{}") =>
  call("POST", `/v1/regions/cn-north-1/instances/${id}%3A${verb}`, body);
const statusOf = async (id: string) =>
  (await call("GET", `/v1/regions/cn-north-1/instances/${id}`)).json.result?.["instance"] as {
    status: string;
    imageId: string;
    keyNames: string[];
  };

async function until(id: string, status: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 400; i++) {
    const now = (await statusOf(id)).status;
    if (seen.at(-1) !== now) seen.push(now);
    if (now === status) return seen;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${id} never reached ${status}: ${seen.join(" → ")}`);
}

describe("the emulated JD Cloud gateway", () => {
  it("answers in JD's envelope with the request id in the body and the x-jdcloud-request-id header", async () => {
    const ok = await call("GET", "/v1/regions/cn-north-1/instances/i-run1");
    expect(ok.status).toBe(200);
    expect(ok.json.requestId).toBe(ok.requestId);
    expect(ok.json.result?.["instance"]).toMatchObject({
      instanceId: "i-run1",
      status: "running",
      imageId: "img-old",
      keyNames: ["kp1"],
    });
    const missing = await call("GET", "/v1/regions/cn-north-1/instances/i-nope");
    expect(missing).toMatchObject({ status: 404, json: { error: { code: 404, status: "RESOURCE_NOT_EXIST" } } });
    expect(missing.json.requestId).toBe(missing.requestId);
  });

  it("rejects a replayed nonce with 403 APIGW_NONCE_CONFLICT, and a wrong secret with APIGW_SIGN_RESULT_NOT_SAME", async () => {
    const nonce = randomUUID();
    expect((await call("GET", "/v1/regions/cn-north-1/instances/i-run1", undefined, nonce)).status).toBe(200);
    const replay = await call("GET", "/v1/regions/cn-north-1/instances/i-run1", undefined, nonce);
    expect(replay).toMatchObject({ status: 403, json: { error: { status: "APIGW_NONCE_CONFLICT" } } });
    const { url, init } = signed(
      "GET",
      "/v1/regions/cn-north-1/instances/i-run1",
      undefined,
      randomUUID(),
      "not-the-secret",
    );
    const res = await fetch(url, init);
    expect(res.status).toBe(401);
    expect(((await res.json()) as Envelope).error?.status).toBe("APIGW_SIGN_RESULT_NOT_SAME");
  });

  it("refuses a correctly signed request whose x-jdcloud-date is an hour off", async () => {
    const { url, init } = signed(
      "GET",
      "/v1/regions/cn-north-1/instances/i-run1",
      undefined,
      randomUUID(),
      SK,
      Date.now() - 3_600_000,
    );
    const res = await fetch(url, init);
    expect(res.status).toBe(401);
    expect(((await res.json()) as Envelope).error?.message).toMatch(/too far from the gateway's time/);
  });

  it("refuses to rebuild a running VM (FAILED_PRECONDITION) and changes nothing", async () => {
    const refused = await act("i-run1", "rebuildInstance", JSON.stringify({ imageId: "img-new", keyNames: ["kp1"] }));
    expect(refused).toMatchObject({ status: 400, json: { error: { code: 400, status: "FAILED_PRECONDITION" } } });
    expect(refused.json.error?.message).toMatch(/must be stopped, it is running/);
    expect(await statusOf("i-run1")).toMatchObject({ status: "running", imageId: "img-old" });
  });

  it("runs the life cycle running → stopping → stopped → rebuilding → stopped → starting → running", async () => {
    const seen: string[] = [];
    const step = async (verb: string, body: string, final: string) => {
      expect((await act("i-run1", verb, body)).json.result).toEqual({});
      seen.push((await statusOf("i-run1")).status, ...(await until("i-run1", final)));
    };
    await step("stopInstance", "{}", "stopped");
    await step("rebuildInstance", JSON.stringify({ imageId: "img-new", keyNames: ["kp1"] }), "stopped");
    await step("startInstance", "{}", "running");
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual([
      "stopping",
      "stopped",
      "rebuilding",
      "stopped",
      "starting",
      "running",
    ]);
    expect(await statusOf("i-run1")).toMatchObject({ imageId: "img-new", keyNames: ["kp1"] });
  });

  it("lists each change as the VM's own GET shows it, though list pages are kept: a stop running and done", async () => {
    const path = "/v1/regions/cn-north-1/instances?pageNumber=1&pageSize=100";
    const listed = async () => {
      const page = await call("GET", path);
      expect(page.json.requestId).toBe(page.requestId);
      return (page.json.result?.["instances"] as { instanceId: string }[]).find((i) => i.instanceId === "i-bulk05");
    };
    const own = async () => (await call("GET", "/v1/regions/cn-north-1/instances/i-bulk05")).json.result?.["instance"];
    expect(await listed()).toEqual(await own());
    expect(await listed()).toMatchObject({ status: "running" });
    expect((await act("i-bulk05", "stopInstance")).status).toBe(200);
    expect(await listed()).toMatchObject({ status: "stopping" });
    await new Promise((r) => setTimeout(r, 300));
    // No request changed anything since: only time ended the stop, and the list follows it.
    expect(await listed()).toMatchObject({ status: "stopped" });
    expect(await listed()).toEqual(await own());
  });

  it("refuses another action while one is in progress (409 CONFLICT)", async () => {
    expect((await act("i-bulk00", "rebootInstance")).status).toBe(200);
    expect(await act("i-bulk00", "stopInstance")).toMatchObject({
      status: 409,
      json: { error: { code: 409, status: "CONFLICT" } },
    });
    await until("i-bulk00", "running");
  });

  it("requires a password when no key pair is given, and checks its rules", async () => {
    const none = await act("i-stop1", "rebuildInstance", JSON.stringify({ imageId: "img-new" }));
    expect(none).toMatchObject({
      status: 400,
      json: { error: { status: "INVALID_ARGUMENT", message: "password is required when no key pair is given" } },
    });
    const weak = await act("i-stop1", "rebuildInstance", JSON.stringify({ imageId: "img-new", password: "weakpass" }));
    expect(weak).toMatchObject({ status: 400, json: { error: { status: "INVALID_ARGUMENT" } } });
    expect(JSON.stringify(weak.json)).not.toContain("weakpass");
    expect(
      (await act("i-stop1", "rebuildInstance", JSON.stringify({ imageId: "img-new", password: "Str0ng-Passw0rd" })))
        .status,
    ).toBe(200);
    await until("i-stop1", "stopped");
    expect(await statusOf("i-stop1")).toMatchObject({ imageId: "img-new", keyNames: [] });
    const keyOnly = await act(
      "i-stop2",
      "rebuildInstance",
      JSON.stringify({
        keyNames: ["kp1"],
        metadata: [{ key: "a", value: "1" }],
        userdata: [{ key: "launch-script", value: "IyEvYmluL2Jhc2gK" }],
      }),
    );
    expect(keyOnly.status).toBe(200);
  });

  it("describeImages needs ids.N or an imageSource, and names the source the JD way", async () => {
    expect((await call("GET", "/v1/regions/cn-north-1/images")).json.error).toMatchObject({
      status: "INVALID_ARGUMENT",
      message: "imageSource is required when no ids are given",
    });
    const byId = await call("GET", "/v1/regions/cn-north-1/images?ids.1=img-new&ids.2=img-nope");
    expect(byId.json.result).toMatchObject({
      totalCount: 1,
      images: [{ imageId: "img-new", name: "ubuntu-24.04", imageSource: "self" }],
    });
    expect((await call("GET", "/v1/regions/cn-north-1/images?imageSource=public")).json.result).toMatchObject({
      totalCount: 0,
    });
    expect((await call("GET", "/v1/regions/cn-north-1/images?imageSource=private")).json.result).toMatchObject({
      totalCount: 2,
    });
  });

  it("describeKeypairs lists the world's key pairs, filtered by keyNames (exact), 10-100 per page", async () => {
    const all = await call("GET", "/v1/regions/cn-north-1/keypairs");
    expect(all.json.result).toMatchObject({
      totalCount: 1,
      keypairs: [
        {
          keyName: "kp1",
          keyFingerprint: expect.stringMatching(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/) as unknown as string,
        },
      ],
    });
    const named = await call(
      "GET",
      "/v1/regions/cn-north-1/keypairs?filters.1.name=keyNames&filters.1.values.1=kp1&filters.1.values.2=kp-gone",
    );
    expect((named.json.result?.["keypairs"] as { keyName: string }[]).map((k) => k.keyName)).toEqual(["kp1"]);
    const none = await call("GET", "/v1/regions/cn-north-1/keypairs?filters.1.name=keyNames&filters.1.values.1=kp");
    expect(none.json.result).toMatchObject({ totalCount: 0, keypairs: [] });
    expect(
      (await call("GET", "/v1/regions/cn-north-1/keypairs?filters.1.name=fingerprint&filters.1.values.1=x")).json.error
        ?.status,
    ).toBe("INVALID_ARGUMENT");
    expect((await call("GET", "/v1/regions/cn-north-1/keypairs?pageSize=101")).json.error?.status).toBe("OUT_OF_RANGE");
  });

  it("pages describeInstances (10-100) and describeInstancesCustomData (1-10), filtered by instanceId", async () => {
    const page = await call("GET", "/v1/regions/cn-north-1/instances?pageNumber=3&pageSize=10");
    expect(page.json.result).toMatchObject({ totalCount: 26 });
    expect((page.json.result?.["instances"] as unknown[]).length).toBe(6);
    expect((await call("GET", "/v1/regions/cn-north-1/instances?pageSize=5")).json.error?.status).toBe("OUT_OF_RANGE");
    expect((await call("GET", "/v1/regions/cn-north-1/instancesCustomData?pageSize=11")).json.error?.status).toBe(
      "OUT_OF_RANGE",
    );
    const ids = "filters.1.name=instanceId&filters.1.values.1=i-run1&filters.1.values.2=i-bulk03";
    const custom = await call("GET", `/v1/regions/cn-north-1/instancesCustomData?pageNumber=1&pageSize=10&${ids}`);
    const entries = custom.json.result?.["customData"] as { instanceId: string; metadata: unknown[] }[];
    expect(entries.map((e) => e.instanceId).sort()).toEqual(["i-bulk03", "i-run1"]);
    expect(entries.find((e) => e.instanceId === "i-run1")?.metadata).toEqual([{ key: "role", value: "web" }]);
  });

  it("answers an instanceId filter in the region's order, once per VM, whatever the order, repeats and unknown ids of the values", async () => {
    const values = ["i-bulk20", "i-stop2", "i-nope", "i-bulk20", "i-run1", "i-bulk02"]
      .map((id, n) => `filters.1.values.${n + 1}=${id}`)
      .join("&");
    const ids = async (path: string) =>
      ((await call("GET", path)).json.result?.["instances"] as { instanceId: string }[]).map((i) => i.instanceId);
    const expected = ["i-run1", "i-stop2", "i-bulk02", "i-bulk20"];
    expect(await ids(`/v1/regions/cn-north-1/instances?pageSize=100&filters.1.name=instanceId&${values}`)).toEqual(
      expected,
    );
    // Combined with another filter, and asked twice (the second answer comes from the emulator's index by id).
    expect(
      await ids(
        `/v1/regions/cn-north-1/instances?pageSize=100&filters.1.name=instanceId&${values}&filters.2.name=status&filters.2.values.1=running`,
      ),
    ).toEqual(["i-run1", "i-bulk02", "i-bulk20"]);
    expect(await ids(`/v1/regions/cn-north-1/instances?pageSize=100&filters.1.name=instanceId&${values}`)).toEqual(
      expected,
    );
  });
});
