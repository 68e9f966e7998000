import { describe, expect, it } from "vitest";
import { ConfigError } from "../model/errors.js";
import { loadFleetText } from "./load.js";

const deps = {
  readFile: async (path: string): Promise<string> => {
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  },
  realPath: async (path: string) => ({ path, exists: false }),
  env: {},
  cwd: "/srv",
};

const PROVIDERS = "providers: { local: { type: sim }, dc1: { type: openstack, cloud: dc1 } }\n";

async function problems(text: string): Promise<[number | undefined, string][]> {
  const outcome = await loadFleetText(text, "fleet.yaml", deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (outcome === undefined) return [];
  expect(outcome).toBeInstanceOf(ConfigError);
  return (outcome as ConfigError).diagnostics.map((d) => [d.location?.line, d.message]);
}

describe("{health} gates are only for sim providers, checked before anything runs", () => {
  it("accepts {health} on a group of a sim provider, and {id}/{name} URLs anywhere", async () => {
    expect(
      await problems(`${PROVIDERS}defaults: { rollout: { gate: { http: "http://{address}:8080/ready?n={name}&id={id}" } } }
groups:
  - { name: sim, provider: local, match: { name: "a-*" }, rollout: { gate: { http: "{health}/servers/{id}" } } }
  - { name: real, provider: dc1, match: { name: "b-*" } }
instances:
  - { provider: dc1, name: c-1 }
`),
    ).toEqual([]);
  });

  it("refuses {health} that would gate servers of another provider, at the gate that says it", async () => {
    expect(
      await problems(`${PROVIDERS}defaults:
  rollout:
    gate: { http: "{health}/servers/{name}" }
groups:
  - { name: sim, provider: local, match: { name: "a-*" } }
  - { name: real, provider: dc1, match: { name: "b-*" } }
  - { name: any, match: { name: "c-*" }, rollout: { gate: { http: "{health}/servers/{id}" } } }
  - { name: own, provider: dc1, match: { name: "d-*" }, rollout: { gate: { tcp: 22 } } }
instances:
  - { provider: dc1, name: e-1 }
  - { provider: local, name: e-2 }
`),
    ).toEqual([
      [
        4,
        "defaults.rollout.gate.http: {health} is the embedded simulator's health route, which only sim providers have; group real is on dc1 (openstack): write the URL to probe instead, or give the group its sim provider",
      ],
      [
        4,
        "defaults.rollout.gate.http: {health} is the embedded simulator's health route, which only sim providers have; the servers under instances: are on dc1 (openstack): write the URL to probe instead, or give the group its sim provider",
      ],
      [
        8,
        "groups[2].rollout.gate.http: {health} is the embedded simulator's health route, which only sim providers have; group any may select servers of dc1 (openstack): write the URL to probe instead, or give the group its sim provider",
      ],
    ]);
  });
});
