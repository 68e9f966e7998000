import type { DesiredInstance } from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ImageResolution, ProviderCapabilities } from "../model/provider.js";
import { didYouMean } from "../model/suggest.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";
import { imageRefKey } from "./observe.js";

/** Each provider's image resolutions, by `imageRefKey`. */
export type ResolvedImages = ReadonlyMap<string, ReadonlyMap<string, ImageResolution>>;

/**
 * What the planner needs for one server matched to `observed`. undefined when its desired image could not be
 * resolved: then `diagnostics` gets why, naming the server (given none, the caller plans the server later itself).
 */
export function planInput(
  desired: DesiredInstance,
  observed: ObservedInstance,
  capabilities: ProviderCapabilities,
  images: ResolvedImages,
  adopt: boolean,
  diagnostics?: Diagnostic[],
): PlanInstanceInput | undefined {
  if (!desired.spec.image) return { desired, observed, capabilities, adopt };
  const resolution = images.get(desired.provider)?.get(imageRefKey(desired.spec.image));
  if (!resolution || resolution.result.type === "error") {
    diagnostics?.push({
      location: desired.source,
      message: `${desired.address}: ${resolution ? describeUnresolved(resolution) : "image could not be resolved"}`,
    });
    return undefined;
  }
  const { id, name, properties } = resolution.result;
  return { desired, observed, capabilities, adopt, image: { id, name, properties } };
}

/** The adapter's message, and the name meant when a name not found is a likely typo of one the cloud has. */
function describeUnresolved(resolution: ImageResolution): string {
  const { ref, result } = resolution;
  if (result.type !== "error") return "";
  return "name" in ref && result.known ? `${result.message}${didYouMean(ref.name, result.known)}` : result.message;
}
