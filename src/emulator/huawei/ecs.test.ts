import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Test only: requests are signed with the client's signer, which is proven against the official SDK's vectors apart from the verifier.
import { sdkDate, signRequest } from "../../providers/huawei/sign.js";
import { startEmulator } from "../emulator.js";
import type { Reply } from "../test-client.js";
import { call } from "../test-client.js";
import type { Emulator } from "../types.js";
import { parseWorld } from "../world.js";

const P = "0123456789abcdef0123456789abcdef";
const USER = "7e25b1da389f4697a79df3a0e5bd494e";
const CRED = { accessKey: "AKTEST", secretKey: "SKTEST-secret" };

const WORLD = `huaweicloud:
  projectId: ${P}
  userId: ${USER}
  credentials: [{ accessKey: ${CRED.accessKey}, secretKey: ${CRED.secretKey} }]
  images:
    - { name: euler, id: 22222222-0000-4000-8000-000000000001 }
    - { name: legacy, id: 22222222-0000-4000-8000-000000000002, cloudInit: false }
  keypairs: [{ name: ops }]
  servers:
    - { name: on-1, id: s-on-1, image: euler, keyPair: ops }
    - { name: off-1, id: s-off-1, image: euler, keyPair: ops, status: SHUTOFF }
    - { name: off-2, id: s-off-2, image: legacy, keyPair: ops, status: SHUTOFF }
    - { name: err-1, id: s-err-1, image: euler, keyPair: ops, status: ERROR, fault: broken }
`;

