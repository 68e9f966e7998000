import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpolate, interpolateTree } from "./interpolate.js";
import type { EnvAccess, InterpolationIssue } from "./interpolate.js";

/** Every variable of `env` readable, as when the pipeline allows them all. */
const allowing = (env: Record<string, string>): EnvAccess => ({ env, allowed: Object.keys(env) });

describe("interpolate", () => {
  it("replaces every ${env:VAR} with the variable's value", () => {
    expect(interpolate("${env:A}-${env:B}/${env:A}", allowing({ A: "x", B: "y" }))).toEqual({
      type: "ok",
      value: "x-y/x",
    });
  });

  it("keeps $${env:VAR} as the literal text ${env:VAR}", () => {
    expect(interpolate("cost: $${env:A} and ${env:A}", allowing({ A: "5" }))).toEqual({
      type: "ok",
      value: "cost: ${env:A} and 5",
    });
  });

  it("leaves other ${...} (shell syntax in cloud-init) alone", () => {
    expect(interpolate('echo "${HOME}" ${PATH:-/bin}', allowing({}))).toEqual({
      type: "ok",
      value: 'echo "${HOME}" ${PATH:-/bin}',
    });
  });

  it("reads only REFORM_VAR_* and the names the pipeline allows, and never shows a value", () => {
    const env = { GITHUB_TOKEN: "ghp_secret-value", REFORM_VAR_REGION: "eu-1", TEAM: "ops" };
    expect(interpolate("${env:REFORM_VAR_REGION}/${env:TEAM}", { env, allowed: ["TEAM"] })).toEqual({
      type: "ok",
      value: "eu-1/ops",
    });
    const denied = interpolate("x-${env:GITHUB_TOKEN}", { env, allowed: ["TEAM"] });
    expect(denied).toEqual({
      type: "error",
      messages: [
        "environment variable GITHUB_TOKEN may not be read by a fleet file: only REFORM_VAR_* variables are, and names the pipeline allows with --allow-env GITHUB_TOKEN (or REFORM_ALLOW_ENV=GITHUB_TOKEN)",
      ],
    });
    expect(JSON.stringify(denied)).not.toContain("ghp_secret-value");
    expect(interpolate("${env:REFORM_VAR_UNSET}", { env, allowed: [] })).toMatchObject({
      type: "error",
      messages: [expect.stringContaining("REFORM_VAR_UNSET is not set") as unknown],
    });
  });

  it("never reads a variable outside REFORM_VAR_* that is not allowed, whatever its name", () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
    fc.assert(
      fc.property(name, fc.string({ minLength: 1 }), (variable, value) => {
        fc.pre(!variable.startsWith("REFORM_VAR_"));
        const result = interpolate(`\${env:${variable}}`, { env: { [variable]: value }, allowed: [] });
        expect(result.type).toBe("error");
        expect(result.type === "error" && result.messages.join("\n")).toContain(`${variable} may not be read`);
      }),
    );
  });

  it("names every missing variable", () => {
    const result = interpolate("${env:MISSING_ONE}${env:SET}${env:MISSING_TWO}", {
      env: { SET: "v" },
      allowed: ["SET", "MISSING_ONE", "MISSING_TWO"],
    });
    expect(result.type).toBe("error");
    if (result.type !== "error") return;
    expect(result.messages).toHaveLength(2);
    expect(result.messages[0]).toContain("environment variable MISSING_ONE is not set");
    expect(result.messages[1]).toContain("environment variable MISSING_TWO is not set");
  });

  it("rejects malformed variable names", () => {
    const result = interpolate("${env:1BAD}", allowing({ "1BAD": "x" }));
    expect(result.type === "error" && result.messages[0]).toContain("invalid variable reference");
  });

  it("rejects a reference that is never closed, unless escaped", () => {
    const result = interpolate("cloud-${env:OS_CLOUD_NAME", allowing({ OS_CLOUD_NAME: "x" }));
    expect(result).toEqual({
      type: "error",
      messages: ["unterminated reference '${env:OS_CLOUD_NAME': expected ${env:NAME} closed by '}'"],
    });
    expect(interpolate("${env:A} then $${env:B", allowing({ A: "a" }))).toEqual({
      type: "ok",
      value: "a then $${env:B",
    });
  });

  it("does not re-interpolate values that contain references", () => {
    expect(interpolate("${env:A}", allowing({ A: "${env:B}", B: "no" }))).toEqual({ type: "ok", value: "${env:B}" });
  });

  it("is the identity on text without references", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes("${env:"));
        expect(interpolate(text, allowing({}))).toEqual({ type: "ok", value: text });
      }),
    );
  });

  it("substitutes any value and unescapes any escaped reference", () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
    fc.assert(
      fc.property(name, fc.string(), fc.string(), (variable, value, prefix) => {
        fc.pre(!prefix.includes("$") && !prefix.includes("{"));
        expect(interpolate(`${prefix}\${env:${variable}}`, allowing({ [variable]: value }))).toEqual({
          type: "ok",
          value: `${prefix}${value}`,
        });
        expect(interpolate(`${prefix}$\${env:${variable}}`, allowing({}))).toEqual({
          type: "ok",
          value: `${prefix}\${env:${variable}}`,
        });
      }),
    );
  });
});

describe("interpolateTree", () => {
  it("interpolates string values at any depth, not keys, and reports paths", () => {
    const issues: InterpolationIssue[] = [];
    const tree = { "${env:K}": "${env:V}", list: [1, true, null, { deep: "${env:NOPE}" }] };
    expect(interpolateTree(tree, allowing({ V: "v", K: "k" }), issues)).toEqual({
      "${env:K}": "v",
      list: [1, true, null, { deep: "${env:NOPE}" }],
    });
    expect(issues.map((i) => i.path)).toEqual([["list", 3, "deep"]]);
  });
});
