import { GroupMembership } from "../config/expand.js";
import type { InstanceChange } from "../model/change.js";
import type { DesiredFleet, DesiredInstance, InstanceSelector } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ProviderCapabilities } from "../model/provider.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";
import { planInstance } from "../plan/plan-instance.js";
import { isTargeted } from "../plan/targets.js";
import type { ObservationListener } from "./observe.js";
import type { ResolvedImages } from "./plan-input.js";
import { planInput } from "./plan-input.js";

/** A page read before its provider's capabilities or the fleet's images were known. */
interface WaitingPage {
  readonly provider: string;
  readonly servers: readonly ObservedInstance[];
}

/**
 * Plans the servers of a listing page by page, as the pages arrive and while the next is read, so that planning a
 * large fleet overlaps its listing instead of following it. Planned early: a server that only groups select
 * (`GroupMembership`: one server decides it alone), once its provider's capabilities and the fleet's images are known
 * (pages read before that wait). plan() takes an early input only for the same server object, matched to an equal
 * desired instance with the same capabilities (`inputFor`), and the change planned for an input is the one
 * planInstance gives it (`changeOf`); anything else is planned after the listing, as before. Planning never fails
 * here: a server whose early planning throws is left to the plan after the listing, which reports it.
 */
export class EarlyPlans implements ObservationListener {
  readonly #membership: GroupMembership;
  readonly #adopt: boolean;
  readonly #targets: readonly string[] | undefined;
  readonly #capabilities = new Map<string, ProviderCapabilities>();
  #images: ResolvedImages | undefined;
  #waiting: WaitingPage[] = [];
  readonly #inputs = new Map<ObservedInstance, PlanInstanceInput>();
  readonly #changes = new Map<PlanInstanceInput, InstanceChange>();
  #stopped = false;

  constructor(fleet: DesiredFleet, options: { readonly adopt: boolean; readonly targets?: readonly string[] }) {
    this.#membership = new GroupMembership(fleet);
    this.#adopt = options.adopt;
    this.#targets = options.targets && options.targets.length > 0 ? options.targets : undefined;
  }

  capabilities(provider: string, capabilities: ProviderCapabilities): void {
    this.#capabilities.set(provider, capabilities);
    this.#planWaiting();
  }

  page(provider: string, servers: readonly ObservedInstance[]): void {
    this.#waiting.push({ provider, servers });
    this.#planWaiting();
  }

  /** The fleet's images, resolved: the pages read so far are planned now, the others as they arrive. */
  images(images: ResolvedImages): void {
    this.#images = images;
    this.#planWaiting();
  }

  /** The input planned early for this server, when the plan after the listing would build the same one. */
  inputFor(
    desired: DesiredInstance,
    observed: ObservedInstance,
    capabilities: ProviderCapabilities,
  ): PlanInstanceInput | undefined {
    const input = this.#inputs.get(observed);
    if (!input || input.capabilities !== capabilities) return undefined;
    const early = input.desired;
    return early.address === desired.address &&
      early.spec === desired.spec &&
      early.rollout === desired.rollout &&
      early.group === desired.group &&
      early.source === desired.source &&
      sameSelector(early.selector, desired.selector)
      ? input
      : undefined;
  }

  /** The change of an input: planned early, or now by planInstance (and kept: planning the same input again is free). */
  changeOf(input: PlanInstanceInput): InstanceChange {
    let change = this.#changes.get(input);
    if (!change) {
      change = planInstance(input);
      this.#changes.set(input, change);
    }
    return change;
  }

  #planWaiting(): void {
    const images = this.#images;
    if (this.#stopped || !images) return;
    const later: WaitingPage[] = [];
    for (const page of this.#waiting) {
      const capabilities = this.#capabilities.get(page.provider);
      if (capabilities) this.#plan(page.provider, page.servers, capabilities, images);
      else later.push(page);
    }
    this.#waiting = later;
  }

  #plan(
    provider: string,
    servers: readonly ObservedInstance[],
    capabilities: ProviderCapabilities,
    images: ResolvedImages,
  ): void {
    try {
      for (const server of servers) {
        const desired = this.#membership.desiredOf(provider, server);
        if (!desired || (this.#targets && !isTargeted(desired.address, this.#targets))) continue;
        const input = planInput(desired, server, capabilities, images, this.#adopt);
        if (!input) continue;
        this.#changes.set(input, planInstance(input));
        this.#inputs.set(server, input);
      }
    } catch {
      // The plan after the listing plans these servers again and reports what failed, where it always has.
      this.#stopped = true;
      this.#waiting = [];
    }
  }
}

function sameSelector(a: InstanceSelector, b: InstanceSelector): boolean {
  return "id" in a ? "id" in b && a.id === b.id : "name" in b && a.name === b.name;
}
