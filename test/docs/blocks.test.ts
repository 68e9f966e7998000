import { describe, expect, it } from "vitest";
import { commandsOf, docBlocks, nonAsciiLines } from "./blocks.js";
import { DocTestFailure, runPage } from "./run-page.js";

const PAGE = `# Title

Some text.

<!-- doc-test
skip: needs a real cloud, which CI has not
-->
\`\`\`bash
openstack server list
\`\`\`

- a list item with a block:

  <!-- doc-test: { expect: [{ exit: 0 }] } -->
  \`\`\`sh
  true
  \`\`\`

\`\`\`yaml
providers: {}
\`\`\`

<!-- an ordinary comment -->
\`\`\`text
output
\`\`\`

<!-- doc-test
expect: [{ exit: "zero" }]
-->
~~~bash
false
~~~

\`\`\`
no language
\`\`\`
`;

describe("docBlocks", () => {
  const blocks = docBlocks("page.md", PAGE);

  it("finds every fenced block, nested in lists too, with its opening line and language", () => {
    expect(blocks.map((b) => [b.line, b.lang])).toEqual([
      [8, "bash"],
      [15, "sh"],
      [19, "yaml"],
      [24, "text"],
      [31, "bash"],
      [35, ""],
    ]);
    expect(blocks[0]?.text).toBe("openstack server list\n");
    expect(blocks[1]?.text).toBe("true\n");
  });

  it("takes the doc-test comment right before a block as its directive, and nothing else", () => {
    expect(blocks[0]?.directive).toEqual({ skip: "needs a real cloud, which CI has not" });
    expect(blocks[1]?.directive).toEqual({ expect: [{ exit: 0 }] });
    expect(blocks[2]?.directive).toBeUndefined();
    expect(blocks[3]?.directive).toBeUndefined();
  });

  it("says what is wrong with a directive that does not follow the format", () => {
    expect(blocks[4]?.directive).toBeUndefined();
    expect(blocks[4]?.directiveError).toMatch(/\/expect\/0\/exit must be integer/);
    expect(docBlocks("p.md", "<!-- doc-test\nskip: short\n-->\n```bash\nx\n```\n")[0]?.directiveError).toMatch(
      /\/skip must NOT have fewer than 10 characters/,
    );
    expect(docBlocks("p.md", "<!-- doc-test\nrun: [x]\n-->\n```bash\nx\n```\n")[0]?.directiveError).toMatch(
      /must NOT have additional properties/,
    );
  });
});

describe("commandsOf", () => {
  it("gives one command per line, joins continuations and leaves out comments and blank lines", () => {
    expect(commandsOf("# a comment\nnpx reform plan \\\n  --out plan.json   # saves it\n\nls\n")).toEqual([
      "npx reform plan \\\n  --out plan.json   # saves it",
      "ls",
    ]);
  });
});

describe("nonAsciiLines", () => {
  it("finds a non-ASCII placeholder, and lets comments say anything", () => {
    expect(
      nonAsciiLines("credentials: [{ accessKey: AK…, secretKey: SK }]\nimage: x   # stop → start\n# “quoted”\n"),
    ).toEqual(["credentials: [{ accessKey: AK…, secretKey: SK }]"]);
  });
});

describe("runPage", { timeout: 60_000 }, () => {
  it("passes when the documented commands do what is written next to them, and fails, naming the block, when one does not", async () => {
    const good = docBlocks(
      "good.md",
      '<!-- doc-test\nexpect: [{ stdout: "0.1.0" }, { exit: 1, stderr: "unknown command" }]\n-->\n```bash\nnpx reform --version\nreform nonsense\n```\n',
    );
    await runPage(good);
    const broken = docBlocks(
      "broken.md",
      'Text.\n\n<!-- doc-test\nexpect: [{ stdout: "Plan: 1 rebuild." }]\n-->\n```bash\nnpx reform validate -c missing.yaml\n```\n',
    );
    const failure = await runPage(broken).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DocTestFailure);
    expect((failure as Error).message).toMatch(
      /^broken\.md:6: `npx reform validate -c missing\.yaml`: exit code 1, expected 0; stdout lacks "Plan: 1 rebuild\."/,
    );
  });

  it("writes file blocks first, runs the shell like one terminal (exports carry over), and needs one expectation per command", async () => {
    const page = docBlocks(
      "page.md",
      [
        "<!-- doc-test\nexpect: [{}, { stdout: \"written before the first block ran\" }]\n-->\n```bash\nexport GREETING='from an earlier block'\ncat note.yaml\n```\n",
        '<!-- doc-test\nexpect: [{ stdout: "from an earlier block" }]\n-->\n```bash\necho "$GREETING"\n```\n',
        "<!-- doc-test\nfile: note.yaml\n-->\n```yaml\nnote: written before the first block ran\n```\n",
        "<!-- doc-test\nexpect: [{}]\n-->\n```bash\ntrue\ntrue\n```\n",
      ].join("\n"),
    );
    await runPage(page.slice(0, 3));
    await expect(runPage(page)).rejects.toThrow(/^page\.md:\d+: 2 commands but 1 expectations/);
  });
});
