import type { ApiResponse } from "../http.js";
import { EncodedJson } from "../http.js";
import { novaStatus } from "./lifecycle.js";
import { atLeast } from "./microversion.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { json, NovaError } from "./nova-common.js";
import { serverListEntry, summaryView, variantOf } from "./nova-view.js";
import type { ServerState } from "./state-types.js";
import { microsOf } from "./time.js";

export const MAX_LIMIT = 1000;

const KNOWN_QUERY = new Set([
  "limit",
  "marker",
  "name",
  "status",
  "image",
  "flavor",
  "changes-since",
  "changes-before",
  "ip",
  "ip6",
  "reservation_id",
  "all_tenants",
  "sort_key",
  "sort_dir",
  "tags",
  "tags-any",
  "not-tags",
  "not-tags-any",
  "key_name",
  "locked",
  "deleted",
  "host",
  "node",
  "hostname",
  "project_id",
  "tenant_id",
  "user_id",
  "availability_zone",
  "config_drive",
  "created_at",
  "launched_at",
  "terminated_at",
  "power_state",
  "task_state",
  "vm_state",
  "progress",
  "uuid",
  "description",
  "soft_deleted",
]);
const STATUSES = new Set([
  "ACTIVE",
  "BUILD",
  "DELETED",
  "ERROR",
  "HARD_REBOOT",
  "MIGRATING",
  "PASSWORD",
  "PAUSED",
  "REBOOT",
  "REBUILD",
  "RESCUE",
  "RESIZE",
  "REVERT_RESIZE",
  "SHELVED",
  "SHELVED_OFFLOADED",
  "SHUTOFF",
  "SOFT_DELETED",
  "SUSPENDED",
  "UNKNOWN",
  "VERIFY_RESIZE",
]);
const SORT_KEYS: Readonly<Record<string, (s: ServerState) => string>> = {
  created_at: (s) => s.created,
  updated_at: (s) => s.updated,
  display_name: (s) => s.name,
  uuid: (s) => s.id,
  vm_state: (s) => s.vmState,
  task_state: (s) => s.taskState ?? "",
  launched_at: (s) => s.launchedAt ?? "",
};

type Filter = (s: ServerState) => boolean;

function badQuery(name: string, value: string, detail: string): NovaError {
  return new NovaError(400, `Invalid input for query parameters ${name}. Value: ${value}. ${detail}`);
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  }
}

/** Characters with a meaning in a pattern; escaped, each stands for itself (as do `\\-` and `\\/`). */
const SPECIAL = new Set([..."\\^$.*+?()[]{}|"]);
const ESCAPABLE = new Set([...SPECIAL, "-", "/"]);

/**
 * The names an anchored alternation of literal names matches (`^(web\-1|web\-2)$`, what a client polling servers
 * by name sends), or undefined for any other pattern. A set lookup answers the same as the regex: a large window's
 * poll is several such patterns over every server of the project.
 */
export function exactNames(pattern: string): Set<string> | undefined {
  if (!pattern.startsWith("^(") || !pattern.endsWith(")$")) return undefined;
  const names = new Set<string>();
  let name = "";
  const body = pattern.slice(2, -2);
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === "\\") {
      const next = body[++i];
      if (next === undefined || !ESCAPABLE.has(next)) return undefined;
      name += next;
    } else if (c === "|") {
      names.add(name);
      name = "";
    } else if (SPECIAL.has(c)) return undefined;
    else name += c;
  }
  names.add(name);
  return names;
}

