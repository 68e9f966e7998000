import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../model/errors.js";
import { userDataSha256 } from "../model/user-data.js";
import { loadFleet, loadFleetText, resolveSecret } from "./load.js";

const files: Record<string, string | Buffer> = {
  "/srv/fleet.yaml":
    "providers: { p: { type: sim } }\ninstances:\n  - { provider: p, name: a, spec: { userData: { file: ud/a.sh } } }\n",
  "/srv/ud/a.sh": "#!/bin/sh\r\necho hi\r\n",
  "/srv/ud/bin": Buffer.from([0xff, 0xfe, 0x00, 0x80]),
  "/srv/secrets/pw": "s3cret-from-file\n",
  "/srv/secrets/empty": "\n",
};
const readFile = async (path: string): Promise<string | Buffer> => {
  const content = files[path];
  if (content === undefined)
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  return content;
};
/** The in-memory tree has no symbolic links: a path is real as it is, and exists if a file is at or below it. */
const realPath = async (path: string) => ({
  path,
  exists: Object.keys(files).some((f) => f === path || f.startsWith(`${path}/`)),
});
const deps = { readFile, realPath, env: { REFORM_VAR_NAME: "a" }, cwd: "/srv" };

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadFleet", () => {
  it("reads user_data files relative to the fleet file and digests the fleet file's bytes", async () => {
    const fleet = await loadFleet("fleet.yaml", deps);
    expect(fleet.file).toBe("/srv/fleet.yaml");
    expect(fleet.sha256).toBe(
      createHash("sha256")
        .update(files["/srv/fleet.yaml"] as string)
        .digest("hex"),
    );
    expect(fleet.instances[0]?.spec.userData).toEqual({
      content: "#!/bin/sh\r\necho hi\r\n",
      sha256: userDataSha256("#!/bin/sh\necho hi\n"),
      sensitive: false,
      origin: "file",
    });
    expect(fleet.journal).toBe("/srv/.reform/journal.jsonl");
  });

  it("rejects user_data that is not UTF-8 text, from a file or from base64", async () => {
    const text =
      "providers: { p: { type: sim } }\ninstances:\n  - { provider: p, name: a, spec: { userData: { file: ud/bin } } }\n  - { provider: p, name: b, spec: { userData: { base64: //4AgA== } } }\n";
    const error = await configError(loadFleetText(text, "fleet.yaml", deps));
    expect(error.diagnostics.map((d) => [d.location?.line, d.message])).toEqual([
      [3, "instances[0].spec.userData: user_data file 'ud/bin' is not UTF-8 text"],
      [4, "instances[1].spec.userData: userData.base64 does not decode to UTF-8 text"],
    ]);
  });

  it("interpolates ${env:VAR} before validating, and reports every missing variable with its location", async () => {
    const ok = await loadFleetText(
      "providers: { p: { type: sim } }\ninstances: [{ provider: p, name: '${env:REFORM_VAR_NAME}' }]\n",
      "fleet.yaml",
      deps,
    );
    expect(ok.instances[0]?.selector).toEqual({ name: "a" });
    const error = await configError(
      loadFleetText(
        "providers: { p: { type: sim, world: '${env:REFORM_VAR_W1}' } }\ninstances: [{ provider: p, name: '${env:GITHUB_TOKEN}' }]\n",
        "fleet.yaml",
        deps,
      ),
    );
    expect(
      error.diagnostics.map((d) => `${d.location?.line}:${d.location?.column} ${d.message.split(" (")[0]}`),
    ).toEqual([
      "1:37 providers.p.world: environment variable REFORM_VAR_W1 is not set",
      "2:34 instances[0].name: environment variable GITHUB_TOKEN may not be read by a fleet file: only REFORM_VAR_* variables are, and names the pipeline allows with --allow-env GITHUB_TOKEN",
    ]);
  });

  it("reports all YAML syntax errors at once", async () => {
    const error = await configError(loadFleetText("providers:\n  a: 1\n  a: 2\nx: [\n", "fleet.yaml", deps));
    expect(error.diagnostics.length).toBeGreaterThanOrEqual(2);
    expect(error.diagnostics[0]?.message).toBe("invalid YAML: duplicate key 'a': map keys must be unique");
  });

  it("names a fleet file it cannot read", async () => {
    const error = await configError(loadFleet("nope.yaml", deps));
    expect(error.message).toContain("cannot read fleet file nope.yaml: no such file");
  });
});

describe("resolveSecret", () => {
  const secretDeps = {
    readFile,
    env: { PW: "s3cret-from-env", EMPTY: "" },
    scope: { baseDir: "/srv", root: "/srv", label: "the fleet file's directory", realPath },
  };
  const context = { what: "password of p/a", location: { file: "fleet.yaml", line: 12, column: 7 } };

  it("reads environment variables and files (without the trailing newline)", async () => {
    expect((await resolveSecret({ env: "PW" }, secretDeps)).reveal()).toBe("s3cret-from-env");
    expect((await resolveSecret({ file: "secrets/pw" }, secretDeps)).reveal()).toBe("s3cret-from-file");
  });

  it("explains what is missing and where, never the value", async () => {
    const unset = await configError(resolveSecret({ env: "NOPE" }, secretDeps, context));
    expect(unset.message).toContain("fleet.yaml:12:7: environment variable NOPE is not set (password of p/a)");
    expect((await configError(resolveSecret({ env: "EMPTY" }, secretDeps, context))).message).toContain(
      "environment variable EMPTY is empty",
    );
    expect((await configError(resolveSecret({ file: "secrets/none" }, secretDeps, context))).message).toContain(
      "fleet.yaml:12:7: cannot read secret file 'secrets/none': no such file (password of p/a)",
    );
    expect((await configError(resolveSecret({ file: "secrets/empty" }, secretDeps))).message).toContain(
      "secret file 'secrets/empty' is empty (secret)",
    );
  });
});
