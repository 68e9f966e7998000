import { Ajv } from "ajv/dist/ajv.js";
import type { Token, Tokens } from "marked";
import { Lexer } from "marked";
import { parse } from "yaml";

/**
 * The fenced code blocks of a markdown page, each with the `<!-- doc-test … -->` comment written just before it
 * (invisible on GitHub). The comment's body is YAML:
 *
 *   skip: why it cannot run here          not runnable (a real cloud, minutes of work, the set-up itself)
 *   in: NAME                              the page's workspace it runs in (default: main)
 *   setup: { cwd, copy, clouds, env }     how that workspace is prepared, given once per workspace
 *   expect: [{ exit, stdout, stderr, files, until }, …]   shell blocks: one entry per command, in order
 *   file: PATH                            YAML blocks: written to PATH in the workspace before the page runs
 *   check: validate | world               …then checked: `reform validate -c PATH`, or served by `reform sim --world PATH`
 *   excerpt-of: PATH                      YAML blocks: the keys shown equal those of this file of the checkout
 *   output-of: COMMAND                    text blocks: every line shown (but `...`) is printed by COMMAND, in order
 */

export interface Expectation {
  readonly exit?: number;
  readonly stdout?: string | readonly string[];
  readonly stderr?: string | readonly string[];
  /** Files (relative to the workspace's directory) that exist afterwards. */
  readonly files?: readonly string[];
  /** A command that runs until interrupted (a server): started apart, ready once stdout shows this; SIGINT at the end. */
  readonly until?: string;
}

export interface Setup {
  /** The directory commands start in, relative to the workspace (a copy of the checkout's examples/ and bin/). */
  readonly cwd?: string;
  /** Files to copy from the checkout: destination (relative to cwd) → source (relative to the checkout). */
  readonly copy?: Readonly<Record<string, string>>;
  /** clouds.yaml entries (written in cwd) → the world file (relative to the checkout) an emulator serves for each. */
  readonly clouds?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
}

export interface Directive {
  readonly skip?: string;
  readonly in?: string;
  readonly setup?: Setup;
  readonly expect?: readonly Expectation[];
  readonly file?: string;
  readonly check?: "validate" | "world";
  readonly "excerpt-of"?: string;
  readonly "output-of"?: string;
}

export interface DocBlock {
  /** The page, relative to the checkout. */
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  readonly directive?: Directive;
  /** Why the comment before the block is not a valid directive. */
  readonly directiveError?: string;
}

/** Languages whose blocks a reader copies and runs: each needs a directive. */
export const SHELL_LANGS = new Set(["bash", "sh", "shell", "console", "zsh"]);
export const YAML_LANGS = new Set(["yaml", "yml"]);

const MARK = /^<!--\s*doc-test\b([\s\S]*?)-->\s*$/;

const expectation = {
  type: "object",
  additionalProperties: false,
  properties: {
    exit: { type: "integer", minimum: 0 },
    stdout: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    stderr: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    files: { type: "array", items: { type: "string" } },
    until: { type: "string", minLength: 1 },
  },
};
const stringMap = { type: "object", additionalProperties: { type: "string" } };
const validateDirective = new Ajv({ allErrors: true }).compile<Directive>({
  type: "object",
  additionalProperties: false,
  properties: {
    skip: { type: "string", minLength: 10 },
    in: { type: "string", minLength: 1 },
    setup: {
      type: "object",
      additionalProperties: false,
      properties: { cwd: { type: "string" }, copy: stringMap, clouds: stringMap, env: stringMap },
    },
    expect: { type: "array", items: expectation, minItems: 1 },
    file: { type: "string", minLength: 1 },
    check: { enum: ["validate", "world"] },
    "excerpt-of": { type: "string", minLength: 1 },
    "output-of": { type: "string", minLength: 1 },
  },
});

/** Every fenced code block of a page, in order, with its directive (or why the comment is not one). */
export function docBlocks(page: string, markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lineOf = fenceLines(markdown);
  const visit = (tokens: readonly Token[]) => {
    let comment: string | undefined;
    for (const token of tokens) {
      if (token.type === "code" && (token as Tokens.Code).codeBlockStyle !== "indented") {
        const code = token as Tokens.Code;
        const line = lineOf.shift() ?? 0;
        blocks.push({
          page,
          line,
          lang: (code.lang ?? "").split(/\s+/)[0] ?? "",
          text: code.text.endsWith("\n") ? code.text : `${code.text}\n`,
          ...directiveFrom(comment),
        });
      }
      if (token.type !== "space")
        comment = token.type === "html" && MARK.test(token.raw.trim()) ? token.raw.trim() : undefined;
      const children =
        "tokens" in token && Array.isArray(token.tokens)
          ? token.tokens
          : "items" in token && Array.isArray(token.items)
            ? (token.items as Token[])
            : [];
      if (children.length > 0) visit(children);
    }
  };
  visit(Lexer.lex(markdown));
  return blocks;
}

function directiveFrom(comment: string | undefined): { directive?: Directive; directiveError?: string } {
  if (comment === undefined) return {};
  const body = MARK.exec(comment)?.[1] ?? "";
  let parsed: unknown;
  try {
    parsed = parse(body.replace(/^:/, ""), { strict: true, uniqueKeys: true }) ?? {};
  } catch (error) {
    return { directiveError: `the doc-test comment is not YAML: ${(error as Error).message}` };
  }
  if (!validateDirective(parsed))
    return {
      directiveError: `the doc-test comment: ${(validateDirective.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ")}`,
    };
  return { directive: parsed };
}

/** 1-based lines of the opening fences of fenced code blocks, in order (a fence's closing line is skipped). */
function fenceLines(markdown: string): number[] {
  const lines: number[] = [];
  let open: { char: string; length: number } | undefined;
  markdown.split("\n").forEach((text, index) => {
    const fence = /^(?:\s*(?:[-*+]|\d+[.)])\s+)*\s*(`{3,}|~{3,})/.exec(text);
    if (!fence?.[1]) return;
    const char = fence[1][0] ?? "`";
    if (!open) {
      open = { char, length: fence[1].length };
      lines.push(index + 1);
    } else if (char === open.char && fence[1].length >= open.length && text.trim() === fence[1]) {
      open = undefined;
    }
  });
  return lines;
}

/** The commands of a shell block: one per line, `\` continuations joined, blank and comment lines left out. */
export function commandsOf(text: string): string[] {
  const commands: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    const joined = pending + line;
    if (/\\$/.test(joined)) {
      pending = `${joined}\n`;
      continue;
    }
    pending = "";
    if (joined.trim() !== "" && !joined.trim().startsWith("#")) commands.push(joined);
  }
  return commands;
}

/** Lines of a shell or YAML block whose text outside comments is not ASCII (a placeholder a reader cannot type). */
export function nonAsciiLines(text: string): string[] {
  return text.split("\n").filter((line) => /[^\x20-\x7e\t]/.test(line.replace(/(^|\s)#.*$/, "")));
}