/** The filters of a list request; unknown parameters are 400 from 2.75 and ignored before. */
function filters(call: NovaCall): Filter[] {
  const q = call.req.query;
  const out: Filter[] = [];
  for (const key of q.keys())
    if (!KNOWN_QUERY.has(key) && atLeast(call.version, 75))
      throw badQuery(key, q.get(key) ?? "", `Additional properties are not allowed ('${key}' was unexpected)`);
  if (!(q.get("all_tenants") !== null && call.principal.isAdmin))
    out.push((s) => s.projectId === call.principal.projectId);
  const name = q.get("name");
  if (name !== null) {
    const exact = exactNames(name);
    const pattern = regex(name);
    out.push(exact ? (s) => exact.has(s.name) : (s) => pattern.test(s.name));
  }
  const statuses = q.getAll("status").map((s) => s.toUpperCase());
  if (statuses.length > 0) {
    if (atLeast(call.version, 38) && statuses.some((s) => !STATUSES.has(s)))
      throw new NovaError(400, `Invalid status value`);
    out.push((s) => statuses.includes(novaStatus(s.vmState, s.taskState)));
  }
  const image = q.get("image");
  if (image !== null) out.push((s) => s.imageId === image.split("/").pop());
  const flavor = q.get("flavor");
  if (flavor !== null) out.push((s) => s.flavorId === flavor.split("/").pop());
  const keyName = q.get("key_name");
  if (keyName !== null && (call.principal.isAdmin || atLeast(call.version, 83))) out.push((s) => s.keyPair === keyName);
  const ip = q.get("ip");
  if (ip !== null) {
    const pattern = regex(ip);
    out.push((s) => pattern.test(s.address));
  }
  const locked = q.get("locked");
  if (locked !== null && atLeast(call.version, 73)) out.push((s) => s.locked === (locked.toLowerCase() === "true"));
  out.push(...timeFilters(call));
  return out;
}

function timeFilters(call: NovaCall): Filter[] {
  const out: Filter[] = [];
  for (const [key, since] of [
    ["changes-since", true],
    ["changes-before", false],
  ] as const) {
    const value = call.req.query.get(key);
    if (value === null) continue;
    const micros = microsOf(value.replace(" ", "T").replace(/\+00:00$/, "Z"));
    if (Number.isNaN(micros)) throw badQuery(key, value, `'${value}' is not a 'date-time'`);
    out.push(since ? (s) => microsOf(s.updated) >= micros : (s) => microsOf(s.updated) <= micros);
  }
  return out;
}

function limitOf(call: NovaCall): number {
  const text = call.req.query.get("limit");
  if (text === null) return MAX_LIMIT;
  if (!/^\d+$/.test(text)) throw badQuery("limit", text, `'${text}' does not match '^[0-9]*$'`);
  return Math.min(Number(text), MAX_LIMIT);
}

/** GET /servers and /servers/detail: filters, marker/limit pagination and a `next` link when the page is full. */
export function listServers(ctx: NovaContext, call: NovaCall, detail: boolean): ApiResponse {
  const limit = limitOf(call);
  const marker = call.req.query.get("marker") ?? undefined;
  const checks = filters(call);
  const matches = (s: ServerState) => checks.every((check) => check(s));
  if (marker !== undefined) {
    const found = ctx.cloud.server(marker);
    if (!found || !matches(found)) throw new NovaError(400, `marker [${marker}] not found`);
  }
  const now = ctx.cloud.now();
  const key = pageKey(call, detail);
  const kept = ctx.lists.get(key, now);
  if (kept) return json(200, kept, { "content-type": "application/json" });
  const name = call.req.query.get("name");
  const names = name === null ? undefined : exactNames(name);
  const page = pageOf(ctx, call, { limit, marker, matches, names });
  const last = page.servers[page.servers.length - 1];
  const links =
    last && page.servers.length === limit ? [{ rel: "next", href: nextHref(call, detail, last.id) }] : undefined;
  // The same text as JSON.stringify({ servers, servers_links }); detail from each server's kept bytes (serverListEntry).
  const tail = `]${links ? `,"servers_links":${JSON.stringify(links)}` : ""}}`;
  const variant = variantOf(call);
  const body = detail
    ? EncodedJson.list(`{"servers":[`, page.servers, (s) => serverListEntry(ctx, variant, s), tail)
    : new EncodedJson([
        Buffer.from(`{"servers":[${page.servers.map((s) => JSON.stringify(summaryView(call, s))).join(",")}${tail}`),
      ]);
  const validUntil = Math.min(page.validUntil, ...page.servers.map((s) => volumesValidUntil(ctx, s)));
  return json(200, ctx.lists.set(key, body, validUntil), { "content-type": "application/json" });
}