describe("emulated Huawei ECS: the API pages' constraints", () => {
  let emulator: Emulator;
  const send = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const url = new URL(`${emulator.urls.huaweicloud}${path.replace("{p}", P)}`);
    const json = body === undefined ? undefined : JSON.stringify(body);
    const headers = { "content-type": "application/json" };
    const signed = signRequest({
      method,
      url,
      headers,
      body: json,
      credentials: CRED,
      date: sdkDate(Date.now()),
      projectId: P,
    });
    return call(url.toString(), {
      method,
      headers: { ...headers, ...signed },
      ...(body === undefined ? {} : { body }),
    });
  };
  const reinstall = (id: string, o: Record<string, unknown>, version = "v2") =>
    send("POST", `/${version}/{p}/cloudservers/${id}/reinstallos`, { "os-reinstall": o });

  beforeAll(async () => {
    emulator = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      timings: { reinstall: 300, reboot: 50, stop: 30, start: 30, rebuild: 300 },
    });
  });
  afterAll(async () => emulator.close());

  it("answers an unsigned request, and one signed with a wrong key, with the gateway's 401 APIGW.0301", async () => {
    const unsigned = await call(`${emulator.urls.huaweicloud}/v1/${P}/cloudservers/detail`);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({
      error_code: "APIGW.0301",
      error_msg: expect.stringContaining("missing Authorization"),
      request_id: expect.any(String),
    });
    const url = new URL(`${emulator.urls.huaweicloud}/v1/${P}/cloudservers/detail`);
    const wrong = signRequest({
      method: "GET",
      url,
      headers: { "content-type": "application/json" },
      body: undefined,
      credentials: { ...CRED, secretKey: "nope" },
      date: sdkDate(Date.now()),
      projectId: P,
    });
    const reply = await call(url.toString(), { headers: { "content-type": "application/json", ...wrong } });
    expect(reply.status).toBe(401);
    expect(reply.body.error_code).toBe("APIGW.0301");
    expect(JSON.stringify(reply.body)).not.toContain(CRED.secretKey);
  });

  it("refuses a password together with a key pair, and a key pair without userid", async () => {
    expect((await reinstall("s-off-1", { keyname: "ops", userid: USER, adminpass: "Pw-12345678" })).body).toEqual({
      error: { code: "Ecs.0005", message: "adminpass and keyname cannot be both specified." },
    });
    const noUser = await reinstall("s-off-1", { keyname: "ops" });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error.message).toMatch(/userid is required with keyname/);
  });

  it("refuses the wrong API for the image kind, and user_data on v1", async () => {
    expect((await reinstall("s-off-2", { keyname: "ops", userid: USER })).body.error.message).toMatch(
      /no Cloud-Init: use the v1 API/,
    );
    expect((await reinstall("s-off-1", { keyname: "ops", userid: USER }, "v1")).body.error.message).toMatch(
      /Cloud-Init installed: use the v2 API/,
    );
    expect(
      (await reinstall("s-off-2", { keyname: "ops", userid: USER, metadata: { user_data: "eA==" } }, "v1")).body.error
        .message,
    ).toMatch(/user_data is not supported/);
  });

  it("refuses to reinstall a server in ERROR, and a running server without withStopServer (400 Ecs.0100)", async () => {
    const error = await reinstall("s-err-1", { keyname: "ops", userid: USER });
    expect([error.status, error.body.error.code]).toEqual([400, "Ecs.0100"]);
    const running = await reinstall("s-on-1", { keyname: "ops", userid: USER });
    expect([running.status, running.body.error.code]).toEqual([400, "Ecs.0100"]);
  });

  it("runs no other operation while a reinstall runs: metadata, reboot and a second reinstall get 400 Ecs.0100; the job goes INIT/RUNNING → SUCCESS", async () => {
    const started = await reinstall("s-on-1", {
      keyname: "ops",
      userid: USER,
      mode: "withStopServer",
      metadata: { user_data: Buffer.from("#cloud-config\n").toString("base64") },
    });
    expect(started.status).toBe(200);
    const jobId: string = started.body.job_id;
    const detail = await send("GET", "/v1/{p}/cloudservers/s-on-1");
    expect(detail.body.server).toMatchObject({ status: "REBUILD", "OS-EXT-STS:task_state": "rebuilding" });
    for (const reply of [
      await send("POST", "/v1/{p}/cloudservers/s-on-1/metadata", { metadata: { a: "b" } }),
      await send("POST", "/v1/{p}/cloudservers/action", { reboot: { type: "SOFT", servers: [{ id: "s-on-1" }] } }),
      await reinstall("s-on-1", { keyname: "ops", userid: USER, mode: "withStopServer" }),
    ]) {
      expect([reply.status, reply.body.error.code]).toEqual([400, "Ecs.0100"]);
    }
    expect(["INIT", "RUNNING"]).toContain((await send("GET", `/v1/{p}/jobs/${jobId}`)).body.status);
    await new Promise((r) => setTimeout(r, 350));
    const job = await send("GET", `/v1/{p}/jobs/${jobId}`);
    expect(job.body).toMatchObject({
      job_id: jobId,
      status: "SUCCESS",
      fail_reason: null,
      entities: { server_id: "s-on-1" },
    });
    expect((await send("GET", "/v1/{p}/cloudservers/s-on-1")).body.server).toMatchObject({
      status: "ACTIVE",
      "OS-EXT-STS:task_state": null,
    });
  });

  it("pages /cloudservers/detail with offset as a page number, and reads repeated server_id filters in one call", async () => {
    const page1 = await send("GET", "/v1/{p}/cloudservers/detail?offset=1&limit=3");
    const page2 = await send("GET", "/v1/{p}/cloudservers/detail?offset=2&limit=3");
    expect(page1.body.count).toBe(4);
    expect(page1.body.servers.map((s: { name: string }) => s.name)).toEqual(["on-1", "off-1", "off-2"]);
    expect(page2.body.servers.map((s: { name: string }) => s.name)).toEqual(["err-1"]);
    const byId = await send("GET", "/v1/{p}/cloudservers/detail?server_id=s-off-2&server_id=s-err-1&server_id=gone");
    expect(byId.body.servers.map((s: { id: string; name?: string }) => [s.id, s.name])).toEqual([
      ["s-off-2", "off-2"],
      ["s-err-1", "err-1"],
      ["gone", undefined],
    ]);
    expect(byId.body.servers[2]).toEqual({ id: "gone", fault: { code: 404, message: "The ECS does not exist." } });
  });

  it("lists the project's key pairs on the native GET /v2.1/{p}/os-keypairs, each with a public key and its fingerprint", async () => {
    const listed = await send("GET", "/v2.1/{p}/os-keypairs");
    expect(listed.status).toBe(200);
    expect(listed.body.keypairs).toEqual([
      {
        keypair: {
          name: "ops",
          public_key: expect.stringMatching(/^ssh-ed25519 \S+ ops$/),
          fingerprint: expect.stringMatching(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/),
        },
      },
    ]);
  });

  it("answers a native v2.1 action (os-start) with 202 and no body, and refuses a mismatched X-Project-Id", async () => {
    const reboot = await send("POST", "/v2.1/{p}/servers/s-off-1/action", { "os-start": {} });
    expect([reboot.status, reboot.body]).toEqual([202, undefined]);
    const url = new URL(`${emulator.urls.huaweicloud}/v1/${P}/cloudservers/detail`);
    const signed = signRequest({
      method: "GET",
      url,
      headers: { "content-type": "application/json" },
      body: undefined,
      credentials: CRED,
      date: sdkDate(Date.now()),
      projectId: "another",
    });
    const wrongProject = await call(url.toString(), { headers: { "content-type": "application/json", ...signed } });
    expect([wrongProject.status, wrongProject.body.error?.code]).toEqual([400, "Ecs.0023"]);
  });

  it("lists IAM's project named after the region (the default region: none in the world) on a signed GET /v3/projects, with no X-Project-Id", async () => {
    const projects = async (query: string, credentials = CRED): Promise<Reply> => {
      const url = new URL(`${emulator.urls.huaweicloud}/v3/projects${query}`);
      const signed = signRequest({
        method: "GET",
        url,
        headers: { "content-type": "application/json" },
        body: undefined,
        credentials,
        date: sdkDate(Date.now()),
      });
      return call(url.toString(), { headers: { "content-type": "application/json", ...signed } });
    };
    const found = await projects("?name=ap-southeast-1");
    expect(found.status).toBe(200);
    expect(found.body.projects).toEqual([expect.objectContaining({ id: P, name: "ap-southeast-1", enabled: true })]);
    expect((await projects("?name=cn-north-4")).body).toEqual({ projects: [] });
    const wrong = await projects("?name=ap-southeast-1", { ...CRED, secretKey: "nope" });
    expect([wrong.status, wrong.body.error_code]).toEqual([401, "APIGW.0301"]);
    const unsigned = await call(`${emulator.urls.huaweicloud}/v3/projects?name=ap-southeast-1`);
    expect(unsigned.status).toBe(401);
  });
  it("lists each change as the server's own GET shows it, though list pages are kept: a metadata write, a reinstall running and done", async () => {
    const listed = async () => {
      const page = await send("GET", "/v1/{p}/cloudservers/detail?limit=1000");
      return (page.body.servers as { id: string }[]).find((s) => s.id === "s-off-1");
    };
    const own = async () => (await send("GET", "/v1/{p}/cloudservers/s-off-1")).body.server;
    await new Promise((r) => setTimeout(r, 100));
    expect(await listed()).toEqual(await own());
    const write = await send("POST", "/v1/{p}/cloudservers/s-off-1/metadata", { metadata: { kept: "no" } });
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    expect(await listed()).toMatchObject({ metadata: { kept: "no" } });
    expect(await listed()).toEqual(await own());
    expect((await reinstall("s-off-1", { keyname: "ops", userid: USER, mode: "withStopServer" })).status).toBe(200);
    const running = await listed();
    expect(running).toMatchObject({ "OS-EXT-STS:task_state": "rebuilding" });
    await new Promise((r) => setTimeout(r, 350));
    // No request changed anything since: only time moved the job to its end, and the list follows it.
    const done = await listed();
    expect(done).not.toEqual(running);
    expect(done).toEqual(await own());
  });
});

describe("the world's huaweicloud.region", () => {
  it("names the project in IAM, and a wrong one is located", () => {
    expect(
      parseWorld(WORLD.replace("  userId:", "  region: cn-north-4\n  userId:"), "world.yaml").huaweicloud?.region,
    ).toBe("cn-north-4");
    expect(parseWorld(WORLD, "world.yaml").huaweicloud?.region).toBeUndefined();
    expect(() => parseWorld(WORLD.replace("  userId:", "  region: [cn-north-4]\n  userId:"), "world.yaml")).toThrow(
      /^world\.yaml:3:\d+: huaweicloud\.region/,
    );
  });
});
