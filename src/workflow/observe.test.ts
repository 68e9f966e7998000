import { describe, expect, it } from "vitest";
import { loadFleetText } from "../config/load.js";
import { needsMetadata } from "./observe.js";

async function fleetOf(body: string) {
  const text = `providers:\n  jd: { type: jdcloud, region: cn-north-1 }\n  os: { type: openstack, cloud: dc1 }\n${body}`;
  return loadFleetText(text, "/fleet/fleet.yaml", {
    readFile: () => Promise.resolve("#cloud-config\n"),
    realPath: (p) => Promise.resolve({ path: p, exists: true }),
    env: {},
    cwd: "/fleet",
  });
}

describe("needsMetadata: whether a plan lists a provider's servers with metadata, user_data and annotations", () => {
  it.each([
    [
      "image and key pair only",
      `instances:\n  - { provider: jd, name: a, spec: { image: { name: x }, keyPair: k } }\n`,
      false,
    ],
    ["power only", `instances:\n  - { provider: jd, name: a, spec: { power: stopped } }\n`, false],
    ["metadata on an instance", `instances:\n  - { provider: jd, name: a, spec: { metadata: { r: w } } }\n`, true],
    ["user_data", `instances:\n  - { provider: jd, name: a, spec: { userData: { inline: "#!/bin/sh\\n" } } }\n`, true],
    ["a reboot token", `instances:\n  - { provider: jd, name: a, spec: { reboot: { token: t1 } } }\n`, true],
    ["metadataPolicy exact", `instances:\n  - { provider: jd, name: a, spec: { metadataPolicy: exact } }\n`, true],
    [
      "metadata in defaults",
      `defaults: { spec: { metadata: { r: w } } }\ninstances:\n  - { provider: jd, name: a, spec: {} }\n`,
      true,
    ],
    [
      "a group of every provider with user_data",
      `groups:\n  - { name: g, match: { name: "a*" }, spec: { userData: null } }\n`,
      true,
    ],
    [
      "a group matching metadata",
      `groups:\n  - { name: g, provider: jd, match: { metadata: { r: w } }, spec: { image: { name: x } } }\n`,
      true,
    ],
    [
      "metadata only on another provider",
      `instances:\n  - { provider: os, name: b, spec: { metadata: { r: w } } }\n  - { provider: jd, name: a, spec: { image: { name: x } } }\n`,
      false,
    ],
  ])("%s: %s", async (_what, body, expected) => {
    expect(needsMetadata(await fleetOf(body), "jd")).toBe(expected);
  });
});
