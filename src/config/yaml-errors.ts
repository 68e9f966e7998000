import { visit } from "yaml";
import type { Document, YAMLError } from "yaml";

/** A YAML syntax error in words a fleet file's author can act on, and the offset of the fault it describes. */
export interface YamlProblem {
  readonly offset: number;
  readonly message: string;
}

const INDENTATION = "check its indentation (spaces only)";
const TEXT_BLOCK = "the multi-line text after '|' or '>'";

/**
 * The parser's errors as "invalid YAML: …" without its jargon ("implicit key", "flow map", "block scalar"), each at
 * the line of the fault: the parser reports some a line early (a line indented too deep is seen as the end of the value
 * on the line before, a bad indentation is reported on the comment line above it) or at the end of the file (an
 * unclosed quote or bracket), and some twice. What it says after the first error that breaks the structure is mostly
 * an echo of it: only that one is kept, with the duplicate keys found before it. A bracket or quote left open before
 * it is the fault, whatever the parser tripped on later.
 */
export function describeYamlErrors(errors: readonly YAMLError[], text: string, doc: Document.Parsed): YamlProblem[] {
  const open = unclosed(doc);
  const problems: YamlProblem[] = [];
  for (const error of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const structural = error.code !== "DUPLICATE_KEY";
    const problem = structural && open !== undefined && open.offset <= error.pos[0] ? open : describe(error, text);
    const line = lineStart(text, problem.offset);
    if (!problems.some((p) => lineStart(text, p.offset) === line)) problems.push(problem);
    if (structural) break;
  }
  return problems.map((p) => ({ ...p, message: `invalid YAML: ${p.message}` }));
}

/** What one parser error is about, as the parser sees it. */
interface Found {
  readonly start: number;
  readonly end: number;
  /** The parser's message, first line. */
  readonly says: string;
  readonly text: string;
}