/** Everything a page's text depends on besides the world: the query and the caller's view of it. */
function pageKey(call: NovaCall, detail: boolean): string {
  const { principal, version } = call;
  return JSON.stringify([
    "nova",
    detail,
    call.req.query.toString(),
    principal.projectId,
    principal.isAdmin,
    version.major,
    version.minor,
    call.base,
    call.bookmarkBase,
  ]);
}

interface PageRequest {
  readonly limit: number;
  readonly marker: string | undefined;
  readonly matches: (s: ServerState) => boolean;
  /** The name filter as exact names, when it is one: the servers so named are looked up, not walked. */
  readonly names?: ReadonlySet<string> | undefined;
}

/** A page, and until when it stays what it is: the earliest pending stage of the servers looked at to make it. */
interface Page {
  readonly servers: ServerState[];
  readonly validUntil: number;
}

function pageOf(ctx: NovaContext, call: NovaCall, p: PageRequest): Page {
  const sortKey = call.req.query.get("sort_key");
  if (sortKey === null || sortKey === "created_at") {
    const descending = (call.req.query.get("sort_dir") ?? "desc") !== "asc";
    if (descending)
      return take(p.names ? ctx.cloud.newestFirstNamed(p.names, p.marker) : ctx.cloud.newestFirst(p.marker), p);
  }
  // Any server's next stage may move it in or out of the filter or along the sort order.
  const all = [...ctx.cloud.newestFirst()];
  let validUntil = Infinity;
  for (const server of all) validUntil = Math.min(validUntil, nextStageAt(server));
  const page = take(sorted(call, all, sortKey ?? "created_at", p), { ...p, marker: undefined });
  return { servers: page.servers, validUntil: Math.min(validUntil, page.validUntil) };
}

function take(source: Iterable<ServerState>, p: PageRequest): Page {
  const servers: ServerState[] = [];
  let validUntil = Infinity;
  if (p.limit === 0) return { servers, validUntil };
  for (const server of source) {
    validUntil = Math.min(validUntil, nextStageAt(server));
    if (!p.matches(server)) continue;
    servers.push(server);
    if (servers.length >= p.limit) break;
  }
  return { servers, validUntil };
}

/** When the server's operation in flight next changes it (its stages are applied lazily); Infinity when none. */
function nextStageAt(server: ServerState): number {
  return server.operation?.stages[0]?.at ?? Infinity;
}

/** When a volume of the server (shown in its detail) next changes: its re-imaging stages are applied lazily. */
function volumesValidUntil(ctx: NovaContext, server: ServerState): number {
  let until = Infinity;
  for (const volume of ctx.cloud.volumesOf(server.id)) until = Math.min(until, volume.stages[0]?.at ?? Infinity);
  return until;
}

function sorted(call: NovaCall, servers: readonly ServerState[], sortKey: string, p: PageRequest): ServerState[] {
  if ((sortKey === "host" || sortKey === "node") && !call.principal.isAdmin)
    throw new NovaError(403, `Only administrators can sort servers by ${sortKey}`);
  const keyOf = SORT_KEYS[sortKey];
  if (!keyOf) throw new NovaError(400, `Invalid input for query parameters sort_key. Value: ${sortKey}.`);
  const sign = (call.req.query.get("sort_dir") ?? "desc") === "asc" ? 1 : -1;
  const all = servers.filter(p.matches);
  all.sort(
    (a, b) => sign * (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const start = p.marker === undefined ? 0 : all.findIndex((s) => s.id === p.marker) + 1;
  return all.slice(start);
}

function nextHref(call: NovaCall, detail: boolean, marker: string): string {
  const params = new URLSearchParams(call.req.query);
  params.set("marker", marker);
  if (!params.has("limit")) params.set("limit", String(MAX_LIMIT));
  return `${call.base}/servers${detail ? "/detail" : ""}?${params.toString()}`;
}
