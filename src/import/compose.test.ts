import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveInstances } from "../config/expand.js";
import type { ListedServer } from "../config/expand.js";
import { loadFleetText } from "../config/load.js";
import { realPathOnDisk } from "../runtime/real-path.js";
import type { ProviderImport } from "./compose.js";
import { composeFleet } from "./compose.js";
import { renderImportedFleet } from "./render.js";
import type { ImportedServer, ImportedSpec } from "./types.js";

const SOURCE = "providers:\n  dc1: { type: openstack, cloud: dc1 }\n  dc2: { type: openstack, cloud: dc2 }\n";

let ids = 0;
function server(name: string, spec: ImportedSpec, provider = "dc1"): ImportedServer {
  ids += 1;
  return { provider, id: `id-${String(ids).padStart(4, "0")}`, name, spec, notes: [] };
}

const WEB: ImportedSpec = {
  image: { name: "u24" },
  keyPair: "ops",
  metadata: { role: "web", env: "prod" },
  userData: { inline: "#cloud-config\n" },
  power: "running",
};
const DB: ImportedSpec = {
  image: { name: "u22" },
  keyPair: "ops",
  metadata: { role: "db", env: "prod" },
  userData: null,
  power: "stopped",
};

describe("composeFleet: groups, defaults and instances", () => {
  it("names a group whose glob is a list of names after their first name's words", () => {
    const fleet = composeFleet([
      { provider: "dc1", servers: [server("web-1", WEB), server("web-2", WEB)], others: ["web-10"] },
    ]);
    expect(fleet.groups.map((g) => [g.name, g.glob])).toEqual([["web", "{web-1,web-2}"]]);
  });

  it("groups equal servers under a glob that fits, puts what most share in defaults, and lists the rest", () => {
    const fleet = composeFleet([
      {
        provider: "dc1",
        servers: [server("web-1", WEB), server("web-2", WEB), server("web-3", WEB), server("db-1", DB)],
        others: ["web-db"],
      },
    ]);
    expect(fleet.defaults).toEqual({ keyPair: "ops", metadata: { env: "prod" } });
    expect(fleet.groups.map((g) => [g.name, g.glob, g.members.map((m) => m.name), g.spec])).toEqual([
      [
        "web",
        "web-[0-9]*",
        ["web-1", "web-2", "web-3"],
        {
          image: { name: "u24" },
          metadata: { role: "web" },
          userData: { inline: "#cloud-config\n" },
          power: "running",
        },
      ],
    ]);
    expect(fleet.instances.map((i) => [i.selector, i.spec])).toEqual([
      [{ name: "db-1" }, { image: { name: "u22" }, metadata: { role: "db" }, userData: null, power: "stopped" }],
    ]);
  });

  it("puts a value in defaults only when every server states it, most share it, and two entries or more do", () => {
    const noPower: ImportedSpec = { image: { name: "u24" }, keyPair: "ops" };
    const one = composeFleet([{ provider: "dc1", servers: [server("a-1", WEB), server("a-2", WEB)], others: [] }]);
    expect(one.defaults).toEqual({});
    const unstated = composeFleet([
      { provider: "dc1", servers: [server("web-1", WEB), server("db-1", DB), server("x-1", noPower)], others: [] },
    ]);
    expect(unstated.defaults).toEqual({ image: { name: "u24" }, keyPair: "ops" });
  });

  it("declares by id the servers whose name is not unique in their provider, or is empty", () => {
    const fleet = composeFleet([
      {
        provider: "dc1",
        servers: [server("twin", WEB), server("twin", WEB), server("", WEB), server("solo", DB)],
        others: ["solo-old"],
      },
    ]);
    expect(fleet.groups).toEqual([]);
    expect(
      fleet.instances.map((i) =>
        "id" in i.selector ? `${i.members[0]?.name} by id ${i.selector.id === i.members[0]?.id}` : i.selector.name,
      ),
    ).toEqual([" by id true", "solo", "twin by id true", "twin by id true"]);
  });

  it("names groups from their globs, with the provider where two providers would share a name", () => {
    const fleet = composeFleet([
      { provider: "dc1", servers: [server("web-1", WEB), server("web-2", WEB)], others: [] },
      {
        provider: "dc2",
        servers: [
          server("web-1", WEB, "dc2"),
          server("web-2", WEB, "dc2"),
          server("default-1", DB, "dc2"),
          server("default-2", DB, "dc2"),
        ],
        others: [],
      },
    ]);
    expect(fleet.groups.map((g) => [g.provider, g.name, g.glob])).toEqual([
      ["dc1", "web", "web-*"],
      ["dc2", "dc2-default", "default-*"],
      ["dc2", "dc2-web", "web-*"],
    ]);
  });
});

