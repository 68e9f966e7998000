import type { ComposedFleet } from "../import/compose.js";
import { composeFleet } from "../import/compose.js";
import { chooseImage, imageComment } from "../import/images.js";
import { renderImportedFleet } from "../import/render.js";
import { importServer } from "../import/server.js";
import type { ImageChoice, ImportedServer, LeftOutServer } from "../import/types.js";
import type { Clock } from "../model/clock.js";
import type { DesiredFleet, ImageRef, ProviderConfig } from "../model/desired.js";
import { ConfigError, ReformError } from "../model/errors.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ImageResolution, ProviderAdapter, ProviderCapabilities } from "../model/provider.js";
import { canonicalJson } from "../model/canonical-json.js";
import { globMatcher } from "../model/globs.js";
import { imageRefKey } from "./observe.js";
import { plan } from "./plan.js";

export interface ImportRequest {
  /** The fleet file named with `-c` (it may declare no servers): its providers are imported. */
  readonly fleet: DesiredFleet;
  /** Its text: the providers are copied from it as written. */
  readonly sourceText: string;
  /** Adapters of the providers to import (see `selectProviders`). */
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  /** Name globs (`--match`): only servers whose name matches one are imported. @default [] (every server) */
  readonly match?: readonly string[];
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Reads text as the fleet file at its destination, as `plan` will (validation, paths confined to its directory). */
  readonly load: (text: string) => Promise<DesiredFleet>;
  /** The source file and the command that checks the output, as the header names them. */
  readonly header: { readonly source: string; readonly check: string };
}

export interface ImportResult {
  /** The fleet file's text. */
  readonly text: string;
  /** That text, loaded at its destination. */
  readonly fleet: DesiredFleet;
  readonly composed: ComposedFleet;
  readonly leftOut: readonly LeftOutServer[];
  /** Servers with a value left out because it looks like a secret, and which fields. */
  readonly secrets: readonly { readonly address: string; readonly fields: readonly string[] }[];
}

interface ProviderReading {
  readonly provider: string;
  readonly capabilities: ProviderCapabilities;
  readonly servers: readonly ObservedInstance[];
}

/** Rounds of the self-check: each leaves out the servers the previous fleet would change. */
const CHECK_ROUNDS = 3;

/** The providers to import: those named (`--provider`, in the file's order), or all. Unknown names are an error. */
export function selectProviders(fleet: DesiredFleet, names: readonly string[]): ProviderConfig[] {
  const unknown = names.filter((n) => !fleet.providers.some((p) => p.name === n));
  if (unknown.length > 0) {
    const declared = fleet.providers.map((p) => p.name).join(", ");
    throw new ReformError(
      "USAGE",
      `unknown provider${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: ${fleet.file} declares ${declared}`,
    );
  }
  return fleet.providers.filter((p) => names.length === 0 || names.includes(p.name));
}

/**
 * `reform import`: reads every server of the providers (or those whose name matches `match`) in bulk, as plan does,
 * and writes the fleet file that describes them. Read-only: it never starts a step. Before returning, the text is
 * loaded as plan will load it and planned against what was read: a server it would change is left out with the
 * plan's reason, so that `reform plan` on the result has nothing to do.
 */
