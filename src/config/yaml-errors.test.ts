import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFleetText } from "./parse.js";

const FLEET = `providers:
  dc1: { type: openstack, cloud: prod }
defaults:
  rollout: { parallelism: 2 }
instances:
  - provider: dc1
    name: web-1
    spec:
      image: { name: ubuntu-24.04 }
      keyPair: ops-2026
      metadata:
        role: web
        tier: "2"
      userData: |
        #cloud-config
        packages: [nginx]
  - { provider: dc1, name: "db-1", spec: { reboot: { token: t1, type: SOFT } } }
`;

/** Words of the YAML library's messages that mean nothing to a fleet file's author. */
const JARGON = /implicit|flow|block|compact|scalar|collection|mapping items|plain value|document/i;

/** One edit a hurried author makes: a character deleted or doubled, a space or tab put at a line's start, a quote or bracket added. */
const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("delete", "double", "space", "tab", '"', "{", "[", ":", "- "),
});

function apply(text: string, e: { at: number; kind: string }): string {
  const lines = text.split("\n");
  const i = e.at % text.length;
  switch (e.kind) {
    case "delete":
      return text.slice(0, i) + text.slice(i + 1);
    case "double":
      return text.slice(0, i) + text.charAt(i) + text.slice(i);
    case "space":
    case "tab": {
      const line = e.at % (lines.length - 1);
      lines[line] = `${e.kind === "tab" ? "\t" : " "}${lines[line] ?? ""}`;
      return lines.join("\n");
    }
    default:
      return text.slice(0, i) + e.kind + text.slice(i);
  }
}

describe("YAML syntax errors", () => {
  it("say 'invalid YAML', in plain words, at a line of the file, one per line (property over random typos)", () => {
    let broken = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const text = edits.reduce(apply, FLEET);
        const { diagnostics } = parseFleetText(text, "f.yaml");
        if (diagnostics.length > 0) broken++;
        const lineCount = text.split("\n").length;
        for (const d of diagnostics) {
          expect(d.message).toMatch(/^invalid YAML: /);
          expect(d.message).not.toMatch(JARGON);
          expect(d.location?.line).toBeGreaterThanOrEqual(1);
          expect(d.location?.line).toBeLessThanOrEqual(lineCount);
        }
        const lines = diagnostics.map((d) => d.location?.line);
        expect(new Set(lines).size).toBe(lines.length);
      }),
      { numRuns: 500 },
    );
    // Not vacuous: most typos of this kind break the YAML.
    expect(broken).toBeGreaterThan(100);
  });

  it.each([
    [
      "a line indented deeper after a value (the parser points at the value, a line early)",
      "a: 1\nb: x\n  c: 2\n",
      3,
      3,
      "this line is indented deeper than the one above it, which already has its value: check its indentation (spaces only)",
    ],
    [
      "a key less indented than its siblings",
      "a:\n  b: 1\n c: 2\n",
      3,
      2,
      "this line does not line up with the keys above it",
    ],
    [
      "the bad line after a comment (the parser points at the comment)",
      "a:\n  b: 1\n  # note\n   c: 2\n",
      4,
      4,
      "this line does not line up with the keys above it",
    ],
    [
      "a list item out of line",
      "l:\n  - a: 1\n   - b: 2\n",
      3,
      4,
      "this list item does not line up with the items above it",
    ],
    [
      "a quote never closed (the parser points at the end of the file)",
      'a: "x\nb: 2\n',
      1,
      4,
      "this quoted text has no closing quote",
    ],
    [
      "a bracket never closed (the parser points past it)",
      "a: [1, 2\nb: 3\n",
      1,
      4,
      "the '[' opened here is not closed with ']'",
    ],
    ["a key without its colon", "a:\n  b\n  c: 1\n", 2, 3, "'b' has no ':' after it"],
    [
      "': ' inside a value",
      "a: b: c\n",
      1,
      4,
      "this value contains ': ', which starts a nested map here: quote the value",
    ],
    ["a tab", "a:\n\tb: 1\n", 2, 1, "a tab indents this line: indent with spaces"],
  ])("%s", (_what, text, line, column, message) => {
    const { diagnostics } = parseFleetText(text, "f.yaml");
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.location).toEqual({ file: "f.yaml", line, column });
    expect(diagnostics[0]?.message).toContain(`invalid YAML: ${message}`);
  });
});
