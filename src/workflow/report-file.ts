import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { ReformError } from "../model/errors.js";
import type { ApplyReportDocument } from "../render/apply-report.js";
import type { DriftDocument } from "../render/drift.js";
import { DRIFT_FORMAT_VERSION } from "../render/drift.js";
import { DRIFT_STATUSES } from "../model/drift.js";
import type { PlanDocument } from "../render/plan-document.js";
import { describeSchemaError, parsePlanText } from "./plan-file.js";

/** What `reform show` reads: a saved plan, or the JSON report of `reform apply` or `reform drift`. */
export type ShowableFile =
  | { readonly type: "plan"; readonly document: PlanDocument }
  | { readonly type: "apply-report"; readonly document: ApplyReportDocument }
  | { readonly type: "drift-report"; readonly document: DriftDocument };

type ReportType = Exclude<ShowableFile["type"], "plan">;

const COUNT = { type: "integer", minimum: 0 } as const;
const STRING = { type: "string" } as const;
const STRINGS = { type: "array", items: STRING } as const;

/** The apply report document (render/apply-report.ts), as far as rendering it relies on. */
const APPLY_REPORT_SCHEMA = {
  type: "object",
  required: ["format_version", "started_at", "finished_at", "summary", "results"],
  properties: {
    format_version: { const: "1.0" },
    started_at: STRING,
    finished_at: STRING,
    summary: {
      type: "object",
      required: ["converged", "failed", "skipped"],
      properties: { converged: COUNT, failed: COUNT, skipped: COUNT },
    },
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["address", "id", "action", "result", "steps", "duration_ms"],
        properties: {
          address: STRING,
          id: STRING,
          action: STRING,
          steps: STRINGS,
          duration_ms: { type: "number", minimum: 0 },
          result: {
            type: "object",
            required: ["type"],
            properties: {
              type: { enum: ["converged", "failed", "skipped", "rolled-back"] },
              why: STRING,
              step: STRING,
              request_id: STRING,
            },
            if: { properties: { type: { enum: ["failed", "skipped", "rolled-back"] } } },
            then: { required: ["why"] },
          },
        },
      },
    },
  },
} as const;

/** The drift report document (render/drift.ts), as far as rendering it relies on. */
const DRIFT_REPORT_SCHEMA = {
  type: "object",
  required: ["format_version", "created_at", "config", "summary", "ignore", "servers"],
  properties: {
    format_version: { const: DRIFT_FORMAT_VERSION },
    created_at: STRING,
    config: { type: "object", required: ["file"], properties: { file: STRING } },
    summary: {
      type: "object",
      required: [...DRIFT_STATUSES],
      properties: Object.fromEntries(DRIFT_STATUSES.map((s) => [s, COUNT])),
    },
    ignore: STRINGS,
    servers: {
      type: "array",
      items: {
        type: "object",
        required: ["address", "id", "status", "reason", "action", "fields", "ignored_fields"],
        properties: {
          address: STRING,
          id: STRING,
          status: { enum: [...DRIFT_STATUSES] },
          reason: STRING,
          action: STRING,
          fields: {
            type: "array",
            items: {
              type: "object",
              required: ["path", "sensitive"],
              properties: { path: STRING, sensitive: { type: "boolean" } },
            },
          },
          ignored_fields: STRINGS,
        },
      },
    },
  },
} as const;

const REPORTS: Readonly<Record<ReportType, { readonly what: string; readonly schema: object }>> = {
  "apply-report": { what: "an apply report (`reform apply --output json`)", schema: APPLY_REPORT_SCHEMA },
  "drift-report": { what: "a drift report (`reform drift --output json`)", schema: DRIFT_REPORT_SCHEMA },
};

const validators = new Map<ReportType, ValidateFunction>();

function validatorFor(type: ReportType): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    validate = new Ajv2020({ allErrors: true, strict: false, logger: false }).compile(REPORTS[type].schema);
    validators.set(type, validate);
  }
  return validate;
}

/** Reads what `reform show` was given. A plan is checked as `apply PLANFILE` checks it; a report is recognized by its fields. */
export async function readShowableFile(path: string): Promise<ShowableFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ReformError("USAGE", `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseShowableText(text, path);
}

export function parseShowableText(text: string, path: string): ShowableFile {
  const type = reportType(text);
  if (type === undefined) return { type: "plan", document: parsePlanText(text, path).document };
  const data = JSON.parse(text) as unknown;
  const validate = validatorFor(type);
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `  ${e.instancePath || "/"}: ${describeSchemaError(e)}`);
    throw new ReformError(
      "PLAN_INVALID",
      `${path} is ${REPORTS[type].what}, but not one reform can read (corrupted or edited by hand):\n${problems.join("\n")}`,
    );
  }
  return type === "apply-report"
    ? { type, document: data as ApplyReportDocument }
    : { type, document: data as DriftDocument };
}

/** Which report the text is, by the fields only that report has; undefined for anything else (a plan, or not JSON). */
function reportType(text: string): ReportType | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data) || "changes" in data) return undefined;
  if ("results" in data && "started_at" in data) return "apply-report";
  if ("servers" in data && "ignore" in data) return "drift-report";
  return undefined;
}

/** What the file is, for people: "a drift report (`reform drift --output json`)". */
export function describeReportType(type: ReportType): string {
  return REPORTS[type].what;
}
