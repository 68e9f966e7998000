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
    const files = readdirSync(BAD).filter((f) => f.endsWith(".yaml")).sort();
    const limit = pLimit(2);
    const runs = await Promise.all(files.map((file) => limit(async () => ({ file, run: await runCli(["validate", "-c", join(BAD, file)], { cwd: ROOT }) }))));
    for (const { file, run } of runs) {
      const [, line, column] = /^# expect: (\d+):(\d+) /.exec(readFileSync(join(BAD, file), "utf8")) ?? [];
      expectReadableError(run, new RegExp(`${file.replace(".", "\\.")}:${line}:${column}: `));
    }
  }, 120_000);

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
      await cloud.writeFleet("providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-9 }\n");
      expectReadableError(await cloud.reform(["plan", "-c", "fleet.yaml"]), /fleet\.yaml:3:5: .*no server named web-9/);
    });

    it("an ambiguous image name lists the candidates", async () => {
      await cloud.writeFleet("providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.04 } } }\n");
      expectReadableError(await cloud.reform(["plan", "-c", "fleet.yaml"]), /fleet\.yaml:3:5: .*ambiguous.*11111111-1111-4111-8111-111111111111/);
    });

    it("a --target that matches no server is a warning on stderr, not a silent 'No changes'", async () => {
      await cloud.writeFleet("providers: { dc1: { type: openstack, cloud: test } }\ninstances:\n  - { provider: dc1, name: web-1 }\n");
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

    it("a missing clouds.yaml entry says where it looked", async () => {
      await cloud.writeFleet("providers: { dc1: { type: openstack, cloud: nowhere } }\ninstances:\n  - { provider: dc1, name: web-1 }\n");
      const run = await cloud.reform(["plan", "-c", "fleet.yaml"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/nowhere/);
      expect(run.stderr).toMatch(/clouds\.yaml/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
