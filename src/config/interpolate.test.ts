import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpolate, interpolateTree } from "./interpolate.js";
import type { InterpolationIssue } from "./interpolate.js";

describe("interpolate", () => {
  it("replaces every ${env:VAR} with the variable's value", () => {
    expect(interpolate("${env:A}-${env:B}/${env:A}", { A: "x", B: "y" })).toEqual({ type: "ok", value: "x-y/x" });
  });

  it("keeps $${env:VAR} as the literal text ${env:VAR}", () => {
    expect(interpolate("cost: $${env:A} and ${env:A}", { A: "5" })).toEqual({ type: "ok", value: "cost: ${env:A} and 5" });
  });

  it("leaves other ${...} (shell syntax in cloud-init) alone", () => {
    expect(interpolate('echo "${HOME}" ${PATH:-/bin}', {})).toEqual({ type: "ok", value: 'echo "${HOME}" ${PATH:-/bin}' });
  });

  it("names every missing variable", () => {
    const result = interpolate("${env:MISSING_ONE}${env:SET}${env:MISSING_TWO}", { SET: "v" });
    expect(result.type).toBe("error");
    if (result.type !== "error") return;
    expect(result.messages).toHaveLength(2);
    expect(result.messages[0]).toContain("environment variable MISSING_ONE is not set");
    expect(result.messages[1]).toContain("environment variable MISSING_TWO is not set");
  });

  it("rejects malformed variable names", () => {
    const result = interpolate("${env:1BAD}", { "1BAD": "x" });
    expect(result.type === "error" && result.messages[0]).toContain("invalid variable reference");
  });

  it("rejects a reference that is never closed, unless escaped", () => {
    const result = interpolate("cloud-${env:OS_CLOUD_NAME", { OS_CLOUD_NAME: "x" });
    expect(result).toEqual({ type: "error", messages: ["unterminated reference '${env:OS_CLOUD_NAME': expected ${env:NAME} closed by '}'"] });
    expect(interpolate("${env:A} then $${env:B", { A: "a" })).toEqual({ type: "ok", value: "a then $${env:B" });
  });

  it("does not re-interpolate values that contain references", () => {
    expect(interpolate("${env:A}", { A: "${env:B}", B: "no" })).toEqual({ type: "ok", value: "${env:B}" });
  });

  it("is the identity on text without references", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes("${env:"));
        expect(interpolate(text, {})).toEqual({ type: "ok", value: text });
      }),
    );
  });

  it("substitutes any value and unescapes any escaped reference", () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
    fc.assert(
      fc.property(name, fc.string(), fc.string(), (variable, value, prefix) => {
        fc.pre(!prefix.includes("$") && !prefix.includes("{"));
        expect(interpolate(`${prefix}\${env:${variable}}`, { [variable]: value })).toEqual({ type: "ok", value: `${prefix}${value}` });
        expect(interpolate(`${prefix}$\${env:${variable}}`, {})).toEqual({ type: "ok", value: `${prefix}\${env:${variable}}` });
      }),
    );
  });
});

describe("interpolateTree", () => {
  it("interpolates string values at any depth, not keys, and reports paths", () => {
    const issues: InterpolationIssue[] = [];
    const tree = { "${env:K}": "${env:V}", list: [1, true, null, { deep: "${env:NOPE}" }] };
    expect(interpolateTree(tree, { V: "v", K: "k" }, issues)).toEqual({ "${env:K}": "v", list: [1, true, null, { deep: "${env:NOPE}" }] });
    expect(issues.map((i) => i.path)).toEqual([["list", 3, "deep"]]);
  });
});
