import { readFile } from "node:fs/promises";
import { schemaFileUrl } from "../../config/schema-files.js";
import { ReformError } from "../../model/errors.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";

const SCHEMAS = { fleet: "fleet.schema.json", plan: "plan.schema.json" } as const;

/** Prints a published JSON Schema (for editors and other tools). */
export async function schemaCommand(io: CliIo, which: string): Promise<number> {
  if (which !== "fleet" && which !== "plan")
    throw new ReformError("USAGE", `unknown schema "${which}": expected fleet or plan`);
  const text = await readFile(schemaFileUrl(SCHEMAS[which]), "utf8");
  io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  return EXIT.ok;
}
