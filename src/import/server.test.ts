import { describe, expect, it } from "vitest";
import type { ObservedInstance } from "../model/observed.js";
import { userDataSha256 } from "../model/user-data.js";
import { observed } from "../plan/test-builders.js";
import { chooseImage, imageComment } from "./images.js";
import { importServer } from "./server.js";
import type { ImageChoice, ImportedServer } from "./types.js";

const BY_NAME: ImageChoice = { type: "name", name: "ubuntu-24.04" };
const withText = (text: string): Partial<ObservedInstance> => ({
  userDataSha256: { known: true, value: userDataSha256(text) },
  userData: text,
});

function imported(server: ObservedInstance, image: ImageChoice | undefined = BY_NAME): ImportedServer {
  const result = importServer(server, { image });
  if (result.type !== "imported") throw new Error(`left out: ${result.server.reason}`);
  return result.server;
}

function leftOut(server: ObservedInstance, image: ImageChoice | undefined): string {
  const result = importServer(server, { image });
  if (result.type !== "left-out") throw new Error("imported");
  return result.server.reason;
}

describe("importServer: what the fleet file says of a live server", () => {
  it("writes the image, key pair, user metadata, user_data and power as the cloud shows them", () => {
    const server = imported(
      observed({ metadata: { role: "web", env: "prod" }, ...withText("#cloud-config\nruncmd: [echo hi]\n") }),
    );
    expect(server).toEqual({
      provider: "dc1",
      id: "srv-1",
      name: "web-1",
      spec: {
        image: { name: "ubuntu-24.04" },
        keyPair: "ops-2025",
        metadata: { env: "prod", role: "web" },
        userData: { inline: "#cloud-config\nruncmd: [echo hi]\n" },
        power: "running",
      },
      notes: [],
    });
  });

  it("writes the image by id when its name does not give it back, and no key pair as null", () => {
    const server = imported(observed({ imageId: "img-7", keyPair: null, metadata: {} }), {
      type: "id",
      name: "ubuntu",
      why: "ambiguous",
    });
    expect(server.spec).toEqual({ image: { id: "img-7" }, keyPair: null, userData: null, power: "running" });
  });

  it.each([
    [
      "busy",
      observed({ status: "rebuilding", rawStatus: "REBUILD", task: "rebuilding" }),
      BY_NAME,
      "busy (REBUILD, task rebuilding): import it again once it has settled",
    ],
    [
      "in ERROR",
      observed({ status: "error", rawStatus: "ERROR", fault: { message: "disk attach failed" } }),
      BY_NAME,
      "in ERROR (disk attach failed): repair or delete it, then import it again",
    ],
    [
      "booting from a volume",
      observed({ imageId: "" }),
      undefined,
      "it boots from a volume and its image cannot be read from the server",
    ],
    [
      "on an image that is gone",
      observed({ imageId: "img-9" }),
      { type: "missing", why: "image id img-9 not found" } as const,
      "its image img-9 is not in the cloud's image list (image id img-9 not found)",
    ],
  ])("leaves out a server %s, with the reason", (_label, server, image, reason) => {
    expect(leftOut(server, image)).toBe(reason);
  });

  it("leaves user_data out, with the cloud's reason, when the cloud does not show it", () => {
    const server = imported(
      observed({
        userDataSha256: { known: false, reason: "Nova shows user_data only to admins; no reform annotation yet" },
      }),
    );
    expect(server.spec.userData).toBeUndefined();
    expect(server.notes).toEqual([
      { field: "userData", why: "Nova shows user_data only to admins; no reform annotation yet", secret: false },
    ]);
  });

  it("never writes user_data that looks like it holds secrets, and says why without quoting it", () => {
    const server = imported(observed(withText("#cloud-config\nchpasswd: { list: 'root:Hunter2-Kn0wn' }\n")));
    expect(server.spec.userData).toBeUndefined();
    expect(server.notes).toEqual([
      { field: "userData", why: "it looks like it holds secrets (chpasswd); never written", secret: true },
    ]);
    expect(JSON.stringify(server)).not.toContain("Hunter2-Kn0wn");
  });

  it("writes text with control characters as base64, and never guesses what it cannot see", () => {
    expect(imported(observed(withText("#!/bin/sh\nprintf '\u001b[1mhi\u001b[0m'\n"))).spec.userData).toEqual({
      base64: Buffer.from("#!/bin/sh\nprintf '\u001b[1mhi\u001b[0m'\n").toString("base64"),
    });
    const binary = imported(observed({ userDataSha256: { known: true, value: "ab".repeat(32) } }));
    expect(binary.spec.userData).toBeUndefined();
    expect(binary.notes[0]?.why).toBe("it is binary (not UTF-8 text), which a fleet file cannot hold");
    const recorded = imported(
      observed({
        userDataSha256: { known: true, value: "cd".repeat(32) },
        annotations: { userDataSha256: "cd".repeat(32) },
      }),
    );
    expect(recorded.notes[0]?.why).toBe("the cloud does not show it; only the digest reform recorded is known");
  });

  it("writes no user_data as null, whether the cloud shows none or reform recorded none", () => {
    expect(
      imported(observed({ userDataSha256: { known: true, value: null }, userData: null })).spec.userData,
    ).toBeNull();
    expect(
      imported(
        observed({
          userDataSha256: { known: true, value: userDataSha256("") },
          annotations: { userDataSha256: userDataSha256("") },
        }),
      ).spec.userData,
    ).toBeNull();
  });

  it("writes ${env:…} in user_data inline in its literal form, or as base64 when no literal form reads back", () => {
    expect(imported(observed(withText("echo ${env:HOME}\n"))).spec.userData).toEqual({ inline: "echo ${env:HOME}\n" });
    expect(imported(observed(withText("echo $${env:HOME\n"))).spec.userData).toEqual({
      base64: Buffer.from("echo $${env:HOME\n").toString("base64"),
    });
  });

  it("leaves out metadata that looks secret or that a fleet file cannot hold, and keeps the rest", () => {
    const server = imported(
      observed({
        metadata: {
          role: "web",
          db_password: "x",
          note: "Bearer abcdefghijkl",
          long: "v".repeat(300),
          odd: "$${env:X",
        },
      }),
    );
    expect(server.spec.metadata).toEqual({ role: "web" });
    expect(server.notes).toEqual([
      { field: "metadata.db_password", why: "it looks like a secret (its name says password)", secret: true },
      { field: "metadata.long", why: "longer than the 255 characters a fleet file takes", secret: false },
      { field: "metadata.note", why: "it looks like a secret (a bearer or basic credential)", secret: true },
      { field: "metadata.odd", why: "its value holds '${env:' text that a fleet file cannot write", secret: false },
    ]);
  });

  it("leaves power out when the cloud does not say", () => {
    expect(imported(observed({ status: "unknown", rawStatus: "PAUSED", power: "unknown" })).spec.power).toBeUndefined();
  });
});

