import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadFleetText } from "../../src/config/load.js";
import type { LoadFleetDeps } from "../../src/config/load.js";
import type { Emulator } from "../../src/emulator/index.js";
import { parseWorld, startEmulator } from "../../src/emulator/index.js";
import { createAdapters } from "../../src/providers/registry.js";
import { systemClock } from "../../src/runtime/clock.js";
import { realPathOnDisk } from "../../src/runtime/real-path.js";
import { importFleet } from "../../src/workflow/import.js";
import { plan } from "../../src/workflow/plan.js";
import { ADMIN_PASSWORD } from "../support/cloud.js";

/**
 * The contract of `reform import` (DESIGN §12.2), on random worlds of each cloud, through the real clients over
 * loopback: import, then plan the written file against the live cloud: no changes, and nothing on any server changed.
 */

type Cloud = "openstack" | "huaweicloud" | "jdcloud";

const HW = {
  projectId: "0123456789abcdef0123456789abcdef",
  userId: "7e25b1da389f4697a79df3a0e5bd494e",
  accessKey: "QTWAOYTTINDUT2QVKYUC",
  secretKey: "Hw-Secret-Key-Known-To-The-Test",
};
const JD = { accessKey: "JDTESTACCESSKEY0001", secretKey: "Jd-Secret-Key-Known-To-The-Test" };
const ENV = {
  HW_ACCESS_KEY: HW.accessKey,
  HW_SECRET_KEY: HW.secretKey,
  JDC_ACCESS_KEY: JD.accessKey,
  JDC_SECRET_KEY: JD.secretKey,
};

/** Names collide on purpose (duplicate servers and images), and some are glob-like. */
const SERVER_NAMES = [
  "web-1",
  "web-2",
  "web-10",
  "db-1",
  "db-2",
  "api",
  "web-db",
  "a*b",
  "node..1",
  "twin",
  "twin",
  "twin",
  "twin",
];
const IMAGE_NAMES = ["ubuntu-22.04", "ubuntu-24.04", "debian-12", "debian-12"];
const USER_DATA = [
  null,
  "#cloud-config\npackages: [nginx]\n",
  "#!/bin/sh\necho ${env:HOME} $HOME\n",
  "#!/bin/sh\nprintf '\u001b[1mok'\n",
  "#cloud-config\npassword: Kn0wn-Pa55w0rd-Pr0p\n",
  "\n",
];
const SECRET = "Kn0wn-Pa55w0rd-Pr0p";

const specArb = {
  image: fc.nat({ max: IMAGE_NAMES.length - 1 }),
  keyPair: fc.constantFrom("k1", "k2", null),
  metadata: fc.dictionary(
    fc.constantFrom("role", "env", "team", "db_password", "x"),
    fc.constantFrom("web", "db", "1", "true", "x y", "${env:HOME}", "v".repeat(300)),
    { maxKeys: 3 },
  ),
  userData: fc.constantFrom(...USER_DATA),
  status: fc.constantFrom("on", "on", "on", "off", "error"),
  /** Nova only: the server boots from a Cinder volume (its image is read from the volume). */
  volume: fc.boolean(),
};
/** A server: its name, and either a spec of its own or the world's common one (so that groups form). */
const serverArb = fc.record({ name: fc.constantFrom(...SERVER_NAMES), common: fc.boolean(), ...specArb });
const commonArb = fc.record(specArb);
// At least one server the file can express (else import refuses to write an empty fleet: tested end to end).
const worldArb = fc
  .record({
    servers: fc.array(serverArb, { minLength: 1, maxLength: 9 }),
    common: commonArb,
    admin: fc.boolean(),
    cloudInit: fc.boolean(),
  })
  .map((w) => ({ ...w, servers: w.servers.map((s) => (s.common ? { ...s, ...w.common } : s)) }))
  .filter((w) => w.servers.some((x) => x.status !== "error"));
type RandomWorld = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

const STATUS: Record<Cloud, Record<string, string>> = {
  openstack: { on: "ACTIVE", off: "SHUTOFF", error: "ERROR" },
  huaweicloud: { on: "ACTIVE", off: "SHUTOFF", error: "ERROR" },
  jdcloud: { on: "running", off: "stopped", error: "error" },
};

