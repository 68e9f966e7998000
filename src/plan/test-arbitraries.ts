import fc from "fast-check";
import type { DesiredSpec, ObservedInstance, ProviderCapabilities, ReprovisionVariants } from "../model/index.js";
import { DEFAULT_CHANGE_POLICY, annotationEntries, splitAnnotations } from "../model/index.js";
import type { PlanInstanceInput } from "./plan-instance.js";
import type { ServerState } from "./test-apply.js";
import { observeUserData } from "./test-apply.js";
import { IMAGES, desired, observed, spec, userData } from "./test-builders.js";

/** fast-check arbitraries for planner properties: random capability sets, specs and live servers. */

export const SECRET = "s3cr3t-Payload-4711";
const USER_DATA = [
  userData("#cloud-config\n"),
  userData("#cloud-config\npackages: [nginx]\n"),
  userData(`#cloud-config\npassword: ${SECRET}\n`, true),
];
const KEYS = ["role", "tier", "owner", "keep-x"];
const TOKENS = ["t1", "t2"];

/** A reprovisioning API chosen by an image property, as Huawei's v1/v2 by `__support_cloudinit`. */
const VARIANTS: ReprovisionVariants = {
  imageProperty: "cloud_init",
  byValue: { false: { name: "v1", setsUserData: false, description: "no Cloud-Init" } },
  otherwise: { name: "v2", setsUserData: true, description: "Cloud-Init" },
};
const IMAGE_PROPERTIES: readonly Readonly<Record<string, string>>[] = [
  {},
  { cloud_init: "false" },
  { cloud_init: "true" },
];

const baseCapsArb: fc.Arbitrary<ProviderCapabilities> = fc.record({
  imageChangeStep: fc.constantFrom("rebuild" as const, "changeos" as const),
  sameImageStep: fc.constantFrom("rebuild" as const, "reinstall" as const, null),
  reprovisionSetsKeyPair: fc.boolean(),
  reprovisionSetsUserData: fc.boolean(),
  reprovisionRemovesKeyPair: fc.boolean(),
  reprovisionSetsMetadata: fc.boolean(),
  reprovisionRequiresStopped: fc.boolean(),
  reprovisionLeavesStopped: fc.boolean(),
  reprovisionStartsStopped: fc.boolean(),
  reprovisionNeedsPassword: fc.boolean(),
  metadataUpdate: fc.boolean(),
  metadataUpdateInError: fc.boolean(),
  reprovisionInError: fc.boolean(),
  readsUserData: fc.boolean(),
  systemMetadataKeys: fc.constantFrom([], ["sys.*"]),
  rebootTypes: fc.constantFrom(["SOFT" as const], ["HARD" as const], ["SOFT" as const, "HARD" as const]),
  softRebootRequiresRunning: fc.constant(true),
  maxMetadataValueLength: fc.constantFrom(6, 255),
  description: fc.constant("random capabilities"),
  reprovisionsBootVolume: fc.boolean(),
});

export const capsArb: fc.Arbitrary<ProviderCapabilities> = fc
  .tuple(baseCapsArb, fc.boolean())
  .map(([caps, variants]) => (variants ? { ...caps, reprovisionVariants: VARIANTS } : caps));

const metadataArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom("a", "b", "long-value"), { maxKeys: 4 });
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

export const specArb: fc.Arbitrary<DesiredSpec> = fc
  .record({
    image: optional(fc.constantFrom({ name: IMAGES.jammy.name }, { name: IMAGES.noble.name })),
    keyPair: optional(fc.constantFrom(null, "k1", "k2")),
    metadata: optional(metadataArb),
    metadataPolicy: fc.constantFrom("merge" as const, "exact" as const),
    ignoreMetadata: fc.constantFrom([], ["keep-*"]),
    userData: optional(fc.constantFrom(null, ...USER_DATA)),
    reboot: optional(
      fc.record({ token: fc.constantFrom(...TOKENS), type: fc.constantFrom("SOFT" as const, "HARD" as const) }),
    ),
    power: optional(fc.constantFrom("running" as const, "stopped" as const)),
    password: optional(fc.constant({ env: "ROOT_PASSWORD" })),
    changePolicy: fc
      .record({
        onImageChange: fc.constantFrom("rebuild" as const, "rebuild" as const, "fail" as const),
        onKeyPairChange: fc.constantFrom("rebuild" as const, "rebuild" as const, "fail" as const),
        onUserDataChange: fc.constantFrom("rebuild" as const, "rebuild" as const, "ignore" as const, "fail" as const),
      })
      .map((p) => ({ ...DEFAULT_CHANGE_POLICY, ...p })),
  })
  .map((s) => spec(Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Partial<DesiredSpec>));

