import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Plan } from "../model/plan.js";
import { toPlanDocument } from "../render/plan-document.js";

/**
 * Writes the plan document atomically (temp file, then rename), readable only by its owner: a reader never sees half a
 * plan. Apart from plan-file.ts, which reads plans and loads the plan schema's validator (ajv) to do it: `reform plan
 * --out` writes without loading it.
 */
export async function savePlanFile(path: string, plan: Plan): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(toPlanDocument(plan), null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}
