import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BAD = join(ROOT, "test/fixtures/fleets/bad");

/** What a user sees: one readable message naming file:line:col, exit 1, never a stack trace. */
function expectReadableError(run: { code: number | null; stdout: string; stderr: string }, located: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^Error: /);
  expect(run.stderr).toMatch(located);
  expect(run.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  expect(run.stdout).toBe("");
}

describe("bad input through the CLI", () => {
  it("every broken fleet file of the corpus gives a located error and exit 1", async () => {
    const files = readdirSync(BAD)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    const limit = pLimit(2);
    const runs = await Promise.all(
      files.map((file) =>
        limit(async () => ({ file, run: await runCli(["validate", "-c", join(BAD, file)], { cwd: ROOT }) })),
      ),
    );
    for (const { file, run } of runs) {
      const [, line, column] = /^# expect: (\d+):(\d+) /.exec(readFileSync(join(BAD, file), "utf8")) ?? [];
      expectReadableError(run, new RegExp(`${file.replace(".", "\\.")}:${line}:${column}: `));
    }
  }, 300_000);

  describe("errors only the live cloud can reveal", () => {
    let cloud: TestCloud;
    beforeAll(async () => {
      cloud = await startTestCloud(
        worldWith(`  images: [{ name: ubuntu-24.04, id: 11111111-1111-4111-8111-111111111111 }, { name: ubuntu-24.04, id: 22222222-2222-4222-8222-222222222222 }]
  keypairs: [{ name: ops }]
  servers: [{ name: web-1, image: 11111111-1111-4111-8111-111111111111, keyPair: ops }]
`),
      );
    });
    afterAll(async () => cloud.close());

    it("an unknown server name is located in the fleet file", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-9 }\n",
      );
      expectReadableError(await cloud.reform(["plan", "-c", "fleet.yaml"]), /fleet\.yaml:3:5: .*no server named web-9/);
    });

    it("an ambiguous image name lists the candidates", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.04 } } }\n",
      );
      expectReadableError(
        await cloud.reform(["plan", "-c", "fleet.yaml"]),
        /fleet\.yaml:3:5: .*ambiguous.*11111111-1111-4111-8111-111111111111/,
      );
    });

    it("a mistyped image name is located and names the image the cloud has", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.4 } } }\n",
      );
      expectReadableError(
        await cloud.reform(["plan", "-c", "fleet.yaml"]),
        /fleet\.yaml:3:5: dc1\/web-1: no image named ubuntu-24\.4; did you mean 'ubuntu-24\.04'\?\n/,
      );
    });

    it("a mistyped key pair names the one the user has, before anything is sent to the server", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1, spec: { keyPair: opss } }\n",
      );
      const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /dc1\/web-1: failed: not started: fleet\.yaml:3:5: key pair "opss" does not exist on provider dc1 \(spec\.keyPair of dc1\/web-1, needed by its rebuild\); did you mean 'ops'\?; nothing was sent to the server/,
      );
      expect(cloud.emulator.stats.actions).toEqual([]);
    });

    it("a --target that matches no server is a warning on stderr, not a silent 'No changes'", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1 }\n",
      );
      for (const command of [["plan"], ["apply", "--auto-approve"]]) {
        const run = await cloud.reform([...command, "-c", "fleet.yaml", "--target", "nomatch/*", "--target", "web-1"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/No changes/);
        expect(run.stderr).toBe(
          "Warning: --target 'nomatch/*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/web-1): it selects nothing\n" +
            "Warning: --target 'web-1' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/web-1): it selects nothing; did you mean 'dc1/web-1'?\n",
        );
      }
    });

    it("Keystone's 401 and 404 name the clouds.yaml entry and file, the full URL, and what to check", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1 }\n",
      );
      const identity = cloud.emulator.urls.identity;
      const entry = (authUrl: string, password: string) =>
        `clouds:\n  test:\n    auth: { auth_url: "${authUrl}", username: admin, password: ${password}, project_name: demo, user_domain_name: Default, project_domain_name: Default }\n`;
      const file = await cloud.writeFleet(entry(identity, "Wrong-Pa55-Typed"), "wrong-password.yaml");
      const refused = await cloud.reform(["plan", "-c", "fleet.yaml"], { OS_CLIENT_CONFIG_FILE: file });
      expectReadableError(
        refused,
        /^Error: dc1: POST \/v3\/auth\/tokens failed 401 Unauthorized: .*\[request req-[^\]]+\]\n/,
      );
      expect(refused.stderr).toContain(
        `  Keystone at ${identity}/auth/tokens refused the credentials from cloud "test" in ${file}: check the user (auth.username "admin", domain auth.user_domain_name "Default"), the password (auth.password), the project (auth.project_name "demo", domain auth.project_domain_name "Default"): the user needs a role on it\n`,
      );
      expect(refused.stderr).not.toContain("Wrong-Pa55-Typed");
      const root = identity.replace(/\/identity\/v3$/, "");
      const path = await cloud.writeFleet(entry(`${root}/v3`, "x"), "wrong-path.yaml");
      const missing = await cloud.reform(["plan", "-c", "fleet.yaml"], { OS_CLIENT_CONFIG_FILE: path });
      expectReadableError(missing, /^Error: dc1: POST \/v3\/auth\/tokens failed 404 /);
      expect(missing.stderr).toContain(
        `  no Keystone v3 at ${root}/v3/auth/tokens: auth.auth_url "${root}/v3" from cloud "test" in ${path} should be Keystone's address, e.g. https://keystone.example.com:5000/v3 or https://cloud.example.com/identity/v3\n`,
      );
    });

    it("a missing clouds.yaml entry says where it looked", async () => {
      await cloud.writeFleet(
        "providers: { dc1: { type: openstack, cloud: nowhere } }\ninstances:\n  - { provider: dc1, name: web-1 }\n",
      );
      const run = await cloud.reform(["plan", "-c", "fleet.yaml"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/nowhere/);
      expect(run.stderr).toMatch(/clouds\.yaml/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
