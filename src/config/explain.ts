import type { ErrorObject } from "ajv/dist/2020.js";
import type { NodePath } from "./parse.js";
import { formatPath } from "./parse.js";
import { didYouMean } from "../model/suggest.js";

/** One readable problem: where (the value at `path`, or its key) and what. */
export interface Issue {
  readonly path: NodePath;
  readonly at: "value" | "key";
  readonly message: string;
}

type Schema = Readonly<Record<string, unknown>>;
type AjvError = ErrorObject<string, Record<string, unknown>, unknown>;

/**
 * Turns ajv's errors into one readable issue per problem: the fan-out of `oneOf`/`anyOf` is collapsed
 * into the branch the user evidently meant (or one message saying what was expected), a type error
 * hides the other errors at and below it, and `if` bookkeeping is dropped.
 * `sourceOf` gives the source text of a scalar (for "quote it" hints).
 */
export function explainErrors(errors: readonly AjvError[], sourceOf: (path: NodePath) => string | undefined): Issue[] {
  const collapsed = collapse(errors.filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames"));
  const typed = new Set(collapsed.filter(isTypeLike).map((e) => e.instancePath));
  const kept = collapsed.filter((e) => isTypeLike(e) || !coveredBy(e.instancePath, typed));
  return kept.map((e) => describe(e, sourceOf));
}

/** A wrong kind of value: nothing else said about it or inside it helps. */
function isTypeLike(e: AjvError): boolean {
  return e.keyword === "type" || e.keyword === "x-wrong-kind";
}

function coveredBy(path: string, typed: ReadonlySet<string>): boolean {
  for (const p of typed) if (path === p || path.startsWith(`${p}/`)) return true;
  return false;
}

function isComposite(e: AjvError): boolean {
  return e.keyword === "oneOf" || e.keyword === "anyOf";
}

/** Replaces each outermost oneOf/anyOf error and its branch errors by what they mean. */
function collapse(errors: readonly AjvError[]): AjvError[] {
  const composites = errors.filter(isComposite);
  const outer = composites.filter((c) => !composites.some((o) => o !== c && isUnder(c, o)));
  const rest = errors.filter((e) => !outer.some((c) => e === c || isUnder(e, c)));
  for (const composite of outer)
    rest.push(
      ...chooseBranch(
        composite,
        errors.filter((e) => isUnder(e, composite)),
      ),
    );
  return rest;
}

function isUnder(e: AjvError, composite: AjvError): boolean {
  return (
    e.schemaPath.startsWith(`${composite.schemaPath}/`) &&
    (e.instancePath === composite.instancePath || e.instancePath.startsWith(`${composite.instancePath}/`))
  );
}

function chooseBranch(composite: AjvError, inner: readonly AjvError[]): AjvError[] {
  const branches = (Array.isArray(composite.schema) ? composite.schema : []) as Schema[];
  const data = composite.data;
  const candidates = branches.map((_, i) => i).filter((i) => accepts(branches[i] as Schema, data));
  const synthetic = (message: string, keyword = "x-synthetic"): AjvError[] => [{ ...composite, keyword, message }];
  const expected = expectedText(composite.parentSchema as Schema | undefined, branches);
  if (candidates.length === 0)
    return synthetic(`expected ${expected}, got ${describeValue(data, undefined)}`, "x-wrong-kind");
  let chosen = candidates;
  if (isPlainObject(data)) {
    const present = candidates.filter((i) => requiredOf(branches[i] as Schema).every((key) => key in data));
    const keys = unique(candidates.flatMap((i) => requiredOf(branches[i] as Schema)));
    if (present.length > 1)
      return synthetic(
        `use only one of ${quoteList(unique(present.flatMap((i) => requiredOf(branches[i] as Schema))))}`,
      );
    if (present.length === 0 && keys.length > 0)
      return synthetic(`missing key: expected exactly one of ${quoteList(keys)}`);
    chosen = present.length > 0 ? present : candidates;
  }
  if (chosen.length !== 1) return synthetic(`expected ${expected}, got ${describeValue(data, undefined)}`);
  const branchPath = `${composite.schemaPath}/${chosen[0]}`;
  const own = inner
    .filter((e) => e.schemaPath === branchPath || e.schemaPath.startsWith(`${branchPath}/`))
    .map((e) => inheritExpected(e, composite));
  return own.length > 0 ? collapse(own) : synthetic(`expected ${expected}`);
}

/** A branch error about the composite's own value says what the composite expects, unless it says better. */
function inheritExpected(e: AjvError, composite: AjvError): AjvError {
  const custom = (composite.parentSchema as Schema | undefined)?.["x-expected"];
  const own = e.parentSchema as Schema | undefined;
  if (
    e.instancePath !== composite.instancePath ||
    typeof custom !== "string" ||
    typeof own?.["x-expected"] === "string"
  )
    return e;
  return { ...e, parentSchema: { ...own, "x-expected": custom } };
}

function accepts(branch: Schema, data: unknown): boolean {
  if ("const" in branch) return branch["const"] === data;
  const type = branch["type"];
  if (type === undefined) return true;
  const types = Array.isArray(type) ? (type as string[]) : [type as string];
  return types.some((t) => jsonTypeMatches(t, data));
}

function jsonTypeMatches(type: string, data: unknown): boolean {
  switch (type) {
    case "null":
      return data === null;
    case "integer":
      return Number.isInteger(data);
    case "number":
      return typeof data === "number";
    case "string":
      return typeof data === "string";
    case "boolean":
      return typeof data === "boolean";
    case "array":
      return Array.isArray(data);
    case "object":
      return isPlainObject(data);
    default:
      return false;
  }
}

function requiredOf(schema: Schema): string[] {
  const required = schema["required"];
  return Array.isArray(required) ? (required as string[]) : [];
}

function expectedText(parent: Schema | undefined, branches: readonly Schema[]): string {
  const custom = parent?.["x-expected"];
  if (typeof custom === "string") return custom;
  return branches.map((b) => typePhrase(b["type"])).join(" or ");
}

/** The readable message for one (non-composite) ajv error. */
function describe(e: AjvError, sourceOf: (path: NodePath) => string | undefined): Issue {
  const path = pointerToPath(e.instancePath);
  const label = formatPath(path);
  const parent = (e.parentSchema ?? {}) as Schema;
  const custom = typeof parent["x-expected"] === "string" ? (parent["x-expected"] as string) : undefined;
  const value: Issue = { path, at: "value", message: "" };
  switch (e.keyword) {
    case "x-synthetic":
    case "x-wrong-kind":
      return { ...value, message: `${label}: ${e.message ?? "invalid value"}` };
    case "additionalProperties":
      return unknownKey(path, String(e.params["additionalProperty"]), parent);
    case "required":
      return {
        ...value,
        message: `missing required key '${String(e.params["missingProperty"])}' in ${contextName(path)}`,
      };
    case "type":
      return { ...value, message: typeMessage(path, label, custom ?? typePhrase(e.params["type"]), e, sourceOf) };
    case "enum":
    case "const": {
      const allowed = (
        e.keyword === "enum" ? (e.params["allowedValues"] as unknown[]) : [e.params["allowedValue"]]
      ).map(String);
      return {
        ...value,
        message: `${label}: expected one of ${allowed.join(", ")}, got ${describeValue(e.data, sourceOf(path), true)}${typeof e.data === "string" ? didYouMean(e.data, allowed) : ""}`,
      };
    }
    default:
      return propertyNameOrOther(e, value, label, custom);
  }
}

function propertyNameOrOther(e: AjvError, value: Issue, label: string, custom: string | undefined): Issue {
  const propertyName = e.params["propertyName"] ?? (e as { propertyName?: string }).propertyName;
  if (typeof propertyName === "string") {
    return {
      path: [...value.path, propertyName],
      at: "key",
      message: `invalid key '${propertyName}' in ${contextName(value.path)}: expected ${custom ?? e.message ?? "a valid key"}`,
    };
  }
  switch (e.keyword) {
    case "pattern":
      return {
        ...value,
        message: `${label}: expected ${custom ?? `text matching ${String(e.params["pattern"])}`}, got ${describeValue(e.data, undefined, true)}`,
      };
    case "minLength":
      return {
        ...value,
        message: `${label}: ${e.params["limit"] === 1 ? "must not be empty" : `must be at least ${String(e.params["limit"])} characters`}`,
      };
    case "minProperties": {
      const keys = Object.keys((e.parentSchema as Schema | undefined)?.["properties"] ?? {});
      return {
        ...value,
        message: `${label}: expected ${custom ?? (keys.length > 0 ? `at least one of ${quoteList(keys)}` : "at least one entry")}`,
      };
    }
    default:
      return { ...value, message: `${label}: ${e.message ?? e.keyword}` };
  }
}

function unknownKey(path: NodePath, key: string, parent: Schema): Issue {
  const allowed = Object.keys((parent["properties"] as Schema | undefined) ?? {});
  const hints = (parent["x-key-hints"] ?? {}) as Readonly<Record<string, string>>;
  const hint = hints[key];
  const tail = hint !== undefined ? ` (${hint})` : didYouMean(key, allowed);
  return {
    path: [...path, key],
    at: "key",
    message: `unknown key '${key}' in ${contextName(path)}; expected one of ${allowed.join(", ")}${tail}`,
  };
}

function typeMessage(
  path: NodePath,
  label: string,
  expected: string,
  e: AjvError,
  sourceOf: (path: NodePath) => string | undefined,
): string {
  const data = e.data;
  if (path.length === 0 && data === null)
    return "the fleet file is empty: expected a mapping with providers, and instances or groups";
  const source = sourceOf(path);
  const base = `${label}: expected ${expected}, got ${describeValue(data, source)}`;
  const wantsString = String(e.params["type"]).split(",").includes("string");
  if (wantsString && (typeof data === "number" || typeof data === "boolean"))
    return `${base}; quote it: "${source ?? String(data)}"`;
  return base;
}

function typePhrase(type: unknown): string {
  const types = Array.isArray(type) ? (type as string[]) : typeof type === "string" ? type.split(",") : [];
  const words: Record<string, string> = {
    object: "a mapping",
    array: "a list",
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
    null: "null",
  };
  return types.map((t) => words[t] ?? t).join(" or ") || "a value";
}

/**
 * Describes a value for a message. Strings are quoted only where `quote` says so (enum-like fields):
 * elsewhere a string may be a secret (a literal password) or user_data, and is never echoed.
 */
function describeValue(data: unknown, source: string | undefined, quote = false): string {
  if (data === null) return "null";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  if (typeof data === "number") return `the number ${source ?? String(data)}`;
  if (typeof data === "boolean") return `${source ?? String(data)} (a boolean)`;
  if (typeof data === "string") return quote && data.length <= 64 && !/\s/.test(data) ? `'${data}'` : "a string";
  return String(data);
}

function contextName(path: NodePath): string {
  if (path.length === 0) return "the top level";
  const last = path[path.length - 1] as string | number;
  if (path.length === 2 && path[0] === "providers") return `provider '${String(last)}'`;
  if (typeof last === "number") return formatPath(path.slice(-2));
  return String(last);
}

/** "/instances/0/spec" → ["instances", 0, "spec"] (array indexes become numbers). */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function quoteList(keys: readonly string[]): string {
  return keys.map((k) => `'${k}'`).join(", ");
}
