import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/errors.js";
import { parseFleetText } from "./parse.js";
import { closest } from "../model/suggest.js";
import { fleetValidator, validateFleet } from "./validate.js";

function messages(text: string): string[] {
  const parsed = parseFleetText(text, "f.yaml");
  expect(parsed.diagnostics).toEqual([]);
  return validateFleet(parsed.doc.toJS(), parsed).map(formatDiagnostic);
}

const head = "providers:\n  p: { type: sim }\ninstances:\n  - provider: p\n    name: a\n";

describe("validateFleet", () => {
  it("compiles the schema in strict mode and accepts a valid fleet", () => {
    expect(typeof fleetValidator()).toBe("function");
    expect(messages(`${head}    spec: { image: { id: x }, userData: null, keyPair: null }\n`)).toEqual([]);
  });

  it("locates an unknown key at the key, with the allowed keys and a suggestion", () => {
    expect(messages(`${head}    spec: { powr: running }\n`)).toEqual([
      "f.yaml:6:13: unknown key 'powr' in spec; expected one of image, keyPair, metadata, metadataPolicy, ignoreMetadata, userData, reboot, power, password; did you mean 'power'?",
    ]);
  });

  it("collapses oneOf fan-out into one message per location", () => {
    expect(messages(`${head}    spec: { image: { id: x, name: y } }\n`)).toEqual([
      "f.yaml:6:20: instances[0].spec.image: use only one of 'name', 'id'",
    ]);
    expect(messages(`${head}    spec: { image: {} }\n`)).toEqual([
      "f.yaml:6:20: instances[0].spec.image: missing key: expected exactly one of 'name', 'id'",
    ]);
    expect(messages(`${head}    spec: { image: { id: 5 } }\n`)).toEqual([
      'f.yaml:6:26: instances[0].spec.image.id: expected a string, got the number 5; quote it: "5"',
    ]);
    expect(messages(`${head}    spec: { userData: 5 }\n`)).toEqual([
      "f.yaml:6:23: instances[0].spec.userData: expected user_data { inline: TEXT }, { file: PATH } or { base64: DATA }, or null, got the number 5",
    ]);
  });

  it("explains counts and percentages for maxUnavailable", () => {
    const text = `${head}defaults: { rollout: { maxUnavailable: MAX } }\n`;
    expect(messages(text.replace("MAX", "0"))).toEqual(["f.yaml:6:40: defaults.rollout.maxUnavailable: must be >= 1"]);
    expect(messages(text.replace("MAX", "[1]"))[0]).toContain(
      'expected a count (1, 2, …) or a percentage from "1%" to "100%", got a list',
    );
    expect(messages(text.replace("MAX", '"100%"'))).toEqual([]);
  });

  it("reports every error, not only the first", () => {
    expect(
      messages(`${head}    spec: { power: on, metadataPolicy: all }\n    policy: { onImageChange: ask }\n`),
    ).toHaveLength(3);
  });

  it("never echoes a literal password", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (secret) => {
        const parsed = parseFleetText(`${head}    spec: { password: PLACEHOLDER }\n`, "f.yaml");
        const data = parsed.doc.toJS() as { instances: { spec: { password: unknown } }[] };
        (data.instances[0] as { spec: { password: unknown } }).spec.password = `s3cr3t-${secret}`;
        const text = validateFleet(data, parsed).map(formatDiagnostic).join("\n");
        expect(text).toContain("passwords must be references");
        expect(text).not.toContain(`s3cr3t-${secret}`);
      }),
    );
  });
});

describe("closest", () => {
  it("suggests near misses and transpositions only", () => {
    expect(closest("imgae", ["image", "keyPair"])).toBe("image");
    expect(closest("Image", ["image"])).toBe("image");
    expect(closest("zzzzz", ["image", "keyPair"])).toBeUndefined();
  });
});
