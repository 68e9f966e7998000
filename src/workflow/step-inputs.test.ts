import { describe, expect, it } from "vitest";
import type { InstanceChange } from "../model/change.js";
import { ConfigError, ReformError } from "../model/errors.js";
import { JD_LIKE, desired, input, observed, userData } from "../plan/test-builders.js";
import { planInstance } from "../plan/plan-instance.js";
import { checkStepInputs, stepInputs } from "./step-inputs.js";

const VALUE = "Pa55-Value-Never-Printed";
const FILES: Readonly<Record<string, string>> = { "/secrets/pw": `${VALUE}\n`, "/secrets/empty": "\n" };
const readFile = (path: string): Promise<string> => {
  const content = FILES[path];
  return content === undefined
    ? Promise.reject(Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" }))
    : Promise.resolve(content);
};
const realPath = (path: string) => Promise.resolve({ path, exists: path in FILES });
/** The fleet file is /fleet.yaml: its directory is the root. */
const ROOT = { baseDir: "/", root: "/", label: "the fleet file's directory" };

/** A JD-like server whose image changes: stop → rebuild → start, with the given password reference. */
function rebuildOf(
  password: { env: string } | { file: string } | undefined,
  name = "web-1",
): { change: InstanceChange; want: ReturnType<typeof desired> } {
  const want = desired(
    {
      image: { name: "ubuntu-24.04" },
      ...(password ? { password } : {}),
      userData: userData("#!/bin/bash\necho hi\n"),
    },
    name,
  );
  return { change: planInstance(input(want, observed({ name }), JD_LIKE)), want };
}

describe("stepInputs", () => {
  it("gives the rebuild its password and user_data; the steps around it need nothing", async () => {
    const { change, want } = rebuildOf({ env: "PW" });
    expect(change.steps.map((s) => s.kind)).toEqual(["stop", "rebuild", "start"]);
    const [stop, rebuild] = change.steps;
    expect(await stepInputs(want, stop!, { env: {}, readFile, realPath }, ROOT)).toEqual({});
    const inputs = await stepInputs(want, rebuild!, { env: { PW: VALUE }, readFile, realPath }, ROOT);
    expect(inputs.password?.reveal()).toBe(VALUE);
    expect(inputs.userData).toBe("#!/bin/bash\necho hi\n");
    expect(JSON.stringify(inputs)).not.toContain(VALUE);
  });

  it("reads a { file } password relative to the fleet file, without its trailing newline", async () => {
    const { change, want } = rebuildOf({ file: "secrets/pw" });
    const inputs = await stepInputs(want, change.steps[1]!, { env: {}, readFile, realPath }, ROOT);
    expect(inputs.password?.reveal()).toBe(VALUE);
  });

  it("refuses user_data that no longer matches the plan (PLAN_STALE)", async () => {
    const { change } = rebuildOf(undefined);
    const edited = desired({ image: { name: "ubuntu-24.04" }, userData: userData("#!/bin/bash\necho edited\n") });
    const error = await stepInputs(edited, change.steps[1]!, { env: {}, readFile, realPath }, ROOT).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReformError);
    expect((error as ReformError).code).toBe("PLAN_STALE");
  });

  it("throws a located ConfigError naming the server, the field and the variable", async () => {
    const { change, want } = rebuildOf({ env: "JD_ROOT_PASSWORD" });
    const error = await stepInputs(want, change.steps[1]!, { env: {}, readFile, realPath }, ROOT).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).diagnostics).toEqual([
      {
        location: { file: "/fleet.yaml", line: 10, column: 5 },
        message: "environment variable JD_ROOT_PASSWORD is not set (spec.password of dc1/web-1, needed by its rebuild)",
      },
    ]);
  });
});

describe("checkStepInputs (the plan-time preflight)", () => {
  it.each([
    [
      "an unset variable",
      { env: "PW" },
      {},
      /^\/fleet\.yaml:10:5: environment variable PW is not set \(spec\.password of dc1\/web-1, needed by its rebuild\)$/,
    ],
    [
      "an empty variable",
      { env: "PW" },
      { PW: "" },
      /environment variable PW is empty \(spec\.password of dc1\/web-1, needed by its rebuild\)$/,
    ],
    [
      "a missing file",
      { file: "secrets/nope" },
      {},
      /cannot read secret file 'secrets\/nope': no such file \(spec\.password of dc1\/web-1, needed by its rebuild\)$/,
    ],
    [
      "an empty file",
      { file: "secrets/empty" },
      {},
      /secret file 'secrets\/empty' is empty \(spec\.password of dc1\/web-1, needed by its rebuild\)$/,
    ],
  ] as const)("reports %s once per server, in one line, without a value", async (_what, password, env, message) => {
    const { change, want } = rebuildOf(password);
    const problems = await checkStepInputs(
      [change],
      new Map([[want.address, want]]),
      { env, readFile, realPath },
      ROOT,
    );
    expect([...problems.keys()]).toEqual(["dc1/web-1"]);
    const reasons = problems.get("dc1/web-1") ?? [];
    expect(reasons).toHaveLength(1);
    expect(reasons[0]?.message).toMatch(message);
    expect(reasons[0]?.message).not.toContain("\n");
  });

  it("finds nothing when every input resolves, or when no step needs the declared password", async () => {
    const { change, want } = rebuildOf({ env: "PW" });
    const metadataOnly = desired({ metadata: { role: "db" }, password: { env: "PW" } }, "db-1");
    const db = planInstance(input(metadataOnly, observed({ id: "srv-2", name: "db-1" }), JD_LIKE));
    expect(db.steps.map((s) => s.kind)).toEqual(["update-metadata"]);
    const all = new Map([
      [want.address, want],
      [metadataOnly.address, metadataOnly],
    ]);
    expect((await checkStepInputs([change, db], all, { env: { PW: VALUE }, readFile, realPath }, ROOT)).size).toBe(0);
    const unset = await checkStepInputs([change, db], all, { env: {}, readFile, realPath }, ROOT);
    expect([...unset.keys()]).toEqual(["dc1/web-1"]);
  });

  it("does not look up a reference the apply job provides (providedAtApply), and still checks any other", async () => {
    const a = rebuildOf({ env: "PW_A" }, "web-1");
    const b = rebuildOf({ file: "secrets/none" }, "web-2");
    const all = new Map([
      [a.want.address, a.want],
      [b.want.address, b.want],
    ]);
    const sources = { env: {}, readFile, realPath };
    const none = await checkStepInputs(
      [a.change, b.change],
      all,
      { ...sources, providedAtApply: ["env:PW_A", "file:secrets/none"] },
      ROOT,
    );
    expect(none.size).toBe(0);
    const one = await checkStepInputs([a.change, b.change], all, { ...sources, providedAtApply: ["env:PW_B"] }, ROOT);
    expect([...one.keys()]).toEqual(["dc1/web-1", "dc1/web-2"]);
  });

  it("checks each server apart: several problems, one entry per server", async () => {
    const a = rebuildOf({ env: "PW_A" }, "web-1");
    const b = rebuildOf({ file: "secrets/none" }, "web-2");
    const problems = await checkStepInputs(
      [a.change, b.change],
      new Map([
        [a.want.address, a.want],
        [b.want.address, b.want],
      ]),
      { env: {}, readFile, realPath },
      ROOT,
    );
    expect(problems.get("dc1/web-1")?.[0]?.message).toContain("PW_A");
    expect(problems.get("dc1/web-2")?.[0]?.message).toContain("secrets/none");
  });
});