/** A live server: what it really is (`userDataSha256`) and what the cloud shows of it. */
export function serverArb(caps: ProviderCapabilities): fc.Arbitrary<ServerState> {
  return fc
    .record({
      status: fc.constantFrom(
        "active" as const,
        "active" as const,
        "stopped" as const,
        "error" as const,
        "rebuilding" as const,
      ),
      power: fc.constantFrom("running" as const, "stopped" as const),
      imageId: fc.constantFrom(IMAGES.jammy.id, IMAGES.noble.id, ""),
      bootVolume: fc.constantFrom("none" as const, "none" as const, "read" as const, "unreadable" as const),
      keyPair: fc.constantFrom(null, "k1", "k2"),
      metadata: metadataArb,
      rebootToken: optional(fc.constantFrom(...TOKENS)),
      userDataAnnotation: fc.boolean(),
      actual: fc.constantFrom(null, ...USER_DATA.map((u) => u.sha256)),
    })
    .map((r) => {
      const power = r.status === "stopped" ? "stopped" : r.status === "active" ? "running" : r.power;
      const annotations = splitAnnotations(
        annotationEntries({
          rebootToken: r.rebootToken,
          userDataSha256: r.userDataAnnotation ? (r.actual ?? undefined) : undefined,
        }),
      ).annotations;
      const o: ObservedInstance = observed({
        status: r.status,
        rawStatus: r.status.toUpperCase(),
        task: r.status === "rebuilding" ? "rebuilding" : null,
        power,
        imageId: r.bootVolume === "unreadable" ? "" : r.imageId,
        ...bootVolumeOf(r.bootVolume, r.imageId),
        keyPair: r.keyPair,
        metadata: r.metadata,
        annotations,
        userDataSha256: observeUserData(caps, r.actual, annotations),
      });
      return { observed: o, userDataSha256: r.actual };
    });
}

/** A server booting from an image, or from a volume whose image was read (or could not be). */
function bootVolumeOf(kind: "none" | "read" | "unreadable", imageId: string): Pick<ObservedInstance, "bootVolume"> {
  if (kind === "none") return {};
  if (kind === "unreadable" || imageId === "")
    return { bootVolume: { id: "vol-1", unknownReason: "its root volume vol-1 was not created from an image" } };
  return { bootVolume: { id: "vol-1" } };
}

export interface Scenario {
  readonly caps: ProviderCapabilities;
  readonly server: ServerState;
  readonly input: PlanInstanceInput;
}

export const scenarioArb: fc.Arbitrary<Scenario> = capsArb.chain((caps) =>
  fc
    .record({
      server: serverArb(caps),
      spec: specArb,
      adopt: fc.boolean(),
      properties: fc.constantFrom(...IMAGE_PROPERTIES),
      current: optional(fc.constantFrom(...IMAGE_PROPERTIES)),
    })
    .map(({ server, spec: s, adopt, properties, current }) => {
      const d = { ...desired(), spec: s };
      const found =
        s.image === undefined
          ? undefined
          : Object.values(IMAGES).find((img) => "name" in s.image! && img.name === s.image.name);
      const image = found ? { ...found, properties } : undefined;
      // The current image as the plan read it: its properties unknown (undefined) or one of the sets.
      const imageId = server.observed.imageId;
      const observedImage =
        imageId === ""
          ? undefined
          : { id: imageId, name: `current ${imageId}`, ...(current ? { properties: current } : {}) };
      return {
        caps,
        server,
        input: {
          desired: d,
          observed: server.observed,
          capabilities: caps,
          adopt,
          ...(image ? { image } : {}),
          ...(observedImage ? { observedImage } : {}),
        },
      };
    }),
);

/** The guardrails of a server's policy, at random. */
export const guardrailPolicyArb = fc.record({
  maxDisruption: fc.constantFrom("reprovision" as const, "reprovision" as const, "reboot" as const, "none" as const),
  minDisruption: fc.constantFrom("none" as const, "reboot" as const),
  protect: fc.boolean(),
});

/** Scenarios whose server also carries random guardrails (`maxDisruption`, `minDisruption`, `protect`). */
export const guardedScenarioArb: fc.Arbitrary<Scenario> = scenarioArb.chain((s) =>
  guardrailPolicyArb.map((guardrails) => {
    const d = s.input.desired;
    const desired = { ...d, spec: { ...d.spec, changePolicy: { ...d.spec.changePolicy, ...guardrails } } };
    return { ...s, input: { ...s.input, desired } };
  }),
);
