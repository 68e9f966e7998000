import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstanceChange, ProviderCapabilities, ReprovisionVariant } from "../model/index.js";
import { planInstance } from "./plan-instance.js";
import type { PlanInstanceInput } from "./plan-instance.js";
import { scenarioArb } from "./test-arbitraries.js";
import { HUAWEI_LIKE, IMAGES, NOVA_2_96, desired, input, observed, userData } from "./test-builders.js";

const V2: ReprovisionVariant = { name: "v2", setsUserData: true, description: "Cloud-Init: user_data is carried" };
const V1: ReprovisionVariant = {
  name: "v1",
  setsUserData: false,
  description: "no Cloud-Init: user_data cannot be sent",
};
const BY_IMAGE: ProviderCapabilities = {
  ...HUAWEI_LIKE,
  reprovisionVariants: { imageProperty: "__support_cloudinit", byValue: { false: V1 }, otherwise: V2 },
};
const FIXED_V1: ProviderCapabilities = {
  ...HUAWEI_LIKE,
  reprovisionVariants: { otherwise: { ...V1, description: "cloudInit: never in the provider's settings" } },
};

const withInit = { id: "img-euler-ci", name: "euler-ci", properties: { __support_cloudinit: "true" } };
const noInit = { id: "img-euler-raw", name: "euler-raw", properties: { __support_cloudinit: "false" } };
const unset = { id: "img-euler-plain", name: "euler-plain", properties: {} };
const oldUserData = userData("#cloud-config\npackages: [nginx]\n");
const newUserData = userData("#cloud-config\npackages: [caddy]\n");

const reasonText = (c: InstanceChange): string => c.reasons.map((r) => r.message).join("\n");
function params(c: InstanceChange) {
  const step = c.steps.find((s) => s.impact === "reprovision");
  if (step === undefined || step.impact !== "reprovision") throw new Error(`no reprovisioning step: ${c.action}`);
  return step.params;
}
function toImage(
  image: PlanInstanceInput["image"] & object,
  d: ReturnType<typeof desired>,
  caps: ProviderCapabilities,
): PlanInstanceInput {
  const o = observed({
    annotations: { userDataSha256: oldUserData.sha256 },
    userDataSha256: { known: true, value: oldUserData.sha256 },
  });
  return input(d, o, caps, { image });
}

