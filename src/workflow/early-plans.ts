import type { ListedServer } from "../config/expand.js";
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

/** A page ready to plan, and how far its planning has got. */
interface ReadyPage extends WaitingPage {
  readonly capabilities: ProviderCapabilities;
  next: number;
}

/**
 * Servers planned per turn of the event loop (about 1 ms of work): between two slices the thread reads the sockets
 * and the page worker's messages, so that planning does not hold back the request for the next page.
 */
const SLICE = 100;

/**
 * Plans the servers of a listing page by page, as the pages arrive and while the next is read, so that planning a
 * large fleet overlaps its listing instead of following it. Planned early: a server that only groups select
 * (`GroupMembership`: one server decides it alone), once its provider's capabilities and the fleet's images are known
 * (pages read before that wait). plan() takes an early input only for the same server object, matched to an equal
 * desired instance with the same capabilities (`inputFor`), and the change planned for an input is the one
 * planInstance gives it (`changeOf`); anything else is planned after the listing, as before. Planning never fails
 * here: a server whose early planning throws is left to the plan after the listing, which reports it. Planning runs
 * in slices between the listing's I/O; `flush` plans what is left once the listing is whole, `close` drops it.
 */
export class EarlyPlans implements ObservationListener {
  readonly #membership: GroupMembership;
  readonly #adopt: boolean;
  readonly #targets: readonly string[] | undefined;
  readonly #capabilities = new Map<string, ProviderCapabilities>();
  #images: ResolvedImages | undefined;
  #waiting: WaitingPage[] = [];
  readonly #ready: ReadyPage[] = [];
  #scheduled = false;
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

  /** Plans every page received and not planned yet, now (the listing is whole: nothing else to wait for). */
  flush(): void {
    this.#planWaiting();
    this.#planSlice(Infinity);
  }

  /** Stops planning: what was not planned yet never will be here (the plan failed, or does not need it). */
  close(): void {
    this.#stopped = true;
    this.#waiting = [];
    this.#ready.length = 0;
  }

  /**
   * The desired instance GroupMembership gave this listed server, when the server was planned early: what
   * resolveInstances takes for it instead of matching it again (`KnownDesired`), so that `inputFor` finds the same
   * desired object.
   */
  desiredOf(provider: string, server: ListedServer): DesiredInstance | undefined {
    const desired = this.#inputs.get(server as ObservedInstance)?.desired;
    return desired?.provider === provider ? desired : undefined;
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
    if (early === desired) return input;
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

  /** Moves the pages whose provider's capabilities are known to the ready queue, once the images are known. */
  #planWaiting(): void {
    if (this.#stopped || !this.#images) return;
    const later: WaitingPage[] = [];
    for (const page of this.#waiting) {
      const capabilities = this.#capabilities.get(page.provider);
      if (capabilities) this.#ready.push({ ...page, capabilities, next: 0 });
      else later.push(page);
    }
    this.#waiting = later;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped || this.#ready.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#planSlice(SLICE);
      this.#schedule();
    });
  }

  /** Plans up to `count` servers from the head of the ready queue. */
  #planSlice(count: number): void {
    const images = this.#images;
    if (!images) return;
    let left = count;
    try {
      while (left > 0 && !this.#stopped) {
        const page = this.#ready[0];
        if (!page) return;
        const end = Math.min(page.servers.length, page.next + left);
        left -= end - page.next;
        for (; page.next < end; page.next += 1) this.#plan(page, page.servers[page.next] as ObservedInstance, images);
        if (page.next >= page.servers.length) this.#ready.shift();
      }
    } catch {
      // The plan after the listing plans these servers again and reports what failed, where it always has.
      this.close();
    }
  }

  #plan(page: ReadyPage, server: ObservedInstance, images: ResolvedImages): void {
    const desired = this.#membership.desiredOf(page.provider, server);
    if (!desired || (this.#targets && !isTargeted(desired.address, this.#targets))) return;
    const input = planInput(desired, server, page.capabilities, images, this.#adopt);
    if (!input) return;
    this.#changes.set(input, planInstance(input));
    this.#inputs.set(server, input);
  }
}

function sameSelector(a: InstanceSelector, b: InstanceSelector): boolean {
  return "id" in a ? "id" in b && a.id === b.id : "name" in b && a.name === b.name;
}
