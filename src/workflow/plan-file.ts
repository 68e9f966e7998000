import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { schemaFileUrl } from "../config/schema-files.js";
import { ReformError } from "../model/errors.js";
import type { Plan } from "../model/plan.js";
import { PLAN_FORMAT_VERSION } from "../model/plan.js";
import type { PlanDocument } from "../render/plan-document.js";
import { fromPlanDocument } from "../render/plan-document.js";

let validator: ValidateFunction | undefined;
// ajv-formats is CommonJS: its default import is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function validatePlan(): ValidateFunction {
  // Formats checked (date-time), and no logger: the library never prints.
  validator ??= addFormats(new Ajv2020({ allErrors: true, strict: false, logger: false })).compile(
    JSON.parse(readFileSync(schemaFileUrl("plan.schema.json"), "utf8")) as object,
  );
  return validator;
}

/** Reads a saved plan; a corrupted, hand-edited or foreign file is refused with what is wrong and where. */
export async function readPlanFile(path: string): Promise<{ readonly plan: Plan; readonly document: PlanDocument }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ReformError(
      "USAGE",
      `cannot read plan file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parsePlanText(text, path);
}

export function parsePlanText(text: string, path: string): { readonly plan: Plan; readonly document: PlanDocument } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ReformError(
      "PLAN_INVALID",
      `${path} is not a reform plan: invalid JSON at ${jsonErrorPosition(text, error)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parsePlanDocument(data, path);
}

/**
 * A plan document as parsed JSON (from a file, a database, an artifact store), checked: its `format_version` must be
 * this reform's, and it must match `schemas/plan.schema.json`. `name` says where it came from in the errors.
 */
export function parsePlanDocument(
  data: unknown,
  name: string,
): { readonly plan: Plan; readonly document: PlanDocument } {
  const version = (data as { format_version?: unknown } | null)?.format_version;
  if (typeof data === "object" && data !== null && version !== undefined && version !== PLAN_FORMAT_VERSION) {
    throw new ReformError(
      "PLAN_INVALID",
      `${name} has plan format_version ${JSON.stringify(version)}; this reform reads ${PLAN_FORMAT_VERSION} only: make the plan again with this reform (reform plan --out FILE)`,
    );
  }
  const validate = validatePlan();
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `  ${e.instancePath || "/"}: ${describeSchemaError(e)}`);
    throw new ReformError(
      "PLAN_INVALID",
      `${name} is not a valid reform plan (corrupted or edited by hand):\n${problems.join("\n")}`,
    );
  }
  const document = data as PlanDocument;
  return { plan: fromPlanDocument(document), document };
}

/** "line L, column C" of a JSON.parse failure: from V8's "at position N", the end for a truncated text, else the first character. */
function jsonErrorPosition(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : Math.max(0, text.search(/\S/));
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** One schema violation in words: ajv's message and the values allowed. */
export function describeSchemaError(e: ErrorObject): string {
  const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
  return `${e.message ?? "invalid"}${allowed ? ` (${allowed.map((v) => JSON.stringify(v)).join(", ")})` : ""}`;
}
