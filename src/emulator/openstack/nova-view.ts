import { createHash } from "node:crypto";
import { flavorById, FLAVORS } from "./flavors.js";
import { novaStatus } from "./lifecycle.js";
import type { Microversion } from "./microversion.js";
import { atLeast } from "./microversion.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import type { ServerState } from "./state-types.js";
import type { OpenStackCloud } from "./state.js";
import { ViewCache } from "../view-cache.js";

/** What a server's document depends on besides the server: the caller's microversion, role and base URLs. */
export interface ViewVariant {
  readonly version: Microversion;
  readonly isAdmin: boolean;
  /** e.g. http://127.0.0.1:PORT/compute/v2.1 */
  readonly base: string;
  /** e.g. http://127.0.0.1:PORT/compute (bookmark links) */
  readonly bookmarkBase: string;
}

export function variantOf(call: NovaCall): ViewVariant {
  return { version: call.version, isAdmin: call.principal.isAdmin, base: call.base, bookmarkBase: call.bookmarkBase };
}

/** The server record as its document may show it: everything but its action history and its pending stages. */
export type ShownServer = Omit<ServerState, "actions" | "operation">;

/** What a server's document shows from other records than the server. */
export interface ServerExtra {
  /** Nova's block device mappings of its volumes, oldest first. */
  readonly volumes: readonly { readonly id: string; readonly deleteOnTermination: boolean }[];
  /** Its image's properties (shown from 2.98); null for a server that boots from a volume or an unknown image. */
  readonly imageProperties: Readonly<Record<string, string>> | null;
}

/** Everything a server's document is made of besides the variant: the document is a function of these alone. */
export interface ServerViewInputs extends ServerExtra {
  readonly server: ShownServer;
}

const NO_VOLUMES: ServerExtra["volumes"] = [];

/** The server's extra view data now (due stages of its volumes applied by the cloud's reads). */
export function serverExtra(cloud: OpenStackCloud, s: ServerState): ServerExtra {
  const volumes = cloud.volumesOf(s.id);
  return {
    volumes:
      volumes.length === 0
        ? NO_VOLUMES
        : volumes.map((v) => ({ id: v.id, deleteOnTermination: v.mapping?.deleteOnTermination ?? false })),
    imageProperties: s.imageId === "" ? null : (cloud.images.get(s.imageId)?.properties ?? null),
  };
}

/** Each server's encoded document per variant, kept while the server and its extra data are unchanged (ViewCache). */
export type ServerViews = ViewCache<ServerState, "actions" | "operation", ServerExtra, ViewVariant>;

export function serverViews(): ServerViews {
  return new ViewCache({
    hidden: ["actions", "operation"],
    render: (server, extra, variant: ViewVariant) => renderServer(variant, { server, ...extra }),
    variantKey: (v) => `${v.version.major}.${v.version.minor} ${v.isAdmin} ${v.base} ${v.bookmarkBase}`,
  });
}

function viewInputs(cloud: OpenStackCloud, s: ServerState): ServerViewInputs {
  return { server: s, ...serverExtra(cloud, s) };
}

const hostIds = new Map<string, string>();

/** Nova's hostId: sha224 of project id + host, cached per project (it is on every server document). */
function hostIdOf(projectId: string): string {
  let id = hostIds.get(projectId);
  if (id === undefined) {
    id = createHash("sha224").update(`${projectId}emulator-host`).digest("hex");
    hostIds.set(projectId, id);
  }
  return id;
}

const PROGRESS_STATUSES = new Set(["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"]);

function links(call: Pick<ViewVariant, "base" | "bookmarkBase">, kind: string, id: string) {
  return [
    { rel: "self", href: `${call.base}/${kind}/${id}` },
    { rel: "bookmark", href: `${call.bookmarkBase}/${kind}/${id}` },
  ];
}

export function flavorView(
  call: Pick<ViewVariant, "version" | "bookmarkBase">,
  flavorId: string,
): Record<string, unknown> {
  const flavor = flavorById(flavorId) ?? FLAVORS[1];
  if (!atLeast(call.version, 47))
    return { id: flavorId, links: [{ rel: "bookmark", href: `${call.bookmarkBase}/flavors/${flavorId}` }] };
  return {
    vcpus: flavor?.vcpus,
    ram: flavor?.ram,
    disk: flavor?.disk,
    ephemeral: 0,
    swap: 0,
    original_name: flavor?.name,
    extra_specs: {},
  };
}

/** The server's image; "" for a server that boots from a volume (Nova keeps no image_ref for it, also across rebuilds). */
function imageView(call: ViewVariant, i: ServerViewInputs): Record<string, unknown> | string {
  const s = i.server;
  if (s.imageId === "") return "";
  const image: Record<string, unknown> = {
    id: s.imageId,
    links: [{ rel: "bookmark", href: `${call.bookmarkBase}/images/${s.imageId}` }],
  };
  if (atLeast(call.version, 98)) image.properties = { ...(i.imageProperties ?? {}) };
  return image;
}

function macOf(address: string): string {
  const [, , c, d] = address.split(".").map(Number);
  return `fa:16:3e:00:${(c ?? 0).toString(16).padStart(2, "0")}:${(d ?? 0).toString(16).padStart(2, "0")}`;
}

