import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveInstances } from "../config/expand.js";
import { loadFleetText } from "../config/load.js";
import type { DesiredFleet } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ImageResolution } from "../model/provider.js";
import { planInstance } from "../plan/plan-instance.js";
import { IMAGES, NOVA_2_96, observed } from "../plan/test-builders.js";
import { EarlyPlans } from "./early-plans.js";
import { imageRefKey } from "./observe.js";
import type { ResolvedImages } from "./plan-input.js";
import { planInput } from "./plan-input.js";

const NAMES = ["web-1", "web-2", "db-1", "db-2", "cache"] as const;

function fleetOf(body: string): Promise<DesiredFleet> {
  const text = `providers:\n  dc1: { type: openstack, cloud: dc1 }\n${body}`;
  return loadFleetText(text, "/fleet/fleet.yaml", {
    readFile: () => Promise.resolve("#cloud-config\n"),
    realPath: (p) => Promise.resolve({ path: p, exists: true }),
    env: {},
    cwd: "/fleet",
  });
}

/** The images the fleets below name: ubuntu-22.04 and ubuntu-24.04 found, "gone" not. */
const images: ResolvedImages = new Map([
  [
    "dc1",
    new Map<string, ImageResolution>([
      ...Object.values(IMAGES).map((i): [string, ImageResolution] => [
        imageRefKey({ name: i.name }),
        { ref: { name: i.name }, result: { type: "found", id: i.id, name: i.name, properties: {} } },
      ]),
      [imageRefKey({ name: "gone" }), { ref: { name: "gone" }, result: { type: "error", message: "no image gone" } }],
    ]),
  ],
]);

const groupArb = fc.record({
  glob: fc.constantFrom("web-*", "db-*", "*", "*-1"),
  role: fc.option(fc.constantFrom("web", "db"), { nil: undefined }),
  image: fc.constantFrom("ubuntu-22.04", "ubuntu-24.04", "gone"),
  keyPair: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
});
const declaredArb = fc.record({
  by: fc.constantFrom("id" as const, "name" as const),
  index: fc.nat(NAMES.length * 2 - 1),
  keyPair: fc.constantFrom("k1", "k3"),
});
const serverArb = fc.record({
  name: fc.constantFrom(...NAMES),
  role: fc.constantFrom("web", "db", "none"),
  keyPair: fc.constantFrom("k1", "k2"),
  imageId: fc.constantFrom(IMAGES.jammy.id, IMAGES.noble.id),
});

/**
 * A fleet of groups (name globs, some also matching metadata) and declared instances (by id or by name, some naming
 * a server that is not there), the servers of its provider (names repeat), cut into pages.
 */