export async function importFleet(request: ImportRequest): Promise<ImportResult> {
  const readings = await readProviders(request);
  const selected = selectServers(readings, request.match ?? []);
  const images = await chooseImages(selected, request.adapters, request.signal);
  const imported: ImportedServer[] = [];
  const leftOut: LeftOutServer[] = [];
  for (const server of selected) {
    const result = importServer(server, {
      image: server.imageId === "" ? undefined : images.choices.get(server.provider)?.get(server.imageId),
    });
    if (result.type === "imported") imported.push(result.server);
    else leftOut.push(result.server);
  }
  const snapshot = snapshotAdapters(readings, request.adapters, images.resolutions);
  for (let round = 0; ; round++) {
    if (imported.length === 0) throw nothingToImport(readings, leftOut);
    const draft = draftFleet(request, readings, imported, leftOut, images.choices);
    const { fleet, moving } = await check(request, draft, snapshot);
    if (moving.length === 0)
      return { ...draft, fleet, leftOut: inOrder(leftOut, readings), secrets: secretsOf(inOrder(imported, readings)) };
    if (round + 1 >= CHECK_ROUNDS)
      throw new ReformError(
        "CONFIG_INVALID",
        `reform import could not write a fleet that plans no change (nothing written): ${moving.map((m) => `${m.server.provider}/${m.server.name}: ${m.reason}`).join("; ")}`,
      );
    for (const m of moving) {
      imported.splice(imported.indexOf(m.server), 1);
      leftOut.push({ provider: m.server.provider, id: m.server.id, name: m.server.name, reason: m.reason });
    }
  }
}

async function readProviders(request: ImportRequest): Promise<ProviderReading[]> {
  return Promise.all(
    [...request.adapters.entries()].map(async ([provider, adapter]) => {
      const [capabilities, servers] = await Promise.all([
        adapter.capabilities(request.signal),
        adapter.listInstances({ selectors: [] }, request.signal),
      ]);
      return { provider, capabilities, servers };
    }),
  );
}

/** The servers `--match` selects (all without it); a glob that selects none is an error. */
function selectServers(readings: readonly ProviderReading[], globs: readonly string[]): ObservedInstance[] {
  const all = readings.flatMap((r) => r.servers);
  if (globs.length === 0) return all;
  const unmatched = globs.filter((glob) => !all.some((s) => globMatcher([glob])(s.name)));
  if (unmatched.length > 0) {
    const providers = readings.map((r) => r.provider).join(", ");
    throw new ReformError(
      "USAGE",
      `--match ${unmatched.map((g) => `'${g}'`).join(", ")} matches no server of ${providers} (${all.length} servers read)`,
    );
  }
  const matches = globMatcher(globs);
  return all.filter((s) => matches(s.name));
}

interface Images {
  /** How each image is written, per provider and image id. */
  readonly choices: ReadonlyMap<string, ReadonlyMap<string, ImageChoice>>;
  /** Everything the image APIs said, per provider and ref: the self-check plans from it. */
  readonly resolutions: Map<string, Map<string, ImageResolution>>;
}

/** Each image id once, then each of their names once: an image is written by name when its name resolves to it. */
async function chooseImages(
  servers: readonly ObservedInstance[],
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
): Promise<Images> {
  const choices = new Map<string, Map<string, ImageChoice>>();
  const resolutions = new Map<string, Map<string, ImageResolution>>();
  for (const [provider, adapter] of adapters) {
    const ids = [
      ...new Set(servers.filter((s) => s.provider === provider && s.imageId !== "").map((s) => s.imageId)),
    ].sort();
    const byId =
      ids.length > 0
        ? await adapter.resolveImages(
            ids.map((id) => ({ id })),
            signal,
          )
        : [];
    const names = [
      ...new Set(byId.flatMap((r) => (r.result.type === "found" && r.result.name !== "" ? [r.result.name] : []))),
    ].sort();
    const byName =
      names.length > 0
        ? await adapter.resolveImages(
            names.map((name) => ({ name })),
            signal,
          )
        : [];
    const known = new Map([...byId, ...byName].map((r) => [imageRefKey(r.ref), r]));
    resolutions.set(provider, known);
    const lookup = (ref: ImageRef) => known.get(imageRefKey(ref))?.result;
    const choose = (id: string): ImageChoice => {
      const found = lookup({ id });
      return chooseImage(
        found,
        found?.type === "found" && found.name !== "" ? lookup({ name: found.name }) : undefined,
      );
    };
    choices.set(provider, new Map(ids.map((id) => [id, choose(id)])));
  }
  return { choices, resolutions };
}