/** The base server document (every microversion, and the action responses below 2.75). Built by assignment: it is on every list page. */
function baseView(call: ViewVariant, i: ServerViewInputs): Record<string, unknown> {
  const s = i.server;
  const status = novaStatus(s.vmState, s.taskState);
  const v = call.version;
  const doc: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: { ...s.metadata },
    hostId: hostIdOf(s.projectId),
    image: imageView(call, i),
    flavor: flavorView(call, s.flavorId),
    created: s.created,
    updated: s.updated,
    addresses: {
      private: [
        { version: 4, addr: s.address, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": macOf(s.address) },
      ],
    },
    accessIPv4: "",
    accessIPv6: "",
    links: links(call, "servers", s.id),
    "OS-DCF:diskConfig": "MANUAL",
  };
  if (PROGRESS_STATUSES.has(status)) doc.progress = 0;
  if (status === "ERROR" && s.fault)
    doc.fault = { code: s.fault.code, created: s.fault.created, message: s.fault.message };
  if (atLeast(v, 9)) doc.locked = s.locked;
  if (atLeast(v, 19)) doc.description = null;
  if (atLeast(v, 26)) doc.tags = [];
  if (atLeast(v, 63)) doc.trusted_image_certificates = null;
  if (atLeast(v, 73)) doc.locked_reason = null;
  if (atLeast(v, 96)) doc.pinned_availability_zone = null;
  if (atLeast(v, 100)) doc.scheduler_hints = {};
  return doc;
}

/** Extended attributes: admin-only below 2.90, except hostname which everyone sees from 2.90. */
function extendedAttributes(
  out: Record<string, unknown>,
  call: ViewVariant,
  s: ShownServer,
  withUserData: boolean,
): Record<string, unknown> {
  const v = call.version;
  if (atLeast(v, 90)) out["OS-EXT-SRV-ATTR:hostname"] = s.name;
  if (!call.isAdmin) return out;
  out["OS-EXT-SRV-ATTR:host"] = "emulator-host";
  out["OS-EXT-SRV-ATTR:hypervisor_hostname"] = "emulator-host";
  out["OS-EXT-SRV-ATTR:instance_name"] = `instance-${s.id.slice(0, 8)}`;
  if (atLeast(v, 3)) {
    out["OS-EXT-SRV-ATTR:reservation_id"] = `r-${s.id.slice(0, 8)}`;
    out["OS-EXT-SRV-ATTR:launch_index"] = 0;
    out["OS-EXT-SRV-ATTR:hostname"] = s.name;
    out["OS-EXT-SRV-ATTR:kernel_id"] = "";
    out["OS-EXT-SRV-ATTR:ramdisk_id"] = "";
    out["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda";
    if (withUserData) out["OS-EXT-SRV-ATTR:user_data"] = s.userData;
  }
  if (atLeast(v, 16)) out.host_status = "UP";
  return out;
}

/** GET /servers/{id} and /servers/detail: the document of the server's inputs for the caller's variant. */
export function serverView(ctx: NovaContext, call: NovaCall, s: ServerState): Record<string, unknown> {
  return renderServer(variantOf(call), viewInputs(ctx.cloud, s));
}

function renderServer(variant: ViewVariant, i: ServerViewInputs): Record<string, unknown> {
  return extendedAttributes(detailFields(variant, baseView(variant, i), i), variant, i.server, true);
}

/**
 * The JSON text of `serverView` as UTF-8 bytes followed by a comma, as list pages carry it (`EncodedJson.list`). A page of 1,000 servers is about 2 MB of
 * JSON: building and serialising every document each time was most of the emulator's work. The bytes are kept per
 * server and variant (ctx.views) and answered while the server's view inputs are what they were rendered from.
 */
export function serverListEntry(ctx: NovaContext, variant: ViewVariant, s: ServerState): Buffer {
  return ctx.views.listEntry(s, variant, serverExtra(ctx.cloud, s));
}

/** Nova's block device mappings of volumes: `delete_on_termination` from 2.3. */
function volumesAttached(call: ViewVariant, i: ServerViewInputs): Record<string, unknown>[] {
  return i.volumes.map((v) =>
    atLeast(call.version, 3) ? { id: v.id, delete_on_termination: v.deleteOnTermination } : { id: v.id },
  );
}

function detailFields(call: ViewVariant, doc: Record<string, unknown>, i: ServerViewInputs): Record<string, unknown> {
  const s = i.server;
  doc.key_name = s.keyPair;
  doc["OS-EXT-AZ:availability_zone"] = "nova";
  doc.config_drive = "";
  doc["OS-EXT-STS:task_state"] = s.taskState;
  doc["OS-EXT-STS:vm_state"] = s.vmState;
  doc["OS-EXT-STS:power_state"] = s.powerState;
  doc["OS-SRV-USG:launched_at"] = s.launchedAt;
  doc["OS-SRV-USG:terminated_at"] = null;
  doc["os-extended-volumes:volumes_attached"] = volumesAttached(call, i);
  doc.security_groups = [{ name: "default" }];
  return doc;
}

/** The 202 body of rebuild: base fields (+key_name ≥2.54, +user_data ≥2.57), every GET field from 2.75 except OS-EXT-SRV-ATTR:user_data. */
export function actionView(
  ctx: NovaContext,
  call: NovaCall,
  s: ServerState,
  adminPass: string | undefined,
): Record<string, unknown> {
  const v = call.version;
  const variant = variantOf(call);
  const inputs = viewInputs(ctx.cloud, s);
  const doc = baseView(variant, inputs);
  if (atLeast(v, 75)) extendedAttributes(detailFields(variant, doc, inputs), variant, s, false);
  return {
    ...doc,
    ...(atLeast(v, 54) ? { key_name: s.keyPair } : {}),
    ...(atLeast(v, 57) ? { user_data: s.userData } : {}),
    ...(adminPass !== undefined ? { adminPass } : {}),
  };
}

/** GET /servers (not detail). */
export function summaryView(call: Pick<ViewVariant, "base" | "bookmarkBase">, s: ServerState): Record<string, unknown> {
  return { id: s.id, name: s.name, links: links(call, "servers", s.id) };
}

export { links as novaLinks };
