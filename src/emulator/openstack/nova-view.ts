import { createHash } from "node:crypto";
import { flavorById, FLAVORS } from "./flavors.js";
import { novaStatus } from "./lifecycle.js";
import { atLeast } from "./microversion.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import type { ServerState } from "./state-types.js";

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

function links(call: NovaCall, kind: string, id: string) {
  return [
    { rel: "self", href: `${call.base}/${kind}/${id}` },
    { rel: "bookmark", href: `${call.bookmarkBase}/${kind}/${id}` },
  ];
}

export function flavorView(call: NovaCall, flavorId: string): Record<string, unknown> {
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
function imageView(ctx: NovaContext, call: NovaCall, s: ServerState): Record<string, unknown> | string {
  if (s.imageId === "") return "";
  const image: Record<string, unknown> = {
    id: s.imageId,
    links: [{ rel: "bookmark", href: `${call.bookmarkBase}/images/${s.imageId}` }],
  };
  if (atLeast(call.version, 98)) image.properties = { ...(ctx.cloud.images.get(s.imageId)?.properties ?? {}) };
  return image;
}

function macOf(address: string): string {
  const [, , c, d] = address.split(".").map(Number);
  return `fa:16:3e:00:${(c ?? 0).toString(16).padStart(2, "0")}:${(d ?? 0).toString(16).padStart(2, "0")}`;
}

/** The base server document (every microversion, and the action responses below 2.75). Built by assignment: it is on every list page. */
function baseView(ctx: NovaContext, call: NovaCall, s: ServerState): Record<string, unknown> {
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
    image: imageView(ctx, call, s),
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
  call: NovaCall,
  s: ServerState,
  withUserData: boolean,
): Record<string, unknown> {
  const v = call.version;
  if (atLeast(v, 90)) out["OS-EXT-SRV-ATTR:hostname"] = s.name;
  if (!call.principal.isAdmin) return out;
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

/** GET /servers/{id} and /servers/detail. */
export function serverView(ctx: NovaContext, call: NovaCall, s: ServerState): Record<string, unknown> {
  return extendedAttributes(detailFields(ctx, call, baseView(ctx, call, s), s), call, s, true);
}

/**
 * The JSON text of `serverView` as UTF-8 bytes, as list pages carry it. A page of 1,000 servers is about 2 MB of JSON, and a large
 * plan reads a hundred of them: building and serializing every document each time was most of the emulator's work.
 * The text is kept per server and reused while everything it is made of is unchanged: the server's mutable fields,
 * its volumes, its image's properties (shown from 2.98) and the caller's view (microversion, admin, base URLs).
 */
export function serverJson(ctx: NovaContext, call: NovaCall, s: ServerState): Buffer {
  const key = JSON.stringify([
    call.version.major,
    call.version.minor,
    call.principal.isAdmin,
    call.base,
    call.bookmarkBase,
    s.name,
    s.imageId,
    s.keyPair,
    s.metadata,
    s.userData,
    s.vmState,
    s.taskState,
    s.powerState,
    s.updated,
    s.launchedAt,
    s.locked,
    s.fault,
    ctx.cloud.volumesOf(s.id).map((v) => [v.id, v.mapping?.deleteOnTermination ?? false]),
    atLeast(call.version, 98) && s.imageId !== "" ? (ctx.cloud.images.get(s.imageId)?.properties ?? null) : null,
  ]);
  const cached = serverTexts.get(s);
  if (cached?.key === key) return cached.bytes;
  // Encoded here, 2 KB at a time: encoding a page's 2 MB joined text was a third of building the page.
  const bytes = Buffer.from(JSON.stringify(serverView(ctx, call, s)));
  serverTexts.set(s, { key, bytes });
  return bytes;
}

/** Per server state object, the last text `serverJson` made (encoded) and what it was made of. */
const serverTexts = new WeakMap<ServerState, { readonly key: string; readonly bytes: Buffer }>();

/** Nova's block device mappings of volumes: `delete_on_termination` from 2.3. */
function volumesAttached(ctx: NovaContext, call: NovaCall, s: ServerState): Record<string, unknown>[] {
  return ctx.cloud
    .volumesOf(s.id)
    .map((v) =>
      atLeast(call.version, 3)
        ? { id: v.id, delete_on_termination: v.mapping?.deleteOnTermination ?? false }
        : { id: v.id },
    );
}

function detailFields(
  ctx: NovaContext,
  call: NovaCall,
  doc: Record<string, unknown>,
  s: ServerState,
): Record<string, unknown> {
  doc.key_name = s.keyPair;
  doc["OS-EXT-AZ:availability_zone"] = "nova";
  doc.config_drive = "";
  doc["OS-EXT-STS:task_state"] = s.taskState;
  doc["OS-EXT-STS:vm_state"] = s.vmState;
  doc["OS-EXT-STS:power_state"] = s.powerState;
  doc["OS-SRV-USG:launched_at"] = s.launchedAt;
  doc["OS-SRV-USG:terminated_at"] = null;
  doc["os-extended-volumes:volumes_attached"] = volumesAttached(ctx, call, s);
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
  const doc = baseView(ctx, call, s);
  if (atLeast(v, 75)) extendedAttributes(detailFields(ctx, call, doc, s), call, s, false);
  return {
    ...doc,
    ...(atLeast(v, 54) ? { key_name: s.keyPair } : {}),
    ...(atLeast(v, 57) ? { user_data: s.userData } : {}),
    ...(adminPass !== undefined ? { adminPass } : {}),
  };
}

/** GET /servers (not detail). */
export function summaryView(call: NovaCall, s: ServerState): Record<string, unknown> {
  return { id: s.id, name: s.name, links: links(call, "servers", s.id) };
}

export { links as novaLinks };
