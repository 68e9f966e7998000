import type {
  DesiredInstance,
  DesiredSpec,
  ObservedInstance,
  ProviderCapabilities,
  UserDataSpec,
} from "../model/index.js";
import { DEFAULT_CHANGE_POLICY, DEFAULT_ROLLOUT, userDataSha256 } from "../model/index.js";
import type { PlanInstanceInput } from "./plan-instance.js";

/** Test fixtures for the planner: capability sets shaped like the real clouds, and small builders. */

export const NOVA_2_96: ProviderCapabilities = {
  imageChangeStep: "rebuild",
  sameImageStep: "rebuild",
  reprovisionSetsKeyPair: true,
  reprovisionSetsUserData: true,
  reprovisionRemovesKeyPair: true,
  reprovisionSetsMetadata: true,
  reprovisionRequiresStopped: false,
  reprovisionLeavesStopped: false,
  reprovisionStartsStopped: false,
  reprovisionNeedsPassword: false,
  metadataUpdate: true,
  metadataUpdateInError: false,
  reprovisionInError: true,
  readsUserData: true,
  systemMetadataKeys: [],
  rebootTypes: ["SOFT", "HARD"],
  softRebootRequiresRunning: true,
  maxMetadataValueLength: 255,
  description: "compute microversion 2.96",
  reprovisionsBootVolume: true,
};

export const NOVA_2_53: ProviderCapabilities = {
  ...NOVA_2_96,
  reprovisionSetsKeyPair: false,
  reprovisionSetsUserData: false,
  reprovisionRemovesKeyPair: false,
  readsUserData: false,
  description: "compute microversion 2.53",
  reprovisionsBootVolume: false,
};

/** Nova below 2.93: a rebuild onto another image is refused for a volume-backed server, and one with the same image leaves the volume as it is. */
export const NOVA_2_92: ProviderCapabilities = {
  ...NOVA_2_96,
  reprovisionsBootVolume: false,
  description: "compute API microversion 2.92; a rebuild of a server that boots from a volume needs 2.93",
};

export const HUAWEI_LIKE: ProviderCapabilities = {
  ...NOVA_2_96,
  imageChangeStep: "changeos",
  sameImageStep: "reinstall",
  reprovisionRemovesKeyPair: false,
  reprovisionSetsMetadata: false,
  metadataUpdateInError: true,
  reprovisionInError: false,
  readsUserData: false,
  systemMetadataKeys: ["charging_mode", "metering.*", "__*"],
  description: "Huawei ECS v2 cloudservers",
  reprovisionsBootVolume: false,
};

export const JD_LIKE: ProviderCapabilities = {
  ...NOVA_2_96,
  reprovisionRemovesKeyPair: false,
  reprovisionRequiresStopped: true,
  reprovisionLeavesStopped: true,
  reprovisionNeedsPassword: true,
  reprovisionInError: false,
  rebootTypes: ["SOFT"],
  maxMetadataValueLength: 256,
  description: "JD Cloud VM",
  reprovisionsBootVolume: false,
};

export const IMAGES = {
  jammy: { id: "img-2204", name: "ubuntu-22.04", properties: {} },
  noble: { id: "img-2404", name: "ubuntu-24.04", properties: {} },
} as const;

export function userData(content: string, sensitive = false): UserDataSpec {
  return { content, sha256: userDataSha256(content), sensitive, origin: "inline" };
}

export function spec(overrides: Partial<DesiredSpec> = {}): DesiredSpec {
  return { metadataPolicy: "merge", ignoreMetadata: [], changePolicy: DEFAULT_CHANGE_POLICY, ...overrides };
}

export function desired(overrides: Partial<DesiredSpec> = {}, name = "web-1"): DesiredInstance {
  return {
    address: `dc1/${name}`,
    provider: "dc1",
    selector: { name },
    spec: spec(overrides),
    group: "web",
    rollout: DEFAULT_ROLLOUT,
    source: { file: "/fleet.yaml", line: 10, column: 5 },
  };
}

export function observed(overrides: Partial<ObservedInstance> = {}): ObservedInstance {
  return {
    id: "srv-1",
    name: "web-1",
    provider: "dc1",
    status: "active",
    rawStatus: "ACTIVE",
    task: null,
    imageId: IMAGES.jammy.id,
    keyPair: "ops-2025",
    metadata: { role: "web" },
    systemMetadata: {},
    annotations: {},
    userDataSha256: { known: true, value: null },
    power: "running",
    updatedAt: "2026-01-01T00:00:00Z",
    locked: false,
    addresses: ["10.0.0.5"],
    ...overrides,
  };
}

export function stopped(overrides: Partial<ObservedInstance> = {}): ObservedInstance {
  return observed({ status: "stopped", rawStatus: "SHUTOFF", power: "stopped", ...overrides });
}

export function input(
  d: DesiredInstance,
  o: ObservedInstance,
  caps: ProviderCapabilities = NOVA_2_96,
  extra: { readonly adopt?: boolean; readonly image?: PlanInstanceInput["image"] | null } = {},
): PlanInstanceInput {
  const image =
    extra.image === null ? undefined : (extra.image ?? (d.spec.image === undefined ? undefined : resolve(d.spec)));
  return {
    desired: d,
    observed: o,
    capabilities: caps,
    adopt: extra.adopt ?? false,
    ...(image === undefined ? {} : { image }),
  };
}

function resolve(s: DesiredSpec): PlanInstanceInput["image"] {
  const ref = s.image;
  if (ref === undefined) return undefined;
  const all = Object.values(IMAGES);
  const found = all.find((img) => ("id" in ref ? img.id === ref.id : img.name === ref.name));
  return (
    found ??
    ("id" in ref
      ? { id: ref.id, name: ref.id, properties: {} }
      : { id: `img-${ref.name}`, name: ref.name, properties: {} })
  );
}
