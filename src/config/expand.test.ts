import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  DeclaredInstance,
  DesiredFleet,
  DesiredGroup,
  DesiredInstance,
  PartialSpec,
  SpecLayer,
} from "../model/desired.js";
import { DEFAULT_CHANGE_POLICY, DEFAULT_ROLLOUT } from "../model/desired.js";
import type { ListedServer } from "./expand.js";
import { GroupMembership, mergeSpecs, resolveInstances, rolloutPolicies } from "./expand.js";

const at = (line: number) => ({ file: "fleet.yaml", line, column: 5 });
const layer = (spec: PartialSpec = {}, rollout: SpecLayer["rollout"] = {}): SpecLayer => ({ spec, rollout });

function fleet(parts: { defaults?: SpecLayer; groups?: DesiredGroup[]; instances?: DeclaredInstance[] }): DesiredFleet {
  return {
    file: "/work/fleet.yaml",
    sha256: "0".repeat(64),
    providers: [
      { name: "dc1", type: "openstack", options: {}, source: at(1) },
      { name: "dc2", type: "openstack", options: {}, source: at(2) },
    ],
    defaults: parts.defaults ?? layer(),
    groups: parts.groups ?? [],
    instances: parts.instances ?? [],
    journal: "/work/.reform/journal.jsonl",
    root: { baseDir: "/work", root: "/work", label: "the fleet file's directory" },
  };
}

const server = (id: string, name: string, metadata: Record<string, string> = {}): ListedServer => ({
  id,
  name,
  metadata,
});
const instance = (
  provider: string,
  selector: DeclaredInstance["selector"],
  line: number,
  spec: PartialSpec = {},
): DeclaredInstance => ({ ...layer(spec), provider, selector, source: at(line) });
const group = (
  name: string,
  match: DesiredGroup["match"],
  line: number,
  spec: PartialSpec = {},
  rollout: SpecLayer["rollout"] = {},
  provider?: string,
): DesiredGroup => ({
  ...layer(spec, rollout),
  name,
  match,
  source: at(line),
  ...(provider ? { provider } : {}),
});

const listed = new Map<string, ListedServer[]>([
  [
    "dc1",
    [
      server("a1", "web-1", { role: "web" }),
      server("a2", "web-2", { role: "web" }),
      server("a3", "db-1", { role: "db" }),
      server("a4", "dup"),
      server("a5", "dup"),
    ],
  ],
  ["dc2", [server("b1", "web-1", { role: "web" })]],
]);