/** Parser error code (and message) → the author's words and place. First match wins; the last rule catches the rest. */
const RULES: readonly {
  readonly code?: string;
  readonly says?: RegExp;
  readonly describe: (f: Found) => YamlProblem;
}[] = [
  { code: "TAB_AS_INDENT", describe: (f) => at(f.start, "a tab indents this line: indent with spaces") },
  { code: "DUPLICATE_KEY", describe: duplicateKey },
  {
    code: "BAD_INDENT",
    says: /^Flow (map|sequence)/,
    describe: (f) =>
      at(
        contentStart(f.text, f.start),
        `this line inside ${brackets(f.says)} must be indented deeper than the key it belongs to: ${INDENTATION}`,
      ),
  },
  {
    code: "BAD_INDENT",
    says: /sequence items/,
    describe: (f) =>
      at(
        contentStart(f.text, f.start),
        `this list item does not line up with the items above it (their '- ' start in one column): ${INDENTATION}`,
      ),
  },
  {
    code: "BAD_INDENT",
    says: /mapping items/,
    describe: (f) =>
      at(
        contentStart(f.text, f.start),
        `this line does not line up with the keys above it (the keys of one map start in one column): ${INDENTATION}`,
      ),
  },
  {
    code: "BAD_INDENT",
    says: /less indented than their first line/,
    describe: (f) =>
      at(
        contentStart(f.text, f.start),
        `this line of ${TEXT_BLOCK} is indented less than its first line: ${INDENTATION}`,
      ),
  },
  {
    code: "BAD_INDENT",
    says: /Block scalar values in collections/,
    describe: (f) =>
      at(contentStart(f.text, f.start), `${TEXT_BLOCK} must be indented deeper than its key: ${INDENTATION}`),
  },
  {
    code: "MISSING_CHAR",
    says: /more-indented leading empty lines/,
    describe: (f) =>
      at(f.start, `${TEXT_BLOCK} starts with blank lines indented deeper than its first line: remove their spaces`),
  },
  {
    code: "BAD_SCALAR_START",
    says: /block scalar indicator/,
    describe: (f) =>
      at(
        f.start,
        "a value cannot start with '|' or '>' here: they go right after a key's ':', with the text on the lines below; quote the value otherwise",
      ),
  },
  {
    code: "UNEXPECTED_TOKEN",
    says: /Block scalar header/,
    describe: (f) =>
      at(f.start, "nothing may follow '|' or '>' on its line: the text goes on the lines below, indented"),
  },
  {
    code: "BLOCK_IN_FLOW",
    describe: (f) =>
      at(
        f.start,
        "inside '{ … }' or '[ … ]' a value containing ': ' (or '- ') needs quotes; or write the map on lines of its own",
      ),
  },
  {
    code: "MULTILINE_IMPLICIT_KEY",
    says: /flow sequence/,
    describe: (f) => at(f.start, "a key inside '[ … ]' must be on one line"),
  },
  { code: "MULTILINE_IMPLICIT_KEY", describe: scalarThenDeeper },
  { code: "BLOCK_AS_IMPLICIT_KEY", describe: scalarThenDeeper },
  {
    code: "MISSING_CHAR",
    says: /closing ["']?quote/i,
    describe: (f) => at(f.start, "this quoted text has no closing quote: it runs on to the end of the file"),
  },
  {
    code: "MISSING_CHAR",
    says: /followed by map values/,
    describe: (f) =>
      at(f.start, `'${snippet(f)}' has no ':' after it: a key needs one (a value goes after the ':' of its key)`),
  },
  {
    code: "MISSING_CHAR",
    says: /^Missing ,/,
    describe: (f) => at(f.start, `a ',' is missing before this, between the items of ${brackets(f.says)}`),
  },
  {
    code: "MISSING_CHAR",
    says: /without - indicator/,
    describe: (f) => at(contentStart(f.text, f.start), "this list item has no '- ' before it"),
  },
  {
    code: "UNEXPECTED_TOKEN",
    says: /block-seq-ind on same line/,
    describe: (f) =>
      at(f.start, "a list ('- ') cannot start on the line of its key: put it on the next line, indented"),
  },
  { describe: unexpected },
];

function describe(error: YAMLError, text: string): YamlProblem {
  const found: Found = {
    start: error.pos[0],
    end: error.pos[1],
    says: error.message.split("\n")[0] ?? error.message,
    text,
  };
  const rule = RULES.find(
    (r) => (r.code === undefined || r.code === error.code) && (r.says === undefined || r.says.test(found.says)),
  );
  return (rule ?? (RULES[RULES.length - 1] as (typeof RULES)[number])).describe(found);
}

function at(offset: number, message: string): YamlProblem {
  return { offset, message };
}

function duplicateKey(f: Found): YamlProblem {
  const key = /^("[^"\n]*"|'[^'\n]*'|[^:#\n]+?)\s*:/.exec(f.text.slice(f.start))?.[1];
  return at(
    f.start,
    key
      ? `duplicate key '${key.replace(/^["']|["']$/g, "")}': map keys must be unique`
      : "duplicate key: map keys must be unique",
  );
}

/**
 * A value followed by a deeper line: `name: web-1` then an over-indented `spec:` (the parser points at `web-1`, a line
 * early); a value containing ': '; or a key written without its colon (`spec` alone, then its content).
 */
function scalarThenDeeper(f: Found): YamlProblem {
  const { start, end, text } = f;
  const isValue = /:\s|-\s/.test(text.slice(lineStart(text, start), start));
  const spans = text.slice(start, end).includes("\n");
  const restOfLine = text.slice(start).split("\n")[0] ?? "";
  if (isValue && !spans && /:(\s|$)/.test(restOfLine))
    return at(start, "this value contains ': ', which starts a nested map here: quote the value");
  const deeper = isValue
    ? spans
      ? contentStart(text, lineStart(text, end))
      : nextContentLine(text, start)
    : undefined;
  if (deeper !== undefined)
    return at(
      deeper,
      `this line is indented deeper than the one above it, which already has its value: ${INDENTATION}`,
    );
  if (spans)
    return at(
      start,
      `'${snippet(f)}' has no ':' after it: a key needs one (or the lines below it are indented too deep)`,
    );
  return at(contentStart(text, start), `this line's indentation does not fit the lines above it: ${INDENTATION}`);
}

/** Any other token out of place: name it; at the start of a line it is most likely indented wrong. */
function unexpected(f: Found): YamlProblem {
  const what = snippet(f);
  const where = contentStart(f.text, f.start);
  const token = what === "" ? "this" : `'${what}'`;
  if (where === f.start || what === "") return at(where, `${token} is not expected here: ${INDENTATION}`);
  return at(
    f.start,
    `${token} is not expected here: check what comes before it on this line (a ':', ',', quote or bracket too many or missing)`,
  );
}

/** The first `{`, `[` or quote left open: where it starts, and what is wrong. */
function unclosed(doc: Document.Parsed): YamlProblem | undefined {
  let found: YamlProblem | undefined;
  visit(doc, {
    Collection(_key, node) {
      const token = node.srcToken;
      if (!node.range || token?.type !== "flow-collection" || token.end.length > 0) return undefined;
      const [open, close] = token.start.source === "[" ? ["[", "]"] : ["{", "}"];
      found = at(node.range[0], `the '${open}' opened here is not closed with '${close}'`);
      return visit.BREAK;
    },
    Scalar(_key, node) {
      const token = node.srcToken;
      const quote = node.type === "QUOTE_DOUBLE" ? '"' : node.type === "QUOTE_SINGLE" ? "'" : undefined;
      if (!node.range || quote === undefined || !token || !("source" in token)) return undefined;
      if (token.source.length >= 2 && token.source.endsWith(quote)) return undefined;
      found = at(node.range[0], "this quoted text has no closing quote: it runs on to the end of the file");
      return visit.BREAK;
    },
  });
  return found;
}

/** "'{ … }'" or "'[ … ]'", after the parser's "flow map" or "flow sequence". */
function brackets(says: string): string {
  return /sequence/.test(says) ? "'[ … ]'" : "'{ … }'";
}

/** The text the error is about, on one line and short. */
function snippet(f: Found): string {
  const first = (f.text.slice(f.start, f.end).split("\n")[0] ?? "").trim();
  return first.length > 30 ? `${first.slice(0, 30)}…` : first;
}

function lineStart(text: string, offset: number): number {
  return offset <= 0 ? 0 : text.lastIndexOf("\n", Math.min(offset, text.length) - 1) + 1;
}

/** The first character of the next line after the one at `offset` that has content. */
function nextContentLine(text: string, offset: number): number | undefined {
  const rest = /\n[ \t]*[^\s]/.exec(text.slice(offset));
  return rest ? offset + rest.index + rest[0].length - 1 : undefined;
}

/**
 * The first character of the line at `offset` that is not a space or tab; when that line is blank or a comment (the
 * parser reports a bad indentation where the whitespace before it starts), of the next line with content.
 */
function contentStart(text: string, offset: number): number {
  let begin = lineStart(text, offset);
  for (;;) {
    const indent = /^[ \t]*/.exec(text.slice(begin))?.[0].length ?? 0;
    const next = text.indexOf("\n", begin);
    const first = text[begin + indent];
    if ((first !== "\n" && first !== "#" && first !== undefined) || next === -1)
      return first === undefined ? begin : begin + indent;
    begin = next + 1;
  }
}
