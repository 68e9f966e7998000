import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { Diagnostic } from "../model/errors.js";
import { explainErrors } from "./explain.js";
import type { Issue } from "./explain.js";
import type { ParsedFleetText } from "./parse.js";
import { locate, locateKey, scalarSource } from "./parse.js";
import { validateFleetData } from "./fleet-validator.generated.js";

/**
 * The fleet schema compiled ahead of time (draft 2020-12, strict, all errors, with the data and schema of each
 * error): ajv's standalone code, generated from schemas/fleet.schema.json by scripts/compile-validators.js when
 * reform is built, so a run neither loads ajv nor compiles the schema.
 */
export function fleetValidator(): ValidateFunction {
  return validateFleetData as unknown as ValidateFunction;
}

/** Validates the (interpolated) fleet data; every problem is a diagnostic located in the YAML source. */
export function validateFleet(data: unknown, parsed: ParsedFleetText): Diagnostic[] {
  const validate = fleetValidator();
  if (validate(data)) return [];
  const issues = explainErrors((validate.errors ?? []) as ErrorObject[], (path) => scalarSource(parsed, path));
  return sortDiagnostics(dedupe(issues).map((issue) => toDiagnostic(issue, parsed)));
}

function toDiagnostic(issue: Issue, parsed: ParsedFleetText): Diagnostic {
  const location = issue.at === "key" ? locateKey(parsed, issue.path) : locate(parsed, issue.path);
  return { location, message: issue.message };
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.join("/")}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** In source order (unlocated ones last), so a long list reads top to bottom. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic) =>
    d.location ? d.location.line * 1_000_000 + d.location.column : Number.MAX_SAFE_INTEGER;
  return [...diagnostics].sort((a, b) => rank(a) - rank(b));
}
