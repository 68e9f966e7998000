import type { DesiredSpec, ObservedInstance, Plan, ProviderCapabilities } from "../model/index.js";
import { DEFAULT_CHANGE_POLICY, DEFAULT_ROLLOUT } from "../model/index.js";
import { planFleet } from "../plan/plan-fleet.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";
import {
  HUAWEI_LIKE,
  IMAGES,
  JD_LIKE,
  NOVA_2_53,
  NOVA_2_96,
  desired,
  input,
  observed,
  stopped,
  userData,
} from "../plan/test-builders.js";

/** A fleet that mixes every action, impact, an unknown and a sensitive value: the golden-file fixture. */

export const FIXTURE_SECRET = "hunter2-TopSecret";

function server(
  provider: string,
  name: string,
  s: Partial<DesiredSpec>,
  o: Partial<ObservedInstance>,
  caps: ProviderCapabilities = NOVA_2_96,
  extra: { readonly adopt?: boolean; readonly base?: (x: Partial<ObservedInstance>) => ObservedInstance } = {},
): PlanInstanceInput {
  const d = { ...desired(s, name), address: `${provider}/${name}`, provider };
  const base = extra.base ?? observed;
  return input(d, base({ id: `${provider}-${name}`, name, provider, ...o }), caps, { adopt: extra.adopt ?? false });
}

const noble = { name: IMAGES.noble.name };
const oldUserData = "#cloud-config\npackages:\n  - nginx\nruncmd:\n  - systemctl enable nginx\n";
const newUserData = "#cloud-config\npackages:\n  - nginx\n  - jq\nruncmd:\n  - systemctl enable nginx\n";

export function fixtureInputs(): PlanInstanceInput[] {
  return [
    server(
      "dc1",
      "web-1",
      { image: noble, keyPair: "ops-2026", userData: userData(newUserData), metadata: { role: "web" } },
      {
        userData: oldUserData,
        userDataSha256: { known: true, value: userData(oldUserData).sha256 },
        metadata: { role: "frontend", owner: "team-a" },
      },
    ),
    server("hw", "app-1", { keyPair: "ops-2026" }, {}, HUAWEI_LIKE),
    server("jd", "vm-1", { image: noble, password: { env: "JD_ROOT_PASSWORD" } }, {}, JD_LIKE),
    server(
      "dc1",
      "web-2",
      { reboot: { token: "2026-11-22", type: "SOFT" } },
      { annotations: { rebootToken: "2026-10-01" } },
    ),
    server("dc1", "web-3", { power: "stopped" }, {}),
    server("dc1", "web-4", { power: "running" }, {}, NOVA_2_96, { base: stopped }),
    server(
      "dc1",
      "web-5",
      { metadata: { role: "web", env: "prod" }, metadataPolicy: "exact" },
      { metadata: { role: "web", legacy: "yes" } },
    ),
    server(
      "dc1",
      "web-6",
      { userData: userData("#cloud-config\n"), reboot: { token: "t1", type: "SOFT" } },
      { userDataSha256: { known: false, reason: "the cloud does not return user_data to this caller" } },
      NOVA_2_96,
      { adopt: true },
    ),
    server("dc1", "web-7", { image: noble }, { status: "rebuilding", rawStatus: "REBUILD", task: "rebuild_spawning" }),
    server("old", "web-8", { keyPair: "ops-2026" }, {}, NOVA_2_53),
    server("dc1", "web-9", { image: noble, changePolicy: { ...DEFAULT_CHANGE_POLICY, onImageChange: "fail" } }, {}),
    server(
      "dc1",
      "db-1",
      { userData: userData("#cloud-config\n") },
      { userDataSha256: { known: false, reason: "the cloud does not return user_data to this caller" } },
    ),
    server("dc1", "db-2", { metadata: { role: "web" } }, {}),
    server("hw", "app-2", { image: noble, metadata: { role: "app" } }, { metadata: { role: "web" } }, HUAWEI_LIKE),
    server(
      "dc1",
      "web-10",
      { keyPair: null, userData: null, reboot: { token: "t2", type: "HARD" } },
      {
        userData: oldUserData,
        userDataSha256: { known: true, value: userData(oldUserData).sha256 },
        annotations: { rebootToken: "t1" },
      },
    ),
    server("dc1", "web-11", { metadata: { note: "a|b`c\nsecond <line>" } }, {}),
    server("dc1", "web-12", { reboot: { token: "t2", type: "HARD" } }, { annotations: { rebootToken: "t1" } }),
    server(
      "dc1",
      "web-13",
      { userData: userData(newUserData) },
      {
        userDataSha256: { known: true, value: userData(oldUserData).sha256 },
        annotations: { userDataSha256: userData(oldUserData).sha256 },
      },
    ),
    server("dc1", "vol-1", { image: noble }, { imageId: "" }),
    server("dc1", "db-3", { image: noble, changePolicy: { ...DEFAULT_CHANGE_POLICY, protect: true } }, {}),
    server(
      "dc1",
      "db-4",
      { metadata: { role: "db" }, changePolicy: { ...DEFAULT_CHANGE_POLICY, minDisruption: "reboot" } },
      {},
    ),
    server(
      "dc1",
      "secret-1",
      { userData: userData(`#cloud-config\nchpasswd: { list: "root:${FIXTURE_SECRET}" }\n`, true) },
      {
        userData: `#cloud-config\nchpasswd: { list: "root:old-${FIXTURE_SECRET}" }\n`,
      },
    ),
  ];
}

export function fixturePlan(): Plan {
  return planFleet({
    inputs: fixtureInputs(),
    createdAt: "2026-11-22T10:00:00.000Z",
    configFile: "/work/fleet.yaml",
    configSha256: "0".repeat(64),
    rollout: { web: DEFAULT_ROLLOUT },
  });
}

/** `count` servers cycling through the fixture's cases (each renamed `<name>-<n>`), planned for real: summaries and steps are consistent. */
export function largeFixturePlan(count: number): Plan {
  const cases = fixtureInputs();
  const inputs = Array.from({ length: count }, (_, i): PlanInstanceInput => {
    const base = cases[i % cases.length]!;
    const name = `${base.observed.name}-${String(i).padStart(4, "0")}`;
    return {
      ...base,
      desired: { ...base.desired, address: `${base.desired.provider}/${name}`, selector: { name } },
      observed: { ...base.observed, id: `${base.observed.id}-${i}`, name },
    };
  });
  return planFleet({
    inputs,
    createdAt: "2026-11-22T10:00:00.000Z",
    configFile: "/work/fleet.yaml",
    configSha256: "0".repeat(64),
    rollout: { web: DEFAULT_ROLLOUT },
  });
}