describe("resolveInstances", () => {
  it("merges defaults, then matching groups in file order, then the instance", () => {
    const f = fleet({
      defaults: layer(
        {
          image: { name: "base" },
          metadata: { owner: "ops", env: "prod" },
          changePolicy: { onImageChange: "fail", maxDisruption: "reboot", protect: true },
        },
        { parallelism: 3 },
      ),
      groups: [
        group(
          "web",
          { name: "web-*" },
          10,
          {
            image: { name: "web-img" },
            metadata: { role: "web" },
            changePolicy: { onUserDataChange: "ignore", minDisruption: "reboot", protect: false },
          },
          { canary: 1 },
        ),
        group(
          "tagged",
          { metadata: { role: "web" } },
          20,
          { keyPair: "k1", metadata: { env: "staging" } },
          { maxUnavailable: 2 },
        ),
      ],
      instances: [
        instance("dc1", { name: "web-1" }, 30, {
          keyPair: null,
          metadata: { tier: "1" },
          changePolicy: { onKeyPairChange: "fail", maxDisruption: "none" },
        }),
      ],
    });
    const { instances, diagnostics } = resolveInstances(f, new Map([["dc1", listed.get("dc1") ?? []]]));
    expect(diagnostics).toEqual([]);
    const web1 = instances.find((i) => i.address === "dc1/web-1");
    expect(web1?.spec).toEqual({
      image: { name: "web-img" },
      keyPair: null,
      metadata: { owner: "ops", env: "staging", role: "web", tier: "1" },
      metadataPolicy: "merge",
      ignoreMetadata: [],
      // Field by field, the instance winning: maxDisruption from the instance over defaults, protect from the group.
      changePolicy: {
        onImageChange: "fail",
        onUserDataChange: "ignore",
        onKeyPairChange: "fail",
        maxDisruption: "none",
        minDisruption: "reboot",
        protect: false,
      },
    });
    expect(web1?.group).toBe("tagged");
    expect(web1?.rollout).toEqual({ ...DEFAULT_ROLLOUT, parallelism: 3, maxUnavailable: 2 });
    expect(web1?.selector).toEqual({ name: "web-1" });
    expect(web1?.source).toEqual(at(30));
  });

  it("turns servers matched only by groups into instances addressed by name, selected by id", () => {
    const f = fleet({ groups: [group("web", { name: "web-*" }, 10, { power: "running" }, {}, "dc1")] });
    const { instances, diagnostics } = resolveInstances(f, listed);
    expect(diagnostics).toEqual([]);
    expect(instances.map((i) => [i.address, i.selector, i.group, i.source.line])).toEqual([
      ["dc1/web-1", { id: "a1" }, "web", 10],
      ["dc1/web-2", { id: "a2" }, "web", 10],
    ]);
    expect(instances[0]?.spec.power).toBe("running");
  });

  it("matches every provider when the group names none, and requires all metadata to match", () => {
    const f = fleet({ groups: [group("web", { name: "web-1", metadata: { role: "web" } }, 10)] });
    expect(resolveInstances(f, listed).instances.map((i) => i.address)).toEqual(["dc1/web-1", "dc2/web-1"]);
    const none = fleet({ groups: [group("web", { name: "web-*", metadata: { role: "db" } }, 10)] });
    expect(resolveInstances(none, listed).instances).toEqual([]);
  });

  it("addresses instances declared by id with the id, and applies defaults to servers in no group", () => {
    const { instances } = resolveInstances(fleet({ instances: [instance("dc1", { id: "a3" }, 7)] }), listed);
    expect(instances).toEqual([
      {
        address: "dc1/a3",
        provider: "dc1",
        selector: { id: "a3" },
        spec: { metadataPolicy: "merge", ignoreMetadata: [], changePolicy: DEFAULT_CHANGE_POLICY },
        group: "default",
        rollout: DEFAULT_ROLLOUT,
        source: at(7),
      },
    ]);
  });

  it("reports missing, ambiguous and doubly declared servers at the instance", () => {
    const f = fleet({
      instances: [
        instance("dc1", { name: "nope" }, 1),
        instance("dc1", { name: "dup" }, 2),
        instance("dc1", { id: "zz" }, 3),
        instance("dc1", { name: "web-2" }, 4),
        instance("dc1", { id: "a2" }, 5),
        instance("dc2", { name: "web-1" }, 6),
      ],
    });
    const { instances, diagnostics } = resolveInstances(f, listed);
    expect(diagnostics).toEqual([
      { location: at(1), message: "no server named nope in provider dc1" },
      { location: at(2), message: "server name dup is ambiguous in provider dc1: ids a4, a5; declare it by id" },
      { location: at(3), message: "no server with id zz in provider dc1" },
      { location: at(5), message: "dc1 server 'web-2' (id a2) is declared twice: here and at fleet.yaml:4:5" },
    ]);
    expect(instances.map((i) => i.address)).toEqual(["dc1/web-2", "dc2/web-1"]);
  });

  it("merges each combination of matching groups once: its servers share one spec and rollout, others get their own", () => {
    const f = fleet({
      groups: [
        group("all", { name: "*" }, 10, { keyPair: "ops", metadata: { tier: "any" } }, { parallelism: 3 }),
        group("web", { name: "web-*" }, 20, { metadata: { role: "www" } }, { parallelism: 5 }, "dc1"),
      ],
      instances: [instance("dc1", { id: "a2" }, 30, { power: "stopped" })],
    });
    const { instances, diagnostics } = resolveInstances(f, listed);
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringContaining("the address dc1/dup (a4, a5)")]);
    const by = new Map(instances.map((i) => [i.address, i]));
    const [web1, web2, db1, dc2web1] = ["dc1/web-1", "dc1/a2", "dc1/db-1", "dc2/web-1"].map((a) => by.get(a));
    expect(web1?.spec).toMatchObject({ keyPair: "ops", metadata: { tier: "any", role: "www" } });
    expect(web1?.spec.power).toBeUndefined();
    expect(web1?.rollout.parallelism).toBe(5);
    expect(web2?.spec).toMatchObject({ keyPair: "ops", metadata: { tier: "any", role: "www" }, power: "stopped" });
    expect(db1?.spec).toMatchObject({ keyPair: "ops", metadata: { tier: "any" } });
    expect(db1?.rollout.parallelism).toBe(3);
    // db-1, both dup servers and dc2's web-1 are matched by "all" only: one spec for the four.
    expect(dc2web1?.spec).toBe(db1?.spec);
    expect(dc2web1?.rollout).toBe(db1?.rollout);
    expect(by.get("dc1/dup")?.spec).toBe(db1?.spec);
    expect(web1?.spec).not.toBe(db1?.spec);
    expect(web2?.spec).not.toBe(web1?.spec);
  });

  it("takes the desired instance `known` gives a server, and matches the others (a server listed twice under one id as before)", () => {
    const f = fleet({
      groups: [group("all", { name: "*" }, 10, { keyPair: "ops" }), group("web", { name: "web-*" }, 20)],
      instances: [instance("dc1", { name: "db-1" }, 30, { power: "stopped" })],
    });
    const twice = new Map([["dc1", [...(listed.get("dc1") ?? []), server("a1", "web-1", { role: "web" })]]]);
    const plain = resolveInstances(f, twice);
    const early = new GroupMembership(f);
    const knownOnes = new Map<ListedServer, DesiredInstance>();
    const withKnown = resolveInstances(f, twice, (provider, s) => {
      const desired = early.desiredOf(provider, s);
      if (desired) knownOnes.set(s, desired);
      return desired;
    });
    expect(withKnown).toEqual(plain);
    // Every listed server but the declared db-1 was known; web-1's first listing is the one taken, and its second is
    // not asked about (it is matched as before, onto the first).
    expect([...knownOnes.keys()].map((s) => s.id)).toEqual(["a1", "a2", "a4", "a5"]);
    const byId = new Map(withKnown.instances.map((d, i) => [withKnown.servers[i]?.id, d]));
    expect(byId.get("a2")).toBe(knownOnes.get(twice.get("dc1")![1]!));
    expect(byId.get("a1")).toBe(knownOnes.get(twice.get("dc1")![0]!));
    expect(byId.get("a3")?.spec.power).toBe("stopped");
  });

  it("reports two servers that would get the same address", () => {
    const f = fleet({ groups: [group("all", { name: "dup" }, 9)] });
    const { diagnostics } = resolveInstances(f, listed);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.message).toContain("two servers have the address dc1/dup (a4, a5)");
  });
});

