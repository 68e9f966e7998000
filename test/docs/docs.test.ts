import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { DocBlock } from "./blocks.js";
import { commandsOf, docBlocks, nonAsciiLines, SHELL_LANGS, YAML_LANGS } from "./blocks.js";
import { ROOT, runPage } from "./run-page.js";

/**
 * The docs are tested: every shell and YAML block a reader can copy from README.md and docs/ either runs here,
 * against the emulator, with the exit codes and lines written next to it (a `<!-- doc-test … -->` comment, see
 * blocks.ts), or says why it cannot. `reform` and `npx reform` are this checkout's bin; the docs' port 8800 is
 * replaced by a free one.
 */

const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocksOf = (page: string): DocBlock[] => docBlocks(page, readFileSync(join(ROOT, page), "utf8"));
const ALL = PAGES.flatMap(blocksOf);

/** Why a block breaks the rules (empty: it follows them). */
function problems(block: DocBlock): string[] {
  const where = `${block.page}:${block.line}`;
  const d = block.directive;
  if (block.lang === "") return [`${where}: a fenced block without a language (write \`text\` for output)`];
  if (block.directiveError) return [`${where}: ${block.directiveError}`];
  const copyable = SHELL_LANGS.has(block.lang) || YAML_LANGS.has(block.lang);
  const found: string[] = [];
  if (copyable)
    found.push(
      ...nonAsciiLines(block.text).map(
        (line) => `${where}: not ASCII outside a comment (a reader cannot type it): ${line.trim()}`,
      ),
    );
  if (!copyable) {
    if (
      d &&
      !(
        block.lang === "text" &&
        d["output-of"] &&
        Object.keys(d).every((k) => ["output-of", "in", "setup"].includes(k))
      )
    )
      found.push(
        `${where}: a doc-test comment on a ${block.lang} block (only \`output-of\`, with \`in\` and \`setup\`, on text blocks)`,
      );
    return found;
  }
  if (!d)
    return [
      ...found,
      `${where}: a ${block.lang} block with no doc-test comment: make it run (expect/file/check) or say why it cannot (skip: REASON)`,
    ];
  if (d.skip !== undefined) {
    if (Object.keys(d).length > 1) found.push(`${where}: skip takes nothing else`);
    return found;
  }
  if (SHELL_LANGS.has(block.lang)) {
    const commands = commandsOf(block.text).length;
    if ((d.expect ?? []).length !== commands)
      found.push(`${where}: ${commands} commands, ${(d.expect ?? []).length} expectations (one per command)`);
    if (d.file ?? d.check ?? d["excerpt-of"] ?? d["output-of"])
      found.push(`${where}: file, check, excerpt-of and output-of are for YAML and text blocks`);
    return found;
  }
  if (d.expect ?? d["output-of"]) found.push(`${where}: expect and output-of are for shell and text blocks`);
  const yaml = parse(block.text) as unknown;
  const keys = yaml && typeof yaml === "object" ? Object.keys(yaml) : [];
  const kind = keys.includes("providers")
    ? "validate"
    : keys.some((k) => ["openstack", "huaweicloud", "jdcloud"].includes(k))
      ? "world"
      : undefined;
  if (d.check && !d.file) found.push(`${where}: check needs file (where the block is written)`);
  if (kind && d.check !== kind && !d["excerpt-of"])
    found.push(
      `${where}: ${kind === "validate" ? "a fleet file" : "a world file"} must be checked: check: ${kind} (or excerpt-of: the file it is taken from)`,
    );
  if (!kind && !d.file && !d["excerpt-of"])
    found.push(
      `${where}: a YAML block must be written where commands use it (file:) or be an excerpt-of a checked file`,
    );
  return found;
}

describe("the docs' blocks", () => {
  it("every shell and YAML block in README.md and docs/ runs here, or says why it cannot; placeholders are ASCII", () => {
    expect(ALL.flatMap(problems)).toEqual([]);
    const copyable = ALL.filter((b) => SHELL_LANGS.has(b.lang) || YAML_LANGS.has(b.lang));
    const runnable = copyable.filter((b) => b.directive?.skip === undefined);
    // What the docs hold today; the counts only grow as pages do (a drop means blocks were lost or not parsed).
    expect(copyable.length).toBeGreaterThanOrEqual(25);
    expect(runnable.length).toBeGreaterThanOrEqual(19);
  });

  it("the example fleets and worlds a reader copies have ASCII values (comments may say anything)", () => {
    const dir = join(ROOT, "examples");
    const files = [
      ...readdirSync(dir).map((f) => `examples/${f}`),
      ...readdirSync(join(dir, "worlds")).map((f) => `examples/worlds/${f}`),
    ].filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) expect(nonAsciiLines(readFileSync(join(ROOT, file), "utf8")), file).toEqual([]);
  });
});

describe.concurrent("the docs' commands run as written, against the emulator", { timeout: 240_000 }, () => {
  for (const page of PAGES) {
    const runnable = blocksOf(page).filter((b) => b.directive && b.directive.skip === undefined);
    if (runnable.length > 0) it(`${page}: ${runnable.length} blocks`, async () => runPage(blocksOf(page)));
  }
});