describe("chooseImage: by name only when the name gives this image back", () => {
  const found = (id: string, name: string) => ({ type: "found" as const, id, name, properties: {} });
  it.each([
    ["a unique name", found("i1", "ubuntu"), found("i1", "ubuntu"), { type: "name", name: "ubuntu" }],
    [
      "an ambiguous name",
      found("i1", "ubuntu"),
      { type: "error" as const, message: "image name ubuntu is ambiguous: ids i1, i2" },
      { type: "id", name: "ubuntu", why: "image name ubuntu is ambiguous: ids i1, i2" },
    ],
    [
      "a name that resolves to another image",
      found("i1", "ubuntu"),
      found("i2", "ubuntu"),
      { type: "id", name: "ubuntu", why: "the name resolves to image i2" },
    ],
    ["no name", found("i1", ""), undefined, { type: "id", name: "", why: "the image has no name" }],
    [
      "an image that is gone",
      { type: "error" as const, message: "image id i1 not found" },
      undefined,
      { type: "missing", why: "image id i1 not found" },
    ],
  ])("%s", (_label, byId, byName, choice) => {
    expect(chooseImage(byId, byName)).toEqual(choice);
  });

  it("comments an image written by id with its name and why", () => {
    expect(imageComment({ type: "id", name: "ubuntu", why: "the name resolves to image i2" })).toBe(
      "ubuntu (by id: the name resolves to image i2)",
    );
    expect(imageComment({ type: "name", name: "ubuntu" })).toBeUndefined();
  });
});
