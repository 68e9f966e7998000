import { canonicalJson } from "../model/canonical-json.js";
import type { PlanDocument } from "./plan-document.js";

/** The plan document as JSON: keys sorted at every level, 2-space indentation: the same plan always gives the same bytes. */
export function renderPlanJson(doc: PlanDocument): string {
  return canonicalJson(doc, 2);
}
