import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { parseDuration } from "./duration.js";

/** A problem in a world file, located as `file:line:col: what is wrong`. */
export class WorldFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorldFileError";
  }
}

export interface MapEntry {
  readonly key: unknown;
  readonly value: unknown;
}

/** Reads YAML nodes with their source positions; every failure names file:line:col. */
export class YamlReader {
  readonly #file: string;
  readonly #lines: LineCounter;

  private constructor(file: string, lines: LineCounter) {
    this.#file = file;
    this.#lines = lines;
  }

  /** Parses `text`; syntax errors are thrown located. Returns the reader and the root node. */
  static parse(text: string, file: string): { reader: YamlReader; root: unknown } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new WorldFileError(`${where}: invalid YAML: ${first.message.split("\n")[0] ?? ""}`);
    }
    return { reader: new YamlReader(file, lines), root: doc.contents };
  }

  where(node: unknown): string {
    const range = isNode(node) ? node.range : undefined;
    if (!range) return `${this.#file}:1:1`;
    const pos = this.#lines.linePos(range[0]);
    return `${this.#file}:${pos.line}:${pos.col}`;
  }

  fail(node: unknown, message: string): never {
    throw new WorldFileError(`${this.where(node)}: ${message}`);
  }

  /** A mapping's entries by key; a key not in `allowed` is an error (almost always a typo). */
  entries(node: unknown, what: string, allowed: readonly string[]): Map<string, MapEntry> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping`);
    const result = new Map<string, MapEntry>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) this.fail(pair.key, `${what}: keys must be plain strings`);
      if (!allowed.includes(key))
        this.fail(pair.key, `${what}: unknown key "${key}" (expected one of: ${allowed.join(", ")})`);
      result.set(key, { key: pair.key, value: pair.value });
    }
    return result;
  }

  require(entries: Map<string, MapEntry>, key: string, node: unknown, what: string): MapEntry {
    const entry = entries.get(key);
    if (!entry) this.fail(node, `${what}: missing required key "${key}"`);
    return entry;
  }

  list(node: unknown, what: string): readonly unknown[] {
    if (!isSeq(node)) this.fail(node, `${what} must be a list`);
    return node.items;
  }

  string(node: unknown, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === "object")
      this.fail(node, `${what} must be a string`);
    return String(node.value);
  }

  nullableString(node: unknown, what: string): string | null {
    if (isScalar(node) && node.value === null) return null;
    return this.string(node, what);
  }

  boolean(node: unknown, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== "boolean") this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  integer(node: unknown, what: string): number {
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value))
      this.fail(node, `${what} must be a whole number`);
    return node.value;
  }

  duration(node: unknown, what: string): number {
    if (!isScalar(node) || (typeof node.value !== "string" && typeof node.value !== "number")) {
      this.fail(node, `${what} must be a duration such as 500ms, 2s or 1m`);
    }
    try {
      return parseDuration(node.value);
    } catch (error) {
      return this.fail(node, `${what}: ${(error as Error).message}`);
    }
  }

  /** The list under `key` of a section's entries (none when absent), each item parsed with its location `section.key[i]`. */
  sectionList<T>(
    entries: Map<string, MapEntry>,
    section: string,
    key: string,
    parse: (item: unknown, what: string) => T,
  ): T[] {
    const entry = entries.get(key);
    return entry
      ? this.list(entry.value, `${section}.${key}`).map((item, i) => parse(item, `${section}.${key}[${i}]`))
      : [];
  }

  /** An `{ accessKey, secretKey }` pair (the Huawei and JD worlds' credentials). */
  accessKeyPair(node: unknown, what: string): { accessKey: string; secretKey: string } {
    const c = this.entries(node, what, ["accessKey", "secretKey"]);
    return {
      accessKey: this.string(this.require(c, "accessKey", node, what).value, `${what}.accessKey`),
      secretKey: this.string(this.require(c, "secretKey", node, what).value, `${what}.secretKey`),
    };
  }

  stringList(node: unknown, what: string): string[] {
    return this.list(node, what).map((item, i) => this.string(item, `${what}[${i}]`));
  }

  /** A map of scalars; numbers and booleans become strings, as a cloud stores them. */
  stringMap(node: unknown, what: string): Record<string, string> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping of strings`);
    const result: Record<string, string> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : this.fail(pair.key, `${what}: keys must be strings`);
      result[key] = this.string(pair.value, `${what}.${key}`);
    }
    return result;
  }

  oneOf<T extends string>(node: unknown, what: string, values: readonly T[]): T {
    const text = this.string(node, what);
    if (!(values as readonly string[]).includes(text))
      this.fail(node, `${what} must be one of ${values.join(", ")}, not "${text}"`);
    return text as T;
  }
}