const NAMES = ["web-1", "web-2", "web-10", "db-1", "db-2", "api", "a*b", "x{y}", "node.1", "node..2", "twin", "twin"];
const spec: fc.Arbitrary<ImportedSpec> = fc.record(
  {
    image: fc.constantFrom({ name: "u22" }, { name: "u24" }, { id: "img-7" }),
    keyPair: fc.constantFrom("ops", "k2", null),
    metadata: fc.dictionary(
      fc.constantFrom("role", "env", "team"),
      fc.constantFrom("web", "db", "1", "true", "x y", "${env:HOME}"),
      { minKeys: 1, maxKeys: 3 },
    ),
    userData: fc.constantFrom<ImportedSpec["userData"]>(
      null,
      { inline: "#cloud-config\n" },
      { inline: "#!/bin/sh\necho ${env:X} $HOME\n" },
      { base64: Buffer.from("a\u0001b").toString("base64") },
    ),
    power: fc.constantFrom("running" as const, "stopped" as const),
  },
  { requiredKeys: [] },
);
const world = fc.array(
  fc.record({ provider: fc.constantFrom("dc1", "dc2"), name: fc.constantFrom(...NAMES), spec, imported: fc.boolean() }),
  { minLength: 1, maxLength: 14 },
);

/** The property world as compose's input: imported servers, and the names of the others, per provider. */
function providersOf(entries: readonly { provider: string; name: string; spec: ImportedSpec; imported: boolean }[]): {
  imports: ProviderImport[];
  listed: Map<string, ListedServer[]>;
} {
  const imports: ProviderImport[] = [];
  const listed = new Map<string, ListedServer[]>();
  for (const provider of ["dc1", "dc2"]) {
    const mine = entries.map((e, index) => ({ ...e, id: `s-${index}` })).filter((e) => e.provider === provider);
    const servers = mine
      .filter((e) => e.imported)
      .map((e) => ({ provider, id: e.id, name: e.name, spec: e.spec, notes: [] }));
    imports.push({ provider, servers, others: mine.filter((e) => !e.imported).map((e) => e.name) });
    listed.set(
      provider,
      mine.map((e) => ({ id: e.id, name: e.name, metadata: {} })),
    );
  }
  return { imports, listed };
}

function render(imports: readonly ProviderImport[]): string {
  return renderImportedFleet({
    sourceText: SOURCE,
    providers: ["dc1", "dc2"],
    fleet: composeFleet(imports),
    leftOut: [],
    imageComments: new Map(),
    header: { source: "providers.yaml", check: "reform plan -c fleet.yaml --detailed-exitcode" },
  });
}

describe("compose and render (properties)", () => {
  it("the written file, loaded and matched to the servers as plan does, gives each imported server exactly its spec and no other server any", async () => {
    await fc.assert(
      fc.asyncProperty(world, async (entries) => {
        const { imports, listed } = providersOf(entries);
        if (imports.every((p) => p.servers.length === 0)) return;
        const text = render(imports);
        const fleet = await loadFleetText(text, join(tmpdir(), "fleet.yaml"), {
          readFile: () => Promise.reject(new Error("no file is read")),
          realPath: realPathOnDisk,
          env: {},
          cwd: tmpdir(),
        });
        const resolved = resolveInstances(fleet, listed);
        expect(resolved.diagnostics).toEqual([]);
        const got = new Map(
          resolved.instances.map((d) => [
            `${d.provider}/${"id" in d.selector ? d.selector.id : (listed.get(d.provider)?.find((s) => s.name === (d.selector as { name: string }).name)?.id ?? "?")}`,
            d.spec,
          ]),
        );
        const wanted = imports.flatMap((p) => p.servers.map((s) => [`${p.provider}/${s.id}`, s.spec] as const));
        expect([...got.keys()].sort()).toEqual(wanted.map(([key]) => key).sort());
        for (const [key, want] of wanted) {
          const desired = got.get(key);
          const userData =
            want.userData === undefined
              ? undefined
              : want.userData === null
                ? null
                : "inline" in want.userData
                  ? want.userData.inline
                  : Buffer.from(want.userData.base64, "base64").toString("utf8");
          expect(
            {
              image: desired?.image,
              keyPair: desired?.keyPair,
              metadata: desired?.metadata ?? {},
              userData:
                desired?.userData === undefined || desired.userData === null
                  ? desired?.userData
                  : desired.userData.content,
              power: desired?.power,
            },
            `${key}\n${text}`,
          ).toEqual({
            image: want.image,
            keyPair: want.keyPair,
            metadata: want.metadata ?? {},
            userData,
            power: want.power,
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the same servers in any order give the same bytes", () => {
    fc.assert(
      fc.property(world, fc.nat(), (entries, seed) => {
        const { imports } = providersOf(entries);
        const shuffled = imports.map((p) => ({
          ...p,
          servers: shuffle(p.servers, seed),
          others: shuffle(p.others, seed + 1),
        }));
        expect(render(shuffled)).toBe(render(imports));
      }),
      { numRuns: 150 },
    );
  });
});

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