describe("rolloutPolicies", () => {
  it("gives every group and 'default' the built-in defaults overridden by defaults, then the group", () => {
    const f = fleet({
      defaults: layer({}, { parallelism: 4, onFailure: "continue" }),
      groups: [group("web", { name: "*" }, 1, {}, { canary: 2, parallelism: 8 })],
    });
    expect(rolloutPolicies(f)).toEqual({
      default: { ...DEFAULT_ROLLOUT, parallelism: 4, onFailure: "continue" },
      web: { ...DEFAULT_ROLLOUT, parallelism: 8, onFailure: "continue", canary: 2 },
    });
  });
});

describe("mergeSpecs", () => {
  const metadata = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.string(), { maxKeys: 4 });
  const spec = fc.record(
    {
      keyPair: fc.option(fc.constantFrom("k1", "k2"), { nil: null }),
      metadata,
      power: fc.constantFrom("running" as const, "stopped" as const),
    },
    { requiredKeys: [] },
  );

  it("merges metadata key by key with later layers winning, and replaces other fields", () => {
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 5 }), (specs) => {
        const merged = mergeSpecs(specs);
        const expected: Record<string, string> = {};
        for (const s of specs) Object.assign(expected, s.metadata ?? {});
        const withMetadata = specs.some((s) => s.metadata !== undefined);
        expect(merged.metadata).toEqual(withMetadata ? expected : undefined);
        const lastKeyPair = [...specs].reverse().find((s) => s.keyPair !== undefined);
        expect(merged.keyPair).toEqual(lastKeyPair?.keyPair);
        const lastPower = [...specs].reverse().find((s) => s.power !== undefined);
        expect(merged.power).toEqual(lastPower?.power);
      }),
    );
  });
});