const scenarioArb = fc.record({
  groups: fc.array(groupArb, { minLength: 1, maxLength: 3 }),
  declared: fc.array(declaredArb, { maxLength: 2 }),
  servers: fc.array(serverArb, { minLength: 1, maxLength: 10 }),
  cuts: fc.array(fc.nat(10), { maxLength: 3 }),
  capabilitiesAt: fc.nat(4),
  imagesAt: fc.nat(4),
  adopt: fc.boolean(),
  targets: fc.constantFrom(undefined, ["dc1/web-*"]),
  // Planned by the slices the event loop runs, or all at once by flush() (the listing ended).
  flush: fc.boolean(),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function fleetYaml(s: Scenario, ids: readonly string[]): string {
  const groups = s.groups.map((g, i) => {
    const match = g.role ? `{ name: "${g.glob}", metadata: { role: ${g.role} } }` : `{ name: "${g.glob}" }`;
    const key = g.keyPair ? `, keyPair: ${g.keyPair}` : "";
    return `  - { name: g${i}, match: ${match}, spec: { image: { name: ${g.image} }, metadata: { tier: t${i} }${key} } }`;
  });
  const instances = s.declared.map((d) => {
    const target = d.index < s.servers.length ? s.servers[d.index] : undefined;
    const selector = d.by === "id" ? `id: ${ids[d.index] ?? "srv-missing"}` : `name: ${target?.name ?? "nowhere"}`;
    return {
      selector,
      line: `  - { provider: dc1, ${selector}, spec: { keyPair: ${d.keyPair}, image: { name: ubuntu-24.04 } } }`,
    };
  });
  // Each server declared once (a second declaration is a configuration error, not this test's subject).
  const lines = [...new Map(instances.map((i) => [i.selector, i.line])).values()];
  return [
    ...(groups.length > 0 ? ["groups:", ...groups] : []),
    ...(lines.length > 0 ? ["instances:", ...lines] : []),
  ].join("\n");
}

describe("EarlyPlans: servers planned page by page while the listing goes", () => {
  it("gives every server the change the plan after the listing gives it, whatever arrives first (property)", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const ids = s.servers.map((_, i) => `srv-${i}`);
        const servers: ObservedInstance[] = s.servers.map((server, i) =>
          observed({
            id: ids[i],
            name: server.name,
            keyPair: server.keyPair,
            imageId: server.imageId,
            metadata: server.role === "none" ? {} : { role: server.role },
          }),
        );
        const fleet = await fleetOf(fleetYaml(s, ids));
        const early = new EarlyPlans(fleet, { adopt: s.adopt, ...(s.targets ? { targets: s.targets } : {}) });
        // Events in a drawn order: the pages, with the capabilities and the images somewhere among them.
        const cuts = [...new Set(s.cuts.map((c) => Math.min(c, servers.length)))].sort((a, b) => a - b);
        const pages = [0, ...cuts, servers.length]
          .slice(0, -1)
          .map((start, i, starts) => servers.slice(start, [...starts, servers.length][i + 1]));
        const events: (() => void)[] = pages.map((page) => () => early.page("dc1", page));
        events.splice(Math.min(s.capabilitiesAt, events.length), 0, () => early.capabilities("dc1", NOVA_2_96));
        events.splice(Math.min(s.imagesAt, events.length), 0, () => early.images(images));
        for (const event of events) event();
        if (s.flush) early.flush();
        else await new Promise((resolve) => setTimeout(resolve, 5));

        const resolved = resolveInstances(fleet, new Map([["dc1", servers]]));
        // Resolving with the desired instances the early plans resolved gives the same instances, in the same order,
        // each server planned early keeping its early desired object.
        const withKnown = resolveInstances(fleet, new Map([["dc1", servers]]), (p, server) =>
          early.desiredOf(p, server),
        );
        expect(withKnown.instances).toEqual(resolved.instances);
        expect(withKnown.servers).toEqual(resolved.servers);
        expect(withKnown.servers.every((server, i) => server === resolved.servers[i])).toBe(true);
        expect(withKnown.diagnostics).toEqual(resolved.diagnostics);
        expect([...withKnown.byAddress.keys()]).toEqual([...resolved.byAddress.keys()]);
        const reused = withKnown.instances.filter((d, i) => d === early.desiredOf("dc1", withKnown.servers[i]!));
        expect(early.desiredOf("dc2", servers[0]!)).toBeUndefined();
        let plannedEarly = 0;
        for (const [index, desired] of resolved.instances.entries()) {
          const server = resolved.servers[index] as ObservedInstance;
          const fresh = planInput(desired, server, NOVA_2_96, images, s.adopt);
          const taken = early.inputFor(desired, server, NOVA_2_96);
          if (taken) plannedEarly += 1;
          const input = taken ?? fresh;
          if (!input || !fresh) {
            expect(taken).toBeUndefined();
            continue;
          }
          expect(input).toEqual(fresh);
          expect(early.changeOf(input)).toEqual(planInstance(fresh));
        }
        // Not vacuous: without declared instances or targets, every server with a resolvable image was planned early.
        if (s.declared.length === 0 && s.targets === undefined) {
          const resolvable = resolved.instances.filter((d) => planInput(d, servers[0]!, NOVA_2_96, images, false));
          expect(plannedEarly).toBe(resolvable.length);
          expect(reused).toHaveLength(plannedEarly);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("does not take an early input for a server the plan matched otherwise, nor for other capabilities", async () => {
    const fleet = await fleetOf(
      `groups:\n  - { name: web, match: { name: "web-*" }, spec: { image: { name: ubuntu-24.04 } } }\n` +
        `instances:\n  - { provider: dc1, name: web-2, spec: { keyPair: k3 } }\n`,
    );
    const web1 = observed({ id: "a", name: "web-1" });
    const web2 = observed({ id: "b", name: "web-2" });
    const early = new EarlyPlans(fleet, { adopt: false });
    early.images(images);
    early.capabilities("dc1", NOVA_2_96);
    early.page("dc1", [web1, web2]);
    early.flush();
    const resolved = resolveInstances(fleet, new Map([["dc1", [web1, web2]]]));
    const [declared, grouped] = resolved.instances;
    expect(declared?.address).toBe("dc1/web-2");
    expect(early.inputFor(declared!, web2, NOVA_2_96)).toBeUndefined();
    expect(early.inputFor(grouped!, web1, NOVA_2_96)?.desired).toEqual(grouped);
    expect(early.inputFor(grouped!, web1, { ...NOVA_2_96 })).toBeUndefined();
    expect(early.inputFor(grouped!, { ...web1 }, NOVA_2_96)).toBeUndefined();
  });

  it("waits for the provider's capabilities and the images before planning a page", async () => {
    const fleet = await fleetOf(`groups:\n  - { name: all, match: { name: "*" }, spec: { keyPair: k1 } }\n`);
    const server = observed({ id: "a", name: "web-1" });
    const early = new EarlyPlans(fleet, { adopt: false });
    early.page("dc1", [server]);
    early.capabilities("dc1", NOVA_2_96);
    early.flush();
    const [desired] = resolveInstances(fleet, new Map([["dc1", [server]]])).instances;
    expect(early.inputFor(desired!, server, NOVA_2_96)).toBeUndefined();
    early.images(images);
    early.flush();
    expect(early.inputFor(desired!, server, NOVA_2_96)?.observed).toBe(server);
  });
});

describe("EarlyPlans between the listing's I/O", () => {
  it("plans a page in slices between turns of the event loop, and plans nothing after close()", async () => {
    const fleet = await fleetOf(`groups:\n  - { name: all, match: { name: "*" }, spec: { keyPair: k1 } }\n`);
    const servers = Array.from({ length: 450 }, (_, i) => observed({ id: `s${i}`, name: `web-${i}` }));
    const resolved = resolveInstances(fleet, new Map([["dc1", servers]]));
    const plannedNow = (early: EarlyPlans) =>
      resolved.instances.filter((d, i) => early.inputFor(d, resolved.servers[i]!, NOVA_2_96)).length;
    const early = new EarlyPlans(fleet, { adopt: false });
    early.images(images);
    early.capabilities("dc1", NOVA_2_96);
    early.page("dc1", servers);
    expect(plannedNow(early)).toBe(0);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    expect(plannedNow(early)).toBe(100);
    let turns = 1;
    while (plannedNow(early) < servers.length && turns < 50) {
      await turn();
      turns += 1;
    }
    expect(plannedNow(early)).toBe(servers.length);
    expect(turns).toBe(5);

    const closed = new EarlyPlans(fleet, { adopt: false });
    closed.images(images);
    closed.capabilities("dc1", NOVA_2_96);
    closed.page("dc1", servers);
    closed.close();
    closed.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(plannedNow(closed)).toBe(0);
  });
});
