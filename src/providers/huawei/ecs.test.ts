import { describe, expect, it } from "vitest";
import type { ReprovisionParams, Step } from "../../model/action.js";
import { ReformError } from "../../model/errors.js";
import { userDataSha256 } from "../../model/user-data.js";
import type { EcsContext } from "./ecs.js";
import { stepRequest } from "./ecs.js";
import type { EcsServer } from "./normalize.js";
import { normalizeEcsServer } from "./normalize.js";

const CTX: EcsContext = { name: "hw", endpoint: "https://ecs.r.example.com", projectId: "p1", userId: "u1" };
const running: EcsServer = {
  id: "s1",
  name: "web-1",
  status: "ACTIVE",
  image: { id: "img-1" },
  key_name: "ops-2025",
  metadata: {},
  "OS-EXT-STS:power_state": 1,
};
const stopped: EcsServer = { ...running, status: "SHUTOFF", "OS-EXT-STS:power_state": 4 };
const KEEP = { set: {}, remove: [], full: {} };

function reprovision(kind: "reinstall" | "changeos" | "rebuild", params: Partial<ReprovisionParams>): Step {
  return { kind, impact: "reprovision", params: { imageId: "img-1", metadata: KEEP, keepStopped: false, ...params } };
}

const inputs = { userData: undefined, password: undefined, api: "v2" as const };

describe("ECS requests for each step", () => {
  it("reinstalls a running server on v2 with key pair, user id, user_data and mode withStopServer", () => {
    const req = stepRequest(
      CTX,
      normalizeEcsServer(running, "hw"),
      reprovision("reinstall", { keyPair: "ops-2026", userDataSha256: userDataSha256("#cloud-config\n") }),
      { ...inputs, userData: "#cloud-config\n" },
    );
    expect(req.url).toBe("https://ecs.r.example.com/v2/p1/cloudservers/s1/reinstallos");
    expect(req.json).toEqual({
      "os-reinstall": {
        keyname: "ops-2026",
        userid: "u1",
        mode: "withStopServer",
        metadata: { user_data: Buffer.from("#cloud-config\n").toString("base64") },
      },
    });
  });

  it("changes the OS of a stopped server on v1 with the new image and no mode", () => {
    const req = stepRequest(CTX, normalizeEcsServer(stopped, "hw"), reprovision("changeos", { imageId: "img-2" }), {
      ...inputs,
      api: "v1",
    });
    expect(req.url).toBe("https://ecs.r.example.com/v1/p1/cloudservers/s1/changeos");
    expect(req.json).toEqual({ "os-change": { keyname: "ops-2025", userid: "u1", imageid: "img-2" } });
  });

  it("sends the admin password only when there is no key pair (they are exclusive)", () => {
    const noKey = normalizeEcsServer({ ...stopped, key_name: "" }, "hw");
    expect(stepRequest(CTX, noKey, reprovision("reinstall", {}), { ...inputs, password: "Pw-1" }).json).toEqual({
      "os-reinstall": { adminpass: "Pw-1" },
    });
    const withKey = stepRequest(CTX, normalizeEcsServer(stopped, "hw"), reprovision("reinstall", {}), {
      ...inputs,
      password: "Pw-1",
    }).json;
    expect(JSON.stringify(withKey)).not.toContain("Pw-1");
  });

  it("needs the IAM user id with a key pair", () => {
    const { userId: _none, ...noUser } = CTX;
    expect(() =>
      stepRequest(noUser, normalizeEcsServer(running, "hw"), reprovision("reinstall", { keyPair: "ops-2026" }), inputs),
    ).toThrow(/needs the IAM user id/);
  });

  it("on v1, leaves unchanged user_data out and refuses a change with the reason", () => {
    const sha = userDataSha256("#cloud-config\n");
    const annotated = normalizeEcsServer({ ...stopped, metadata: { "reform.user_data.sha256": sha } }, "hw");
    expect(
      stepRequest(CTX, annotated, reprovision("reinstall", { keyPair: "ops-2026", userDataSha256: sha }), {
        ...inputs,
        api: "v1",
      }).json,
    ).toEqual({ "os-reinstall": { keyname: "ops-2026", userid: "u1" } });
    const change = () =>
      stepRequest(CTX, annotated, reprovision("reinstall", { userDataSha256: userDataSha256("other") }), {
        ...inputs,
        userData: "other",
        api: "v1",
      });
    expect(change).toThrow(ReformError);
    expect(change).toThrow(/has no Cloud-Init, so the reinstall uses the v1 API, which cannot set user_data/);
  });

  it("reboots, stops and starts with the batch action API", () => {
    const s = normalizeEcsServer(running, "hw");
    expect(stepRequest(CTX, s, { kind: "reboot", impact: "reboot", params: { type: "HARD" } }, inputs)).toMatchObject({
      url: "https://ecs.r.example.com/v1/p1/cloudservers/action",
      json: { reboot: { type: "HARD", servers: [{ id: "s1" }] } },
    });
    expect(stepRequest(CTX, s, { kind: "stop", impact: "reboot", params: { reason: "power" } }, inputs).json).toEqual({
      "os-stop": { type: "SOFT", servers: [{ id: "s1" }] },
    });
    expect(stepRequest(CTX, s, { kind: "start", impact: "reboot", params: { reason: "power" } }, inputs).json).toEqual({
      "os-start": { servers: [{ id: "s1" }] },
    });
  });

  it("rebuilds natively with microversion 2.57, the full metadata, the key pair and user_data", () => {
    const step = reprovision("rebuild", {
      imageId: "img-2",
      keyPair: "ops-2026",
      userDataSha256: "x",
      metadata: { set: {}, remove: [], full: { role: "web" } },
    });
    const req = stepRequest(CTX, normalizeEcsServer(running, "hw"), step, { ...inputs, userData: "hi" });
    expect(req).toMatchObject({
      url: "https://ecs.r.example.com/v2.1/p1/servers/s1/action",
      headers: { "X-OpenStack-Nova-API-Version": "2.57" },
    });
    expect(req.json).toEqual({
      rebuild: {
        imageRef: "img-2",
        metadata: { role: "web" },
        key_name: "ops-2026",
        user_data: Buffer.from("hi").toString("base64"),
      },
    });
  });
});
