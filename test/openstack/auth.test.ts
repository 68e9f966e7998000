import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { expectStatus } from "./support/api.js";
import type { CloudFixture } from "./support/fixture.js";
import { address, fleetYaml } from "./support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "./support/suite.js";
import type { Workspace } from "./support/workspace.js";
import { changeOf, describeRun, planChanges } from "./support/workspace.js";

// Keystone auth as the user configured it (password on the harness), a wrong password, and an
// application credential created through Keystone's API, used for a plan and an apply, then revoked.
let cloud: CloudFixture;
let work: Workspace;
let id: string;
let serverName: string;
let credential: { id: string; secret: string };
const wrongPassword = `wrong-${Math.random().toString(36).slice(2)}-pw`;

/** The user's cloud entry with its `auth` replaced: same auth_url, region, interface, TLS settings. */
function entryWith(auth: Record<string, unknown>, authType: string): Record<string, unknown> {
  const base = cloud.cloud.entry;
  const baseAuth = (base["auth"] ?? {}) as Record<string, unknown>;
  return { ...base, auth_type: authType, auth: { auth_url: baseAuth["auth_url"], ...auth } };
}

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  const [image, kp] = await Promise.all([cloud.image("a", { fromEnv: "A" }), cloud.keyPair("kp")]);
  serverName = `${cloud.prefix}-auth`;
  id = await cloud.boot("auth", { image: image.id, keyName: kp, metadata: { role: "auth", owner: "team-auth" } });
  await cloud.settle(id);
  credential = await cloud.applicationCredential("appcred");
  const baseAuth = (cloud.cloud.entry["auth"] ?? {}) as Record<string, unknown>;
  await work.write(
    "clouds.yaml",
    stringify({
      clouds: {
        appcred: entryWith(
          { application_credential_id: credential.id, application_credential_secret: credential.secret },
          "v3applicationcredential",
        ),
        wrongpw: { ...cloud.cloud.entry, auth: { ...baseAuth, password: wrongPassword } },
      },
    }),
  );
  const spec = { image: { id: image.id }, keyPair: kp, metadata: { role: "auth-v2" } };
  await work.write("configured.yaml", fleetYaml(cloud.cloud.name, [{ name: serverName, spec }]));
  await work.write("appcred.yaml", fleetYaml("appcred", [{ name: serverName, spec }]));
  await work.write("wrongpw.yaml", fleetYaml("wrongpw", [{ name: serverName, spec }]));
});

afterAll(() => closeSuite(cloud, work));

describe("Keystone authentication on a real cloud", () => {
  it("the configured auth (the clouds.yaml entry of OS_CLOUD, password on the harness) plans the metadata change", async () => {
    const changes = planChanges(await work.reform(["plan", "-c", "configured.yaml", "--output", "json"]));
    expect(changeOf(changes, address(serverName)).action).toBe("update-metadata");
  });

  it("a wrong password is refused by Keystone: exit non-zero, a message naming authentication, the password nowhere", async () => {
    const run = await work.reform(["plan", "-c", "wrongpw.yaml"], { cloudsFile: `${work.dir}/clouds.yaml` });
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.code, describeRun(run)).not.toBe(2);
    expect(run.stderr, describeRun(run)).toMatch(/auth|401|credential|password/i);
    expect(`${run.stdout}${run.stderr}`.includes(wrongPassword)).toBe(false);
  });

  it("an application credential created through Keystone's API plans and applies", async () => {
    const options = { cloudsFile: `${work.dir}/clouds.yaml` };
    const changes = planChanges(await work.reform(["plan", "-c", "appcred.yaml", "--output", "json"], options));
    expect(changeOf(changes, address(serverName)).action).toBe("update-metadata");
    const run = await work.reform(["apply", "-c", "appcred.yaml", "--auto-approve"], options);
    expect(run.code, describeRun(run)).toBe(0);
    expect((await cloud.settle(id)).metadata).toMatchObject({ role: "auth-v2", owner: "team-auth" });
  });

  it("once the application credential is deleted, reform is refused: it really authenticated with it", async () => {
    expectStatus(
      await cloud.api.keystone("DELETE", `/users/${cloud.api.userId}/application_credentials/${credential.id}`),
      [204],
      "delete application credential",
    );
    const run = await work.reform(["plan", "-c", "appcred.yaml"], { cloudsFile: `${work.dir}/clouds.yaml` });
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.code, describeRun(run)).not.toBe(2);
    expect(run.stderr, describeRun(run)).toMatch(/auth|401|credential/i);
  });

  it("no password, token or credential secret appears in anything reform printed or wrote", async () => {
    expect(await findLeakedSecrets(cloud, work, [credential.secret, wrongPassword])).toEqual([]);
  });
});
