import type { OpenStackWorld, World, WorldServer } from "../src/emulator/index.js";

/** The benchmark's Keystone user (an admin of project `bench`). Not a secret: the emulator is local. */
export const BENCH_USER = { name: "bench", password: "bench-password", project: "bench" } as const;
export const OLD_IMAGE = { name: "ubuntu-22.04", id: "11111111-2222-4333-8444-000000002204" } as const;
export const NEW_IMAGE = { name: "ubuntu-24.04", id: "11111111-2222-4333-8444-000000002404" } as const;

export interface GeneratedWorldOptions {
  /** Every `driftEvery`-th server carries a metadata value the fleet does not want (0: none). @default 10 */
  readonly driftEvery?: number;
  /** Emulated rebuild duration in ms. @default 2000 */
  readonly rebuildMs?: number;
}

/** The name of the i-th generated server (1-based, zero-padded so that names sort like numbers). */
export function serverName(i: number): string {
  return `bench-${String(i).padStart(5, "0")}`;
}

/** Builds an emulator World of `count` ACTIVE servers directly (no YAML), all on OLD_IMAGE with key pair ops-2025. */
export function generateWorld(count: number, options: GeneratedWorldOptions = {}): World {
  const driftEvery = options.driftEvery ?? 10;
  const servers: WorldServer[] = [];
  for (let i = 1; i <= count; i++) {
    const drifted = driftEvery > 0 && i % driftEvery === 0;
    servers.push({
      name: serverName(i),
      image: OLD_IMAGE.id,
      keyPair: "ops-2025",
      metadata: { role: drifted ? "legacy" : "web", rack: `r${i % 40}` },
      userData: null,
      status: "ACTIVE",
      task: null,
      busyFor: null,
      flavor: "2",
      locked: false,
    });
  }
  const openstack: OpenStackWorld = {
    region: "RegionOne",
    users: [{ name: BENCH_USER.name, password: BENCH_USER.password, project: BENCH_USER.project, roles: ["admin"] }],
    applicationCredentials: [],
    images: [
      { name: OLD_IMAGE.name, id: OLD_IMAGE.id, properties: {}, visibility: "public" },
      { name: NEW_IMAGE.name, id: NEW_IMAGE.id, properties: {}, visibility: "public" },
    ],
    keypairs: [{ name: "ops-2025" }, { name: "ops-2026" }],
    servers,
  };
  return { file: `generated-${count}.world`, openstack, timings: { rebuild: options.rebuildMs ?? 2000 } };
}

/** clouds.yaml for the benchmark user against an emulator's Keystone. */
export function cloudsYaml(identityUrl: string): string {
  return [
    "clouds:",
    "  bench:",
    "    auth:",
    `      auth_url: ${identityUrl}`,
    `      username: ${BENCH_USER.name}`,
    `      password: ${BENCH_USER.password}`,
    `      project_name: ${BENCH_USER.project}`,
    "      user_domain_name: Default",
    "      project_domain_name: Default",
    "    region_name: RegionOne",
    "",
  ].join("\n");
}

/**
 * A fleet with one group selecting every generated server. `image` OLD_IMAGE keeps images as they are
 * (the plan then has the drifted servers' metadata updates); NEW_IMAGE asks for a rebuild of every server.
 */
export function fleetYaml(
  image: string,
  parallelism: number,
  providerLine = "  dc1: { type: openstack, cloud: bench }",
): string {
  return [
    "providers:",
    providerLine,
    "defaults:",
    `  rollout: { parallelism: ${parallelism}, maxUnavailable: "100%" }`,
    "groups:",
    "  - name: web",
    "    provider: dc1",
    '    match: { name: "bench-*" }',
    "    spec:",
    `      image: { name: ${image} }`,
    "      keyPair: ops-2025",
    "      metadata: { role: web }",
    "",
  ].join("\n");
}
