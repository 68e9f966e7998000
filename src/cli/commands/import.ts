import { lstat } from "node:fs/promises";
import { resolve } from "node:path";
import { loadFleetText } from "../../config/load.js";
import { ReformError } from "../../model/errors.js";
import { decodeUtf8 } from "../../model/user-data.js";
import { writeOutputFile } from "../../runtime/output-file.js";
import type { ImportResult } from "../../workflow/import.js";
import { importFleet, selectProviders } from "../../workflow/import.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { useColor } from "../io.js";
import { renderPlanAs } from "../render.js";
import type { FleetAccessOptions, Session } from "../session.js";
import { fleetDeps, loadConfig, openSession } from "../session.js";
import { execute } from "./apply.js";
import type { BackendOptions } from "../backend.js";
import { withBackendLock } from "../backend.js";
import { planWithSession } from "./plan.js";

export interface ImportCommandOptions extends FleetAccessOptions, BackendOptions {
  readonly config: string;
  /** `--provider`: only these providers. @default [] (all) */
  readonly provider: readonly string[];
  /** `--match`: only servers whose name matches one of these globs. @default [] (all) */
  readonly match: readonly string[];
  /** Where the fleet file goes. @default undefined: stdout */
  readonly out?: string;
  readonly force: boolean;
  readonly adopt: boolean;
  readonly color?: boolean;
  readonly debug: boolean;
}

/** `reform import`: the fleet file for the servers that exist. Read-only unless `--adopt`. */
export async function importCommand(io: CliIo, options: ImportCommandOptions, signal: AbortSignal): Promise<number> {
  const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
  if (options.adopt && out === undefined)
    throw new ReformError(
      "USAGE",
      "--adopt needs --out: the annotations it records describe a fleet file that is kept",
    );
  if (out !== undefined && !options.force && (await exists(out)))
    throw new ReformError("USAGE", `${options.out} exists: pass --force to overwrite it (nothing written)`);
  const file = resolve(io.cwd, options.config);
  const source = await loadConfig(io, options.config, options, { allowEmpty: true });
  const fleet = { ...source, providers: selectProviders(source, options.provider) };
  const sourceText = decodeUtf8(await io.readFile(file)) ?? "";
  const session = await openSession(io, fleet, options);
  try {
    const result = await importFleet({
      fleet,
      sourceText,
      adapters: session.adapters,
      match: options.match,
      clock: io.clock,
      signal,
      load: (text) => loadFleetText(text, out ?? file, fleetDeps(io, options)),
      header: { source: options.config, check: checkCommand(options) },
    });
    if (out !== undefined) await writeOutputFile(out, result.text, { force: options.force });
    else io.stdout.write(result.text);
    (out !== undefined ? io.stdout : io.stderr).write(summary(result, options));
    if (!options.adopt) return EXIT.ok;
    return await adopt(io, { ...session, fleet: result.fleet }, options, signal);
  } finally {
    await session.close();
  }
}

/**
 * `--adopt`: what `apply --adopt` does, on the file just written: annotations recorded, servers untouched. Refused
 * when a server would need more than that (it changed since import read it).
 */
async function adopt(io: CliIo, session: Session, options: ImportCommandOptions, signal: AbortSignal): Promise<number> {
  return withBackendLock(io, session.fleet, options, async (lock) => {
    const planned = await planWithSession(io, session, { target: [], adopt: true, checkInputs: true }, signal);
    const moved = planned.plan.changes.filter((c) => c.action !== "adopt" && c.action !== "no-op");
    if (moved.length > 0) {
      const list = moved.map((c) => `${c.address} (${c.action})`).join(", ");
      throw new ReformError(
        "PLAN_STALE",
        `nothing adopted: ${list} changed since import read ${moved.length === 1 ? "it" : "them"}; the file is written: run import again with --force`,
      );
    }
    io.stdout.write(`\nAdopting: recording reform's annotations on the imported servers (nothing else changes).\n`);
    io.stdout.write(
      renderPlanAs(planned.plan, "text", { color: useColor(io, options.color), width: io.stdout.columns ?? 100 }),
    );
    if (!planned.plan.changes.some((c) => c.action === "adopt")) return EXIT.ok;
    const applyOptions = {
      config: options.out ?? "",
      configGiven: true,
      autoApprove: true,
      output: "text" as const,
      target: [],
      adopt: true,
      debug: options.debug,
      ...(options.color !== undefined ? { color: options.color } : {}),
    };
    return execute(io, session, lock, planned, applyOptions, signal);
  });
}

/** The command that checks the written file, with the pipeline's own widening of what a fleet file may reach. */
function checkCommand(options: ImportCommandOptions): string {
  const access = [
    ...(options.root !== undefined ? ["--root", options.root] : []),
    ...(options.allowEnv ?? []).flatMap((name) => ["--allow-env", name]),
    ...(options.allowEndpoint ?? []).flatMap((url) => ["--allow-endpoint", url]),
  ];
  return ["reform plan -c", options.out ?? "FILE", "--detailed-exitcode", ...access].join(" ");
}

function summary(result: ImportResult, options: ImportCommandOptions): string {
  const { composed, leftOut, secrets } = result;
  const servers = composed.groups.reduce((n, g) => n + g.members.length, 0) + composed.instances.length;
  const defaults = Object.keys(composed.defaults);
  const lines = [
    `Imported ${count(servers, "server")} of ${result.fleet.providers.map((p) => p.name).join(", ")}${options.out !== undefined ? ` into ${options.out}` : ""}: ${count(composed.groups.length, "group")}, ${count(composed.instances.length, "instance")}${defaults.length > 0 ? `, defaults for ${defaults.join(", ")}` : ""}.`,
  ];
  if (leftOut.length > 0)
    lines.push(
      `Left out ${count(leftOut.length, "server")} the file cannot express (listed at its end):`,
      ...leftOut.map((s) => `  ${s.provider}/${s.name}: ${s.reason}`),
    );
  if (secrets.length > 0)
    lines.push(
      `Not written, because they look like secrets (so reform does not manage them):`,
      ...secrets.map((s) => `  ${s.address}: ${s.fields.join(", ")}`),
    );
  lines.push(`Check it: ${checkCommand(options)}   (exit 0: nothing would change)`);
  return `${lines.join("\n")}\n`;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
