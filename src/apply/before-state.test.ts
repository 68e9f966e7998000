import { describe, expect, it } from "vitest";
import { userDataSha256 } from "../model/user-data.js";
import { IMAGES, observed, spec, userData } from "../plan/test-builders.js";
import { normalizeEcsServer } from "../providers/huawei/normalize.js";
import { normalizeInstance } from "../providers/jdcloud/normalize.js";
import { USER_DATA_HIDDEN_REASON, normalizeServer } from "../providers/openstack/normalize.js";
import { beforeStateOf } from "./before-state.js";

const SCRIPT = "#cloud-config\nruncmd: [echo hi]\n";
const SECRET = "#cloud-config\ndb_password: Kn0wn-S3cret\n";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const noDisplay = { before: {} };

describe("beforeStateOf, on each cloud's observation", () => {
  it("OpenStack: image with the plan's name, key pair, managed keys (absent as null), annotations, readable user_data, power", () => {
    const server = normalizeServer(
      {
        id: "s1",
        name: "web-1",
        status: "SHUTOFF",
        updated: "2026-11-23T10:00:00Z",
        image: { id: "img-1" },
        key_name: "ops",
        metadata: { role: "web", owner: "team-a", "reform.reboot.token": "t1" },
        "OS-EXT-STS:task_state": null,
        "OS-EXT-STS:vm_state": "stopped",
        "OS-EXT-STS:power_state": 4,
        "OS-EXT-SRV-ATTR:user_data": b64(SCRIPT),
      },
      "dc1",
    );
    const state = beforeStateOf(server, spec({ metadata: { role: "api", tier: "2" }, userData: userData("new\n") }), {
      before: { image: { id: "img-1", name: "ubuntu-22.04" } },
    });
    expect(state).toEqual({
      image: { id: "img-1", name: "ubuntu-22.04" },
      keyPair: "ops",
      metadata: { role: "web", tier: null },
      annotations: { rebootToken: "t1" },
      userData: { state: "content", sha256: userDataSha256(SCRIPT), content: SCRIPT },
      power: "stopped",
      status: "SHUTOFF",
    });
  });

  it("OpenStack without admin rights: user_data unknown, with Nova's reason; a volume-backed image unknown, with why", () => {
    const server = normalizeServer(
      {
        id: "s1",
        name: "web-1",
        status: "ACTIVE",
        updated: "x",
        image: "",
        key_name: null,
        metadata: {},
        "OS-EXT-STS:task_state": null,
        "OS-EXT-STS:power_state": 1,
      },
      "dc1",
    );
    const state = beforeStateOf(server, spec({ userData: userData(SCRIPT) }), noDisplay);
    expect(state.userData).toEqual({ state: "unknown", why: USER_DATA_HIDDEN_REASON });
    expect(state.image).toEqual({ unknown: expect.stringMatching(/image/) });
    expect(state).toMatchObject({ keyPair: null, metadata: {}, power: "running" });
  });

  it("Huawei: a sensitive user_data is kept as its digest only, never its content", () => {
    const server = normalizeEcsServer(
      {
        id: "s1",
        name: "web-1",
        status: "ACTIVE",
        updated: "x",
        image: { id: "img-9" },
        key_name: "ops",
        metadata: { role: "web", os_type: "Linux" },
        "OS-EXT-STS:task_state": null,
        "OS-EXT-STS:power_state": 1,
        "OS-EXT-SRV-ATTR:user_data": b64(SECRET),
      },
      "hw",
    );
    const state = beforeStateOf(
      server,
      spec({ metadata: { role: "web" }, userData: userData("#cloud-config\n", true) }),
      noDisplay,
    );
    expect(state.userData).toEqual({
      state: "digest",
      sha256: userDataSha256(SECRET),
      why: expect.stringMatching(/sensitive/),
    });
    expect(JSON.stringify(state)).not.toContain("Kn0wn-S3cret");
    // The plan named no image (the spec does not manage it): the id alone; Huawei's system keys are not managed metadata.
    expect(state).toMatchObject({
      image: { id: "img-9" },
      metadata: { role: "web" },
      keyPair: "ops",
      power: "running",
    });
  });

  it("JD Cloud: user_data from the launch-script, kept when declared; unknown without custom data", () => {
    const vm = {
      instanceId: "i-1",
      instanceName: "web-1",
      status: "running",
      imageId: "img-1",
      keyNames: ["kp"],
      launchTime: "2026-11-01T00:00:00Z",
    };
    const withData = normalizeInstance(
      vm,
      {
        instanceId: "i-1",
        metadata: [{ key: "role", value: "web" }],
        userdata: [{ key: "launch-script", value: b64(SCRIPT) }],
      },
      "jd",
    );
    expect(
      beforeStateOf(withData, spec({ userData: userData(SCRIPT), metadata: { role: "db" } }), noDisplay),
    ).toMatchObject({
      image: { id: "img-1" },
      keyPair: "kp",
      metadata: { role: "web" },
      userData: { state: "content", content: SCRIPT },
      power: "running",
    });
    const without = normalizeInstance({ ...vm, status: "stopped" }, undefined, "jd");
    expect(beforeStateOf(without, spec(), noDisplay)).toMatchObject({
      userData: { state: "unknown", why: expect.any(String) },
      power: "stopped",
    });
  });
});