function worldYaml(cloud: Cloud, w: RandomWorld): string {
  const images = IMAGE_NAMES.map((name, i) => ({
    name,
    id: imageId(cloud, i),
    ...(cloud === "huaweicloud" ? { cloudInit: w.cloudInit || i % 2 === 0 } : {}),
  }));
  const servers = w.servers.map((s, i) => ({
    name: s.name,
    id: serverId(cloud, i),
    image: imageId(cloud, s.image),
    keyPair: s.keyPair,
    metadata:
      cloud === "jdcloud"
        ? s.metadata
        : Object.fromEntries(Object.entries(s.metadata).map(([k, v]) => [k, v.slice(0, 255)])),
    ...(s.userData !== null ? { userData: s.userData } : {}),
    status: STATUS[cloud][s.status],
    ...(cloud === "openstack" && s.volume ? { bootFromVolume: true } : {}),
    ...(s.status === "error" && cloud !== "jdcloud" ? { fault: "No valid host was found" } : {}),
  }));
  switch (cloud) {
    case "openstack":
      return stringify(
        {
          openstack: {
            users: [
              { name: "admin", password: ADMIN_PASSWORD, project: "demo", roles: ["admin"] },
              { name: "alice", password: "alice-pw", project: "demo" },
            ],
            images: images.map(({ name, id }) => ({ name, id })),
            keypairs: [{ name: "k1" }, { name: "k2" }],
            servers,
          },
        },
        { aliasDuplicateObjects: false },
      );
    case "huaweicloud":
      return stringify(
        {
          huaweicloud: {
            projectId: HW.projectId,
            userId: HW.userId,
            credentials: [{ accessKey: HW.accessKey, secretKey: HW.secretKey }],
            images,
            keypairs: [{ name: "k1" }, { name: "k2" }],
            servers,
          },
        },
        { aliasDuplicateObjects: false },
      );
    case "jdcloud":
      return stringify(
        {
          jdcloud: {
            region: "cn-north-1",
            credentials: [JD],
            images,
            keypairs: [{ name: "k1" }, { name: "k2" }],
            instances: servers,
          },
        },
        { aliasDuplicateObjects: false },
      );
  }
}

function imageId(cloud: Cloud, i: number): string {
  return cloud === "jdcloud" ? `img-${i}00a` : `00000000-0000-4000-8000-00000000000${i}`;
}

function serverId(cloud: Cloud, i: number): string {
  return cloud === "jdcloud" ? `i-srv${i}` : `11111111-0000-4000-8000-0000000000${String(i).padStart(2, "0")}`;
}

function providersYaml(cloud: Cloud, emulator: Emulator, admin: boolean): string {
  switch (cloud) {
    case "openstack":
      return `providers:\n  cloud: { type: openstack, cloud: ${admin ? "admin" : "alice"} }\n`;
    case "huaweicloud":
      return `providers:\n  cloud: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW.projectId}", endpoint: "${emulator.urls.huaweicloud}" }\n`;
    case "jdcloud":
      return `providers:\n  cloud: { type: jdcloud, region: cn-north-1, endpoint: "${emulator.urls.jdcloud}" }\n`;
  }
}

/** What the random worlds made the output show, per cloud: the property is not vacuous only if they reach every shape. */
const SHAPES: Readonly<Record<string, (text: string) => boolean>> = {
  group: (t) => /^groups:/m.test(t),
  defaults: (t) => /^defaults:/m.test(t),
  "instance by id": (t) => /^ {4}id: .* # name twin: not unique/m.test(t),
  "image by id": (t) => t.includes("(by id: "),
  "image by name": (t) => t.includes("image: { name: "),
  "user_data inline": (t) => t.includes("inline: |"),
  "user_data base64": (t) => t.includes("base64: "),
  "user_data null": (t) => t.includes("userData: null"),
  "${env: written literally": (t) => t.includes("$${env:HOME}"),
  "user_data withheld as secret": (t) => t.includes("it looks like it holds secrets (password:); never written"),
  "metadata withheld as secret": (t) => t.includes("metadata.db_password is not managed"),
  "server left out": (t) => t.includes("# Left out:"),
  "power stopped": (t) => t.includes("power: stopped"),
};
const seen = new Map<string, Set<string>>();

