/**
 * reform as a library: the CLI is a thin layer over these functions. The library never prints:
 * progress goes to the Reporter you pass, results come back as values.
 */
export { loadFleet, loadFleetText, resolveInstances, resolveSecret } from "./config/index.js";
export { plan } from "./workflow/plan.js";
export type { PlanRequest, PlanResult } from "./workflow/plan.js";
export { apply } from "./workflow/apply.js";
export { applySavedPlan, prepareSavedPlan } from "./workflow/apply-saved.js";
export type { SavedPlanApplyRequest, SavedPlanCheckRequest } from "./workflow/apply-saved.js";
export { parsePlanDocument, readPlanFile } from "./workflow/plan-file.js";
export { savePlanFile } from "./workflow/save-plan.js";
export { importFleet, selectProviders } from "./workflow/import.js";
export type { ImportRequest, ImportResult } from "./workflow/import.js";
export type { ApplyRequest } from "./workflow/apply.js";
export type { ApplyOptions } from "./apply/apply.js";
export { planInstance } from "./plan/plan-instance.js";
export type { PlanInstanceInput } from "./plan/plan-instance.js";
export { planFleet } from "./plan/plan-fleet.js";
export { toPlanDocument, fromPlanDocument } from "./render/plan-document.js";
export type { PlanDocument } from "./render/plan-document.js";
export { renderPlanText } from "./render/text.js";
export { renderPlanMarkdown } from "./render/markdown.js";
export { renderPlanJson } from "./render/json.js";
export { renderApplyReportText, toApplyReportDocument } from "./render/apply-report.js";
export { createAdapter, createAdapters } from "./providers/registry.js";
export { createOpenStackAdapter } from "./providers/openstack/adapter.js";
export { startEmulator, parseWorld, loadWorldFile } from "./emulator/index.js";
export type { Emulator, EmulatorOptions, World } from "./emulator/index.js";
export { systemClock } from "./runtime/clock.js";
export { probeGate } from "./runtime/gate-probe.js";
export { realPathOnDisk } from "./runtime/real-path.js";
export { openFileJournal } from "./runtime/journal-file.js";
export * from "./model/index.js";
export { VERSION } from "./version.js";