interface Draft {
  readonly text: string;
  readonly composed: ComposedFleet;
  readonly leftOut: readonly LeftOutServer[];
}

function draftFleet(
  request: ImportRequest,
  readings: readonly ProviderReading[],
  imported: readonly ImportedServer[],
  leftOut: readonly LeftOutServer[],
  images: Images["choices"],
): Draft {
  const chosen = new Set(imported.map((s) => `${s.provider}\u0000${s.id}`));
  const composed = composeFleet(
    readings.map((r) => ({
      provider: r.provider,
      servers: imported.filter((s) => s.provider === r.provider),
      others: r.servers.filter((s) => !chosen.has(`${r.provider}\u0000${s.id}`)).map((s) => s.name),
    })),
  );
  const imageComments = new Map<string, string>();
  for (const byId of images.values())
    for (const [id, choice] of byId) {
      const comment = imageComment(choice);
      if (comment !== undefined) imageComments.set(id, comment);
    }
  const text = renderImportedFleet({
    sourceText: request.sourceText,
    providers: readings.map((r) => r.provider),
    fleet: composed,
    leftOut,
    imageComments,
    header: { ...request.header, ...latestChange(imported, readings) },
  });
  return { text, composed, leftOut };
}

/** The newest update time the clouds show for the imported servers: the state the file describes (no clock: same state, same bytes). */
function latestChange(imported: readonly ImportedServer[], readings: readonly ProviderReading[]): { asOf?: string } {
  const ids = new Set(imported.map((s) => `${s.provider}\u0000${s.id}`));
  let latest = Number.NEGATIVE_INFINITY;
  for (const r of readings)
    for (const s of r.servers)
      if (ids.has(`${r.provider}\u0000${s.id}`))
        latest = Math.max(latest, Date.parse(s.updatedAt) || Number.NEGATIVE_INFINITY);
  return Number.isFinite(latest) ? { asOf: new Date(latest).toISOString() } : {};
}

interface Checked {
  readonly fleet: DesiredFleet;
  /** Servers the draft would change, with the plan's reason. */
  readonly moving: readonly { readonly server: ImportedServer; readonly reason: string }[];
}

