import type { Reason, ReprovisionVariant, ReprovisionVariants } from "../model/index.js";
import type { Facts } from "./facts.js";

/** The reprovisioning API variant for the image a step installs, and the plan's reason naming it. */
export type VariantChoice =
  | {
      readonly type: "chosen";
      readonly kind: string;
      readonly variant: ReprovisionVariant;
      readonly because: string;
      readonly reason: Reason;
    }
  /** The image's properties could not be read: the adapter chooses at apply. */
  | { readonly type: "unknown"; readonly reason: Reason };

interface TargetImage {
  readonly name: string;
  readonly properties?: Readonly<Record<string, string>>;
}

/** The image the step installs: the desired one when it is the target, else the server's current one (when it was read). */
function targetImage(f: Facts, imageId: string): TargetImage | undefined {
  if (f.input.image?.id === imageId) return f.input.image;
  if (f.input.observedImage?.id === imageId) return f.input.observedImage;
  return undefined;
}

/** undefined when the cloud has a single API for every image (no `reprovisionVariants`). */
export function chooseVariant(f: Facts, kind: string, imageId: string): VariantChoice | undefined {
  const rule = f.caps.reprovisionVariants;
  if (rule === undefined) return undefined;
  const property = rule.imageProperty;
  if (property === undefined) {
    return chosen(kind, rule.otherwise, `the same for every image (${rule.otherwise.description})`);
  }
  const image = targetImage(f, imageId);
  if (image?.properties === undefined) {
    const name = image?.name ?? imageId;
    return {
      type: "unknown",
      reason: {
        message: `${kind}: the API is chosen at apply from the image's ${property} (the properties of image ${name} could not be read)`,
      },
    };
  }
  const value = Object.hasOwn(image.properties, property) ? image.properties[property] : undefined;
  const variant = pick(rule, value);
  const has = value === undefined ? `does not set ${property}` : `has ${property}: ${value}`;
  return chosen(kind, variant, `image ${image.name} ${has} (${variant.description})`);
}

function chosen(kind: string, variant: ReprovisionVariant, because: string): VariantChoice {
  return {
    type: "chosen",
    kind,
    variant,
    because,
    reason: { message: `${kind} through the ${variant.name} API: ${because}` },
  };
}

function pick(rule: ReprovisionVariants, value: string | undefined): ReprovisionVariant {
  const byValue = rule.byValue ?? {};
  return value !== undefined && Object.hasOwn(byValue, value) ? (byValue[value] ?? rule.otherwise) : rule.otherwise;
}

/** A user_data change the chosen variant cannot carry: refused at plan time, with the reason. */
export function variantRefusals(f: Facts, choice: VariantChoice | undefined): Reason[] {
  if (choice?.type !== "chosen" || choice.variant.setsUserData || !f.userDataChanged) return [];
  const { kind, variant, because } = choice;
  return [
    {
      field: "userData",
      message: `${f.address}: user_data cannot change in place: the ${kind} goes through the ${variant.name} API, which cannot set user_data: ${because}`,
    },
  ];
}

/** The chosen variant cannot carry user_data: managed user_data is left as it is. */
export function variantDropsUserData(choice: VariantChoice | undefined): boolean {
  return choice?.type === "chosen" && !choice.variant.setsUserData;
}
