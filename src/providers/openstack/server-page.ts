import type { InstanceSelector } from "../../model/desired.js";
import type { ObservedInstance } from "../../model/observed.js";
import { decodeBody, parseJson } from "../http/decode.js";
import type { NovaServer } from "./normalize.js";
import { USER_DATA_KEY, bootsFromVolume, normalizeServer } from "./normalize.js";
import type { NamedServer } from "./server-names.js";

/** What a listing asks of each page: whose servers they are and which of them it wants. Plain data (a worker gets it). */
export interface ServerPageRequest {
  /** The provider's name, written into every observed instance. */
  readonly provider: string;
  /** Wanted servers; none: every server. */
  readonly selectors: readonly InstanceSelector[];
}

/**
 * What a listing keeps of one page of `GET /servers/detail`: the wanted servers normalised, and the few facts the
 * adapter learns from every server. Plain data, so that a worker thread can digest a page and send this back: a
 * tenth of the page's size, without the documents' garbage.
 */
export interface ServerPageDigest {
  /** False when the answer has no `servers` list (the caller reports the answer). */
  readonly isList: boolean;
  /** The `next` link of `servers_links`, if any. */
  readonly next: string | undefined;
  /** Servers on the page, deleted and unwanted ones included. */
  readonly listed: number;
  /** Servers on the page whose document has the user_data field (Nova shows it to admins). */
  readonly showingUserData: number;
  /** Id and name of the servers on the page that are not among `instances` (deleted or not wanted). */
  readonly otherNames: readonly NamedServer[];
  /** The wanted, not deleted servers, normalised, in page order. */
  readonly instances: readonly ObservedInstance[];
  /** `[index in instances, document]` of those that boot from a volume (their image is read from the volume). */
  readonly volumeBacked: readonly (readonly [number, NovaServer])[];
}

interface ServerPage {
  readonly servers?: readonly NovaServer[];
  readonly servers_links?: readonly { readonly rel?: string; readonly href?: string }[];
}

/** A page's body (the bytes of a 2xx answer) → its digest. */
export function digestServerPageBytes(bytes: Uint8Array, request: ServerPageRequest): ServerPageDigest {
  return digestServerPage(parseJson(decodeBody(bytes)), request);
}

/** A parsed page (anything JSON.parse gave) → its digest. */
export function digestServerPage(page: unknown, request: ServerPageRequest): ServerPageDigest {
  const servers = (page as ServerPage | undefined)?.servers;
  if (!Array.isArray(servers))
    return {
      isList: false,
      next: undefined,
      listed: 0,
      showingUserData: 0,
      otherNames: [],
      instances: [],
      volumeBacked: [],
    };
  const next = (page as ServerPage).servers_links?.find((l) => l.rel === "next")?.href;
  return { isList: true, next, ...digestServers(servers as readonly NovaServer[], request) };
}

/** Servers from any listing (a page, or a list by names) → what a listing keeps of them. */
export function digestServers(
  servers: readonly NovaServer[],
  request: ServerPageRequest,
): Omit<ServerPageDigest, "isList" | "next"> {
  const wanted = selectorFilter(request.selectors);
  const otherNames: NamedServer[] = [];
  const instances: ObservedInstance[] = [];
  const volumeBacked: (readonly [number, NovaServer])[] = [];
  let showingUserData = 0;
  for (const server of servers) {
    if (Object.hasOwn(server, USER_DATA_KEY)) showingUserData++;
    if (server.status?.toUpperCase() === "DELETED" || !wanted(server)) {
      if (typeof server.name === "string") otherNames.push({ id: server.id, name: server.name });
      continue;
    }
    if (bootsFromVolume(server)) volumeBacked.push([instances.length, server]);
    instances.push(normalizeServer(server, request.provider));
  }
  return { listed: servers.length, showingUserData, otherNames, instances, volumeBacked };
}

function selectorFilter(selectors: readonly InstanceSelector[]): (server: NovaServer) => boolean {
  if (selectors.length === 0) return () => true;
  const ids = new Set(selectors.flatMap((s) => ("id" in s ? [s.id] : [])));
  const names = new Set(selectors.flatMap((s) => ("name" in s ? [s.name] : [])));
  return (server) => ids.has(server.id) || names.has(server.name ?? "");
}

/** How far from the end of a page its `servers_links` is looked for. */
const TAIL_BYTES = 8192;

/**
 * The `next` link of a page, read from the end of its body before the page is parsed: Nova (and the emulator) write
 * `servers_links` after `servers`, so the last few kilobytes hold it. Lets the next page be asked for while this one
 * is parsed. A guess: the caller checks it against the parsed page; undefined when the tail does not parse as
 * `"servers_links": [...]}`.
 */
export function nextLinkFromTail(bytes: Uint8Array): string | undefined {
  const start = Math.max(0, bytes.byteLength - TAIL_BYTES);
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start).toString("utf8");
  const at = tail.lastIndexOf('"servers_links"');
  if (at < 0) return undefined;
  try {
    const links = (JSON.parse(`{${tail.slice(at)}`) as ServerPage).servers_links;
    const href = Array.isArray(links) ? links.find((l) => l?.rel === "next")?.href : undefined;
    return typeof href === "string" ? href : undefined;
  } catch {
    return undefined;
  }
}