/** Loads the draft as plan will, and plans it against what was read (no request changes anything). */
async function check(
  request: ImportRequest,
  draft: Draft,
  snapshot: ReadonlyMap<string, ProviderAdapter>,
): Promise<Checked> {
  let fleet: DesiredFleet;
  try {
    fleet = await request.load(draft.text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const hint =
      "providers are copied as written, so a path in them is relative to the new file's directory: write it beside the file it was imported from";
    throw new ReformError(
      "CONFIG_INVALID",
      `the imported fleet would not load where it is to be written (nothing written): ${error.message}\n(${hint})`,
      { cause: error },
    );
  }
  checkProviderPaths(request.fleet, fleet);
  const planned = await plan({ fleet, adapters: snapshot, clock: request.clock, signal: request.signal }).catch(
    (error: unknown) => {
      if (!(error instanceof ConfigError)) throw error;
      throw new ReformError(
        "CONFIG_INVALID",
        `reform import composed a fleet that does not plan, a bug in reform (nothing written): ${error.message}`,
        { cause: error },
      );
    },
  );
  const members = new Map(
    [...draft.composed.groups, ...draft.composed.instances].flatMap((u) =>
      u.members.map((m) => [`${m.provider}\u0000${m.id}`, m] as const),
    ),
  );
  const moving = planned.plan.changes.flatMap((change) => {
    const server = change.action === "no-op" ? undefined : members.get(`${change.provider}\u0000${change.id}`);
    return server
      ? [
          {
            server,
            reason: `reform would plan ${change.action} for it: ${change.reasons.map((r) => r.message).join("; ")}`,
          },
        ]
      : [];
  });
  return { fleet, moving };
}

/**
 * Providers are copied as written, so paths in them (a sim world and state, a CA bundle) are relative to the new
 * file's directory: they must name the same files as from the source file, or plan would read another cloud.
 */
function checkProviderPaths(source: DesiredFleet, imported: DesiredFleet): void {
  const moved = imported.providers.filter(
    (p) => canonicalJson(p.options) !== canonicalJson(source.providers.find((s) => s.name === p.name)?.options),
  );
  if (moved.length === 0) return;
  throw new ReformError(
    "USAGE",
    `provider${moved.length > 1 ? "s" : ""} ${moved.map((p) => p.name).join(", ")} name${moved.length > 1 ? "" : "s"} files relative to ${source.file} (copied as written, they would name other files from ${imported.file}): write the imported file in the same directory (nothing written)`,
  );
}

/**
 * Adapters that answer from what import read (capabilities, servers, image lookups; an image ref not yet looked up is
 * asked of the cloud): the self-check plans the draft against the very state it describes, and changes nothing.
 */
function snapshotAdapters(
  readings: readonly ProviderReading[],
  adapters: ReadonlyMap<string, ProviderAdapter>,
  resolutions: Images["resolutions"],
): Map<string, ProviderAdapter> {
  const out = new Map<string, ProviderAdapter>();
  for (const reading of readings) {
    const real = adapters.get(reading.provider);
    if (!real) continue;
    const known = resolutions.get(reading.provider) ?? new Map<string, ImageResolution>();
    const readOnly = (what: string) => () =>
      Promise.reject(new TypeError(`reform import is read-only: ${what} was called`));
    out.set(reading.provider, {
      name: real.name,
      type: real.type,
      capabilities: () => Promise.resolve(reading.capabilities),
      listInstances: () => Promise.resolve(reading.servers),
      resolveImages: async (refs, signal) => {
        const missing = refs.filter((ref) => !known.has(imageRefKey(ref)));
        for (const r of missing.length > 0 ? await real.resolveImages(missing, signal) : [])
          known.set(imageRefKey(r.ref), r);
        return refs.flatMap((ref) => known.get(imageRefKey(ref)) ?? []);
      },
      findKeyPairs: (names, signal) => real.findKeyPairs(names, signal),
      startStep: readOnly("startStep"),
      pollOperations: readOnly("pollOperations"),
      endpoints: () => real.endpoints?.() ?? [],
      close: () => Promise.resolve(),
    });
  }
  return out;
}

function nothingToImport(readings: readonly ProviderReading[], leftOut: readonly LeftOutServer[]): ReformError {
  const providers = readings.map((r) => r.provider).join(", ");
  if (leftOut.length === 0)
    return new ReformError("USAGE", `nothing to import: ${providers} ha${readings.length > 1 ? "ve" : "s"} no servers`);
  const list = leftOut.map((s) => `  ${s.provider}/${s.name} (id ${s.id}): ${s.reason}`).join("\n");
  return new ReformError(
    "USAGE",
    `nothing to import: every server of ${providers} that was asked for is left out (nothing written):\n${list}`,
  );
}

/** By provider (in the file's order), name, then id: what the command lists comes out the same for the same clouds. */
function inOrder<T extends { readonly provider: string; readonly name: string; readonly id: string }>(
  servers: readonly T[],
  readings: readonly ProviderReading[],
): T[] {
  const order = new Map(readings.map((r, i) => [r.provider, i]));
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...servers].sort(
    (a, b) => (order.get(a.provider) ?? 0) - (order.get(b.provider) ?? 0) || text(a.name, b.name) || text(a.id, b.id),
  );
}

function secretsOf(servers: readonly ImportedServer[]): ImportResult["secrets"] {
  return servers.flatMap((s) => {
    const fields = s.notes.filter((n) => n.secret).map((n) => n.field);
    return fields.length > 0 ? [{ address: `${s.provider}/${s.name}`, fields }] : [];
  });
}