describe("beforeStateOf rules", () => {
  it("user_data the fleet does not declare, or wants removed, is kept as a digest: nothing says it is safe to keep", () => {
    const seen = observed({ userDataSha256: { known: true, value: userDataSha256(SECRET) }, userData: SECRET });
    for (const s of [spec(), spec({ userData: null })]) {
      expect(beforeStateOf(seen, s, noDisplay).userData).toEqual({
        state: "digest",
        sha256: userDataSha256(SECRET),
        why: expect.stringMatching(/does not declare/),
      });
    }
  });

  it("no user_data is absent; a digest the cloud shows without content says so", () => {
    expect(beforeStateOf(observed(), spec({ userData: userData(SCRIPT) }), noDisplay).userData).toEqual({
      state: "absent",
    });
    const digestOnly = observed({ userDataSha256: { known: true, value: "abc" } });
    expect(beforeStateOf(digestOnly, spec({ userData: userData(SCRIPT) }), noDisplay).userData).toEqual({
      state: "digest",
      sha256: "abc",
      why: expect.stringMatching(/only a digest/),
    });
  });

  it("exact metadata manages every key but the ignored ones; merge only the declared ones", () => {
    const seen = observed({ metadata: { role: "web", "ops.note": "x", stray: "y" } });
    expect(
      beforeStateOf(
        seen,
        spec({ metadata: { role: "api" }, metadataPolicy: "exact", ignoreMetadata: ["ops.*"] }),
        noDisplay,
      ).metadata,
    ).toEqual({ role: "web", stray: "y" });
    expect(beforeStateOf(seen, spec({ metadata: { role: "api" } }), noDisplay).metadata).toEqual({ role: "web" });
    expect(beforeStateOf(seen, spec(), noDisplay).metadata).toEqual({});
  });

  it("old user_data that looks like it holds a secret is kept as a digest, even when the new one is not sensitive", () => {
    // A pull request that replaces a sensitive user_data with a harmless one must not copy the old secret into the
    // journal (which may be a shared database): the fleet file describes the new content, not the old.
    const seen = observed({ userDataSha256: { known: true, value: userDataSha256(SECRET) }, userData: SECRET });
    const record = beforeStateOf(seen, spec({ userData: userData(SCRIPT) }), noDisplay);
    expect(record.userData).toEqual({
      state: "digest",
      sha256: userDataSha256(SECRET),
      why: "it looks like it holds a secret (password:)",
    });
    expect(JSON.stringify(record)).not.toContain("Kn0wn-S3cret");
  });

  it("a metadata value whose key or content looks secret is withheld, its key listed with why, its value never kept", () => {
    const seen = observed({
      metadata: { role: "web", db_password: "Kn0wn-S3cret", note: "Authorization: Bearer abcdefgh12345678" },
    });
    const record = beforeStateOf(seen, spec({ metadata: { role: "api" }, metadataPolicy: "exact" }), noDisplay);
    expect(record.metadata).toEqual({ role: "web" });
    expect(record.withheldMetadata).toEqual([
      { key: "db_password", why: "its name says password: not recorded, so a rollback cannot restore it" },
      {
        key: "note",
        why: "it looks like it holds a secret (a bearer or basic credential): not recorded, so a rollback cannot restore it",
      },
    ]);
    expect(JSON.stringify(record)).not.toMatch(/Kn0wn-S3cret|abcdefgh12345678/);
    expect(
      beforeStateOf(observed({ metadata: { role: "web" } }), spec({ metadata: { role: "api" } }), noDisplay),
    ).not.toHaveProperty("withheldMetadata");
  });

  it("an image name is taken from the plan only when it is of the observed image", () => {
    const seen = observed({ imageId: IMAGES.jammy.id });
    expect(
      beforeStateOf(seen, spec(), { before: { image: { id: IMAGES.noble.id, name: IMAGES.noble.name } } }).image,
    ).toEqual({ id: IMAGES.jammy.id });
  });
});