describe("planInstance: the reprovisioning API variant chosen from the image (capability reprovisionVariants)", () => {
  it.each([
    [
      "an image with Cloud-Init",
      withInit,
      "v2",
      "changeos through the v2 API: image euler-ci has __support_cloudinit: true (Cloud-Init: user_data is carried)",
    ],
    [
      "an image without the property",
      unset,
      "v2",
      "changeos through the v2 API: image euler-plain does not set __support_cloudinit (Cloud-Init: user_data is carried)",
    ],
    [
      "an image without Cloud-Init",
      noInit,
      "v1",
      "changeos through the v1 API: image euler-raw has __support_cloudinit: false (no Cloud-Init: user_data cannot be sent)",
    ],
  ])("an image change to %s plans the %s... variant and says why", (_what, image, variant, reason) => {
    const c = planInstance(toImage(image, desired({ image: { name: image.name } }), BY_IMAGE));
    expect(c.action).toBe("rebuild");
    expect(c.steps.map((s) => s.kind)).toContain("changeos");
    expect(params(c).variant).toBe(variant);
    expect(reasonText(c)).toContain(reason);
  });

  it("carries a user_data change on an image with Cloud-Init (v2)", () => {
    const c = planInstance(
      toImage(withInit, desired({ image: { name: withInit.name }, userData: newUserData }), BY_IMAGE),
    );
    expect(params(c)).toMatchObject({ variant: "v2", userDataSha256: newUserData.sha256 });
  });

  it("refuses at plan time a user_data change on an image without Cloud-Init, naming the API and why", () => {
    const c = planInstance(toImage(noInit, desired({ image: { name: noInit.name }, userData: newUserData }), BY_IMAGE));
    expect(c.action).toBe("unsupported");
    expect(c.steps).toEqual([]);
    expect(c.reasons).toContainEqual({
      field: "userData",
      message:
        "dc1/web-1: user_data cannot change in place: the changeos goes through the v1 API, which cannot set user_data: image euler-raw has __support_cloudinit: false (no Cloud-Init: user_data cannot be sent)",
    });
  });

  it("changes the image of a server whose managed user_data is unchanged through v1 without sending user_data", () => {
    const c = planInstance(toImage(noInit, desired({ image: { name: noInit.name }, userData: oldUserData }), BY_IMAGE));
    expect(c.action).toBe("rebuild");
    expect(params(c).variant).toBe("v1");
    expect(params(c).userDataSha256).toBeUndefined();
  });

  it("uses the current image's properties for a key pair change with the same image (reinstall)", () => {
    const o = observed({ imageId: noInit.id });
    const c = planInstance({ ...input(desired({ keyPair: "ops-2026" }), o, BY_IMAGE), observedImage: noInit });
    expect(c.action).toBe("reinstall");
    expect(params(c)).toMatchObject({ variant: "v1", imageId: noInit.id, keyPair: "ops-2026" });
    expect(reasonText(c)).toContain("reinstall through the v1 API: image euler-raw has __support_cloudinit: false");
  });

  it("refuses a user_data change on the current image without Cloud-Init (reinstall), image not managed", () => {
    const o = observed({ imageId: noInit.id });
    const c = planInstance({ ...input(desired({ userData: newUserData }), o, BY_IMAGE), observedImage: noInit });
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("user_data cannot change in place: the reinstall goes through the v1 API");
  });

  it("leaves the choice to apply, and says so, when the current image's properties could not be read", () => {
    const c = planInstance({
      ...input(desired({ keyPair: "ops-2026", userData: newUserData }), observed(), BY_IMAGE),
      observedImage: { id: IMAGES.jammy.id, name: IMAGES.jammy.name },
    });
    expect(c.action).toBe("reinstall");
    expect(params(c).variant).toBeUndefined();
    expect(params(c).userDataSha256).toBe(newUserData.sha256);
    expect(reasonText(c)).toContain(
      "reinstall: the API is chosen at apply from the image's __support_cloudinit (the properties of image ubuntu-22.04 could not be read)",
    );
  });

  it("names a variant fixed by the provider's settings for every image", () => {
    const c = planInstance(
      toImage(withInit, desired({ image: { name: withInit.name }, userData: newUserData }), FIXED_V1),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain(
      "the changeos goes through the v1 API, which cannot set user_data: the same for every image (cloudInit: never in the provider's settings)",
    );
  });

  it("plans no variant and no variant reason for a cloud with one API (Nova)", () => {
    const c = planInstance(
      toImage(withInit, desired({ image: { name: withInit.name }, userData: newUserData }), NOVA_2_96),
    );
    expect(params(c).variant).toBeUndefined();
    expect(reasonText(c)).not.toContain(" API");
  });

  it("the planner property scenarios (plan-properties.test.ts) reach both variants, the refusal and the choice left to apply", () => {
    const seen = new Set<string>();
    for (const scenario of fc.sample(scenarioArb, { numRuns: 4000, seed: 7 })) {
      const c = planInstance(scenario.input);
      const step = c.steps.find((st) => st.impact === "reprovision");
      if (step?.impact === "reprovision" && step.params.variant) seen.add(step.params.variant);
      if (reasonText(c).includes("which cannot set user_data")) seen.add("refused");
      if (reasonText(c).includes("the API is chosen at apply")) seen.add("at apply");
    }
    expect([...seen].sort()).toEqual(["at apply", "refused", "v1", "v2"]);
  });

  it("never plans user_data through a variant that cannot carry it, whatever the image says", () => {
    const value = fc.option(fc.constantFrom("true", "false", "True", "", "yes"), { nil: undefined });
    fc.assert(
      fc.property(value, fc.boolean(), fc.boolean(), (property, changeUserData, changeImage) => {
        const properties: Record<string, string> = property === undefined ? {} : { __support_cloudinit: property };
        const image = { id: "img-x", name: "x", properties };
        const d = desired({
          ...(changeImage ? { image: { name: "x" } } : {}),
          keyPair: "ops-2026",
          userData: changeUserData ? newUserData : oldUserData,
        });
        const o = observed({
          imageId: changeImage ? "img-other" : image.id,
          annotations: { userDataSha256: oldUserData.sha256 },
          userDataSha256: { known: true, value: oldUserData.sha256 },
        });
        const c = planInstance({
          ...input(d, o, BY_IMAGE, changeImage ? { image } : {}),
          ...(changeImage ? {} : { observedImage: image }),
        });
        const expected = property === "false" ? "v1" : "v2";
        if (c.action === "unsupported") return expected === "v1" && changeUserData;
        const p = params(c);
        return (
          p.variant === expected &&
          (expected === "v2" || p.userDataSha256 === undefined) &&
          reasonText(c).includes(`through the ${expected} API`)
        );
      }),
    );
  });
});
