import { resolveInstances, rolloutPolicies } from "../config/expand.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredFleet, DesiredInstance, FleetRoot, ImageRef } from "../model/desired.js";
import type { Diagnostic } from "../model/errors.js";
import { ConfigError } from "../model/errors.js";
import type { ObservedInstance } from "../model/observed.js";
import type { Plan } from "../model/plan.js";
import type { ImageResolution, ProviderAdapter } from "../model/provider.js";
import { planFleet, refuseChanges } from "../plan/plan-fleet.js";
import type { ReprovisionLimitSetting } from "../plan/limits.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";
import { planInstance } from "../plan/plan-instance.js";
import { EarlyPlans } from "./early-plans.js";
import { imageRefKey, layersFor, observeFleet, resolveFleetImages, usedProviders } from "./observe.js";
import { planInput } from "./plan-input.js";
import { preflightChanges } from "./preflight.js";
import { readWholeWhereActing } from "./read-whole.js";
import type { PlanInputSources } from "./step-inputs.js";
import { targetWarnings } from "./patterns.js";

export interface PlanRequest {
  readonly fleet: DesiredFleet;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Record annotations for what cannot be observed, without touching servers. @default false */
  readonly adopt?: boolean;
  /** Address globs; empty plans everything. */
  readonly targets?: readonly string[];
  /**
   * Where the steps' secret references are resolved from. Given, every change is checked before it is planned to run
   * (see preflightChanges): one whose steps need a variable that is not set, a file that cannot be read or a key pair
   * the cloud does not have is an `error` naming the server, the field and the variable, file or key pair (a secret's
   * value is read only to be dropped; references `providedAtApply` names are not looked up). @default not checked
   * (drift never applies)
   */
  readonly inputs?: PlanInputSources;
  /** `--max-reprovisions N`: most servers the plan may reprovision, over the fleet file's `limits.reprovision`. @default the fleet file's */
  readonly maxReprovisions?: number;
  /**
   * Read every server's metadata, user_data and reform's annotations even where the fleet file manages none of them
   * (drift compares the applied digest). @default false: read where the fleet needs them (observeFleet) and for every
   * server the plan acts on (readWholeWhereActing); always with `adopt`
   */
  readonly wholeServers?: boolean;
}

/** A plan together with what apply needs to execute it: desired state and a way to plan one server again. */
export interface PlanResult {
  readonly plan: Plan;
  readonly desired: ReadonlyMap<InstanceAddress, DesiredInstance>;
  readonly observed: ReadonlyMap<InstanceAddress, ObservedInstance>;
  /** Where the fleet file's paths may lead: apply reads secret files through it. */
  readonly root: FleetRoot;
  /** Plans one server again from fresh state (used by apply for servers that were busy). */
  readonly replan: (desired: DesiredInstance, observed: ObservedInstance) => InstanceChange;
  /** For the user, not part of the plan: `targets` that match no server of the fleet. */
  readonly warnings: readonly string[];
}

/**
 * Observe the clouds, match the fleet file to live servers, and plan. Throws ConfigError for unknown servers or images.
 * The fleet's images are resolved while the servers are listed, and the servers that only groups select are planned
 * page by page as the listing goes (EarlyPlans); the rest is planned once the listing is whole.
 */
