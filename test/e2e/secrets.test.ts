import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { ADMIN_PASSWORD, startTestCloud, worldWith } from "../support/cloud.js";

const ADMIN_TOKEN = "Fixed-Admin-T0ken-Kn0wn-9f3c";
const ROOT_PASSWORD = "R00t-Pa55-Kn0wn-7d1e";
const SENSITIVE_LINE = "db_password: S3ns1tive-Us3rdata-Kn0wn";

/** What app-1 runs before the first apply: sensitive too (the fleet marks app-1's user_data so), kept by the journal's before-state as a digest only. */
const OLD_SENSITIVE = "Old-Us3rdata-S3cret-Kn0wn";

const SECRETS = [ADMIN_PASSWORD, ADMIN_TOKEN, ROOT_PASSWORD, "S3ns1tive-Us3rdata-Kn0wn", OLD_SENSITIVE];

const WORLD = worldWith(`  adminToken: ${ADMIN_TOKEN}
  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: app-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: app }, userData: "#cloud-config\\nold_password: ${OLD_SENSITIVE}\\n" }
    - { name: app-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: app } }
`);

const fleet = (cloud: string, image: string) => `providers: { dc1: { type: openstack, cloud: ${cloud} } }
instances:
  - provider: dc1
    name: app-1
    spec:
      image: { name: ${image} }
      password: { env: ROOT_PASSWORD }
      userData: { inline: "#cloud-config\\n${SENSITIVE_LINE}\\n", sensitive: true }
  - provider: dc1
    name: app-2
    spec:
      image: { name: ${image} }
      metadata: { role: app, tier: "2" }
`;

/** Every byte of every output and every file reform wrote, scanned for each known secret. */
function leaks(texts: readonly string[]): string[] {
  return SECRETS.flatMap((secret) =>
    texts.filter((t) => t.includes(secret)).map((t) => `${secret} in: ${t.slice(0, 200)}`),
  );
}

describe("secrets never leak", () => {
  let cloud: TestCloud;
  const outputs: string[] = [];
  const record = (run: CliRun) => {
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    const clouds = await readFile(join(cloud.dir, "clouds.yaml"), "utf8");
    await writeFile(
      join(cloud.dir, "clouds.yaml"),
      `${clouds}  fixed:\n    auth_type: admin_token\n    auth: { token: ${ADMIN_TOKEN}, endpoint: ${cloud.emulator.urls.compute} }\n    compute_endpoint_override: ${cloud.emulator.urls.compute}\n    image_endpoint_override: ${cloud.emulator.urls.image}\n` +
        `  wrong:\n    auth: { auth_url: ${cloud.emulator.urls.identity}, username: admin, password: ${ADMIN_PASSWORD}-typo, project_name: demo, user_domain_name: Default, project_domain_name: Default }\n`,
    );
    await cloud.writeFleet(fleet("test", "ubuntu-24.04"), "password.yaml");
    await cloud.writeFleet(fleet("fixed", "ubuntu-22.04"), "token.yaml");
    await cloud.writeFleet(fleet("wrong", "ubuntu-22.04"), "wrong.yaml");
  });
  afterAll(async () => cloud.close());

  it("through plan, saved plans, apply, debug logs and the journal, with password and token auth", async () => {
    const env = { ROOT_PASSWORD };
    for (const config of ["password.yaml", "token.yaml"]) {
      for (const output of ["text", "json", "markdown"]) {
        expect(
          record(
            await cloud.reform(
              ["plan", "-c", config, "--output", output, "--debug", "--out", `${config}.plan.json`],
              env,
            ),
          ).code,
        ).toBe(0);
      }
      const apply = record(
        await cloud.reform(["apply", "-c", config, "--auto-approve", "--debug", "--output", "json"], env),
      );
      expect(apply.code).toBe(0);
    }
    const refused = record(await cloud.reform(["plan", "-c", "wrong.yaml", "--debug"], env));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401/);
    // Everything reform wrote: saved plans and the journal (the .yaml files are the test's own input).
    const files = await filesUnder(cloud.dir);
    const written = await Promise.all(files.filter((f) => !f.endsWith(".yaml")).map((f) => readFile(f, "utf8")));
    expect(files.some((f) => f.endsWith("journal.jsonl"))).toBe(true);
    expect(written.join("")).toContain('"event":"before-state"');
    expect(outputs.join("").length).toBeGreaterThan(1000);
    expect(outputs.some((o) => o.includes("X-Auth-Token") || o.includes("x-auth-token"))).toBe(true);
    expect(leaks([...outputs, ...written])).toEqual([]);
  }, 120_000);
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
