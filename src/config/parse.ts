import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode, Pair } from "yaml";
import type { Diagnostic } from "../model/errors.js";
import type { SourceLocation } from "../model/source.js";
import { describeYamlErrors } from "./yaml-errors.js";

/** A parsed fleet file: the YAML document, and what maps its offsets back to lines and columns. */
export interface ParsedFleetText {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Syntax errors (all of them), each located. Empty when the document parsed. */
  readonly diagnostics: readonly Diagnostic[];
}

/** A path into the document: map keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

/** Parses YAML text. Syntax errors (tabs, bad indentation, duplicate keys…) become located diagnostics, in plain words. */
export function parseFleetText(text: string, file: string): ParsedFleetText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const diagnostics = describeYamlErrors([...doc.errors, ...doc.warnings], text, doc).map((problem) => ({
    location: locationAt({ file, lineCounter }, problem.offset),
    message: problem.message,
  }));
  return { file, doc, lineCounter, diagnostics };
}

/** The location of an offset in the parsed text (1-based line and column). */
export function locationAt(parsed: Pick<ParsedFleetText, "file" | "lineCounter">, offset: number): SourceLocation {
  const pos = parsed.lineCounter.linePos(offset);
  return { file: parsed.file, line: pos.line, column: pos.col };
}

/** The node at `path`, or the deepest node on the way there (the document root at worst). */
export function nodeAt(doc: Document.Parsed, path: NodePath): YamlNode | null {
  let node: unknown = doc.contents;
  for (const segment of path) {
    const next = childOf(node, segment);
    if (next === undefined) break;
    node = next.value;
  }
  return (node as YamlNode | null) ?? null;
}

/** The map entry (key and value) for the last segment of `path`, when it exists. */
export function pairAt(doc: Document.Parsed, path: NodePath): Pair<YamlNode, YamlNode | null> | undefined {
  if (path.length === 0) return undefined;
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path[path.length - 1] as string | number;
  if (!isMap(parent)) return undefined;
  return parent.items.find((item) => isPair(item) && keyText(item.key) === String(last)) as
    Pair<YamlNode, YamlNode | null> | undefined;
}

function childOf(node: unknown, segment: string | number): { value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => keyText(item.key) === String(segment));
    return pair ? { value: pair.value ?? pair.key } : undefined;
  }
  if (isSeq(node) && typeof segment === "number") {
    const item: unknown = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** Where a node starts; 1:1 when there is no node. */
export function nodeLocation(parsed: ParsedFleetText, node: YamlNode | null | undefined): SourceLocation {
  const start = node?.range?.[0];
  return start === undefined ? { file: parsed.file, line: 1, column: 1 } : locationAt(parsed, start);
}

/** Where the value at `path` is written (or the nearest enclosing node). */
export function locate(parsed: ParsedFleetText, path: NodePath): SourceLocation {
  return nodeLocation(parsed, nodeAt(parsed.doc, path));
}

/** Where the key of the entry at `path` is written (falls back to the value's location). */
export function locateKey(parsed: ParsedFleetText, path: NodePath): SourceLocation {
  const pair = pairAt(parsed.doc, path);
  if (pair && isScalar(pair.key)) return nodeLocation(parsed, pair.key);
  return locate(parsed, path);
}

/** The source text of a scalar at `path` (e.g. `1.0`), for messages such as "quote it". */
export function scalarSource(parsed: ParsedFleetText, path: NodePath): string | undefined {
  const node = nodeAt(parsed.doc, path);
  if (!isScalar(node) || !node.range) return undefined;
  const token = node.srcToken;
  if (token && "source" in token && typeof token.source === "string") return token.source;
  return undefined;
}

/** "instances[0].spec.image" for messages. */
export function formatPath(path: NodePath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text === "" ? "the fleet file" : text;
}