export async function plan(request: PlanRequest): Promise<PlanResult> {
  const { fleet, adapters, signal } = request;
  const adopt = request.adopt ?? false;
  const early = new EarlyPlans(fleet, { adopt, ...(request.targets ? { targets: request.targets } : {}) });
  const [observation, images] = await Promise.all([
    observeFleet(fleet, adapters, signal, request.wholeServers === true || adopt, early),
    resolveFleetImages(fleetImageRefs(fleet), adapters, signal).then((resolved) => {
      early.images(resolved);
      return resolved;
    }),
  ]).catch((error: unknown) => {
    early.close();
    throw error;
  });
  early.flush();
  const resolved = resolveInstances(fleet, observation.servers, (provider, server) =>
    early.desiredOf(provider, server),
  );
  const diagnostics: Diagnostic[] = [...resolved.diagnostics];
  let inputs: PlanInstanceInput[] = [];
  for (let index = 0; index < resolved.instances.length; index += 1) {
    const desired = resolved.instances[index] as DesiredInstance;
    const observed = resolved.servers[index] as ObservedInstance;
    const capabilities = observation.capabilities.get(desired.provider);
    if (!capabilities) continue;
    const input =
      early.inputFor(desired, observed, capabilities) ??
      planInput(desired, observed, capabilities, images, adopt, diagnostics);
    if (input) inputs.push(input);
  }
  await nameObservedImages(inputs, adapters, signal);
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  const planOf = (planInputs: readonly PlanInstanceInput[]) =>
    planFleet({
      inputs: planInputs,
      createdAt: new Date(request.clock.now()).toISOString(),
      configFile: fleet.file,
      configSha256: fleet.sha256,
      rollout: rolloutPolicies(fleet),
      providers: fleet.providers.map((p) => ({
        name: p.name,
        type: p.type,
        endpoints: adapters.get(p.name)?.endpoints?.() ?? [],
      })),
      ...(request.targets && request.targets.length > 0 ? { targets: request.targets } : {}),
      ...reprovisionLimit(fleet, request.maxReprovisions),
      planOne: (input) => early.changeOf(input),
    });
  let planned = planOf(inputs);
  const whole = await readWholeWhereActing(planned.changes, inputs, adapters, signal);
  if (whole) [inputs, planned] = [whole, planOf(whole)];
  const desired = resolved.byAddress;
  const acting = planned.changes.filter((c) => c.steps.length > 0);
  const preflight = request.inputs
    ? await preflightChanges(acting, desired, {
        adapters,
        capabilities: observation.capabilities,
        sources: request.inputs,
        root: fleet.root,
        signal,
      })
    : new Map();
  const result = refuseChanges(planned, preflight);
  let byAddress: Map<InstanceAddress, PlanInstanceInput> | undefined;
  let observed: Map<InstanceAddress, ObservedInstance> | undefined;
  const targets = request.targets ?? [];
  return {
    plan: result,
    desired,
    // Built when first read (checking a saved plan reads it; a plan alone does not).
    get observed() {
      return (observed ??= new Map(inputs.map((i) => [i.desired.address, i.observed])));
    },
    root: fleet.root,
    warnings:
      targets.length === 0
        ? []
        : targetWarnings(
            targets,
            resolved.instances.map((d) => d.address),
          ),
    replan: (desired, fresh) => {
      byAddress ??= new Map(inputs.map((i) => [i.desired.address, i]));
      const input = byAddress.get(desired.address);
      if (!input) throw new TypeError(`replan: ${desired.address} was not planned`);
      return planInstance({ ...input, observed: fresh });
    },
  };
}

/** The run's reprovision limit: `--max-reprovisions` over the fleet file's `limits.reprovision`; none when neither is set. */
function reprovisionLimit(
  fleet: DesiredFleet,
  override: number | undefined,
): { reprovisionLimit?: ReprovisionLimitSetting } {
  if (override !== undefined) return { reprovisionLimit: { limit: override, source: "--max-reprovisions" } };
  const written = fleet.limits?.reprovision;
  return written === undefined ? {} : { reprovisionLimit: { limit: written, source: "fleet file" } };
}

/**
 * The images servers run now: names where an image change will be shown, properties where the cloud's reprovisioning
 * API depends on them and the image is not managed (failures are ignored: the adapter then chooses at apply).
 */
async function nameObservedImages(
  inputs: PlanInstanceInput[],
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
): Promise<void> {
  const byVariant = (i: PlanInstanceInput) =>
    !i.image && i.capabilities.reprovisionVariants?.imageProperty !== undefined;
  const changing = inputs.filter(
    (i) => i.observed.imageId !== "" && ((i.image && i.observed.imageId !== i.image.id) || byVariant(i)),
  );
  const refs = new Map<string, ImageRef[]>();
  for (const i of changing) {
    const list = refs.get(i.desired.provider);
    if (list) list.push({ id: i.observed.imageId });
    else refs.set(i.desired.provider, [{ id: i.observed.imageId }]);
  }
  if (refs.size === 0) return;
  const names = await resolveFleetImages(refs, adapters, signal).catch(
    () => new Map<string, ReadonlyMap<string, ImageResolution>>(),
  );
  for (const [index, input] of inputs.entries()) {
    const found = names.get(input.desired.provider)?.get(imageRefKey({ id: input.observed.imageId }))?.result;
    if (found?.type === "found")
      inputs[index] = { ...input, observedImage: { id: found.id, name: found.name, properties: found.properties } };
  }
}

/**
 * Each provider's image refs as the fleet file writes them (defaults, the groups that may select its servers, its
 * declared instances): known before the listing, so resolved while it goes. A ref that no server ends up with costs
 * its lookup and nothing else (only a planned server's unresolved image is an error).
 */
function fleetImageRefs(fleet: DesiredFleet): Map<string, ImageRef[]> {
  const refs = new Map<string, ImageRef[]>();
  for (const provider of usedProviders(fleet)) {
    const written = layersFor(fleet, provider).flatMap((layer) => (layer.spec.image ? [layer.spec.image] : []));
    if (written.length > 0) refs.set(provider, written);
  }
  return refs;
}