describe("import, then plan, gives no changes (property, on random worlds of each cloud, over loopback)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-import-prop-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const deps = (): LoadFleetDeps => ({
    readFile: (path) => readFile(path),
    realPath: realPathOnDisk,
    env: {},
    cwd: dir,
  });

  async function roundTrip(cloud: Cloud, w: RandomWorld): Promise<void> {
    const emulator = await startEmulator({ world: parseWorld(worldYaml(cloud, w), "world.yaml") });
    try {
      const user = (name: string, password: string) =>
        `  ${name}:\n    auth: { auth_url: "${emulator.urls.identity}", username: ${name}, password: ${password}, project_name: demo, user_domain_name: Default, project_domain_name: Default }\n    region_name: RegionOne\n`;
      await writeFile(
        join(dir, "clouds.yaml"),
        `clouds:\n${user("admin", ADMIN_PASSWORD)}${user("alice", "alice-pw")}`,
      );
      const sourceText = providersYaml(cloud, emulator, w.admin);
      const source = await loadFleetText(sourceText, join(dir, "providers.yaml"), deps(), { allowEmpty: true });
      const runtime = {
        env: ENV,
        cwd: dir,
        homeDir: dir,
        readFile: (path: string) => readFile(path),
        clock: systemClock,
        warn: () => undefined,
      };
      const adapters = await createAdapters(source, runtime);
      const before = JSON.stringify(emulator.snapshot());
      const signal = new AbortController().signal;
      try {
        const imported = await importFleet({
          fleet: source,
          sourceText,
          adapters,
          clock: systemClock,
          signal,
          load: (text) => loadFleetText(text, join(dir, "fleet.yaml"), deps()),
          header: { source: "providers.yaml", check: "reform plan -c fleet.yaml --detailed-exitcode" },
        });
        // Every server the self-check had to leave out would be a case the pure core got wrong.
        expect(
          imported.leftOut.filter((s) => s.reason.startsWith("reform would plan")),
          imported.text,
        ).toEqual([]);
        expect(
          imported.leftOut.map((s) => s.reason.replace(/ \(.*$/, "")).filter((r) => !r.startsWith("in ERROR")),
        ).toEqual([]);
        expect(imported.text).not.toContain(SECRET);
        for (const [shape, shows] of Object.entries(SHAPES))
          if (shows(imported.text)) seen.set(cloud, (seen.get(cloud) ?? new Set()).add(shape));
        if (imported.text.includes("Nova shows user_data only to admins")) sawHidden = true;
        const fresh = await createAdapters(imported.fleet, runtime);
        try {
          const again = await plan({ fleet: imported.fleet, adapters: fresh, clock: systemClock, signal });
          expect(
            again.plan.changes
              .filter((c) => c.action !== "no-op")
              .map((c) => `${c.address}: ${c.action} ${c.reasons.map((r) => r.message).join("; ")}`),
            imported.text,
          ).toEqual([]);
          const servers = w.servers.filter((s) => s.status !== "error").length;
          expect(again.plan.changes.length).toBe(servers);
        } finally {
          for (const a of fresh.values()) await a.close();
        }
      } finally {
        for (const a of adapters.values()) await a.close();
      }
      expect(JSON.stringify(emulator.snapshot())).toBe(before);
      const mutations = Object.entries(emulator.stats.byRoute).filter(
        ([route]) => !/^(GET|HEAD) /.test(route) && !route.includes("/auth/tokens"),
      );
      expect(mutations).toEqual([]);
    } catch (error) {
      if (error instanceof Error && "message" in error)
        error.message = `${error.message}\nworld:\n${worldYaml(cloud, w)}`;
      throw error;
    } finally {
      await emulator.close();
    }
  }

  for (const cloud of ["openstack", "huaweicloud", "jdcloud"] as const) {
    it(`holds on ${cloud}`, async () => {
      await fc.assert(
        fc.asyncProperty(worldArb, (w) => roundTrip(cloud, w)),
        { numRuns: 30 },
      );
    }, 120_000);
  }

  it("the random worlds reached every shape of the output on every cloud (the properties above are not vacuous)", () => {
    const missing = (["openstack", "huaweicloud", "jdcloud"] as const).flatMap((cloud) =>
      Object.keys(SHAPES)
        .filter((shape) => !seen.get(cloud)?.has(shape))
        .map((shape) => `${cloud}: ${shape}`),
    );
    expect(missing).toEqual([]);
    expect(sawHidden, "openstack: user_data not shown to a non-admin").toBe(true);
  });
});

let sawHidden = false;
