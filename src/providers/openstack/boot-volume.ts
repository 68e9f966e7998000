import { ConfigError, ReformError } from "../../model/errors.js";
import type { BootVolume, ObservedInstance } from "../../model/observed.js";
import type { CinderClient, CinderVolume } from "./cinder.js";
import type { NovaServer } from "./normalize.js";

/** What the block storage API gave for this run: the project's bootable volumes, or why they could not be read. */
export type VolumeListing =
  | { readonly type: "read"; readonly volumes: readonly CinderVolume[] }
  | { readonly type: "unreadable"; readonly reason: string };

/** One server's attached volumes, by Cinder's attachments. */
export type AttachmentIndex = ReadonlyMap<
  string,
  readonly { readonly volume: CinderVolume; readonly device: string }[]
>;

/** Server id → the volumes Cinder shows attached to it, with their devices. Built once per listing. */
export function indexAttachments(volumes: readonly CinderVolume[]): AttachmentIndex {
  const index = new Map<string, { volume: CinderVolume; device: string }[]>();
  for (const volume of volumes) {
    for (const attachment of volume.attachments ?? []) {
      if (typeof attachment.server_id !== "string") continue;
      const list = index.get(attachment.server_id) ?? [];
      list.push({ volume, device: attachment.device ?? "" });
      index.set(attachment.server_id, list);
    }
  }
  return index;
}

/** Where Nova puts the root disk when it names it itself, per disk bus (virtio, scsi/sata, xen, ide). */
const DEFAULT_ROOT_DEVICES = ["vda", "sda", "xvda", "hda"];

const deviceName = (device: string): string => device.replace(/^\/dev\//, "");

/**
 * The image of a volume-backed server: `volume_image_metadata.image_id` of the volume attached at the server's root
 * device name. Nova shows the root device name to admins only; otherwise the root disk is where Nova puts it by
 * default (/dev/vda, /dev/sda, /dev/xvda or /dev/hda). Anything that does not name exactly one volume with an image
 * leaves the image unknown, with the reason.
 */
export function bootVolumeOf(
  server: NovaServer,
  attachments: AttachmentIndex,
): { readonly imageId: string; readonly bootVolume: BootVolume } {
  const rootDevice = server["OS-EXT-SRV-ATTR:root_device_name"];
  const wanted = typeof rootDevice === "string" && rootDevice !== "" ? [deviceName(rootDevice)] : DEFAULT_ROOT_DEVICES;
  const attached = attachments.get(server.id) ?? [];
  const atRoot = attached.filter((a) => wanted.includes(deviceName(a.device)));
  const where =
    wanted.length === 1
      ? `its root device /dev/${wanted[0] ?? ""}`
      : `a root device (${wanted.map((d) => `/dev/${d}`).join(", ")}; Nova shows the root device name to admins only)`;
  if (atRoot.length === 0) {
    const others = attached.map((a) => `${a.volume.id} at ${a.device || "no device"}`).join(", ");
    return unknown(
      undefined,
      `no bootable volume of the project is attached at ${where}${others ? ` (attached: ${others})` : ""}`,
    );
  }
  if (atRoot.length > 1)
    return unknown(
      undefined,
      `volumes ${atRoot.map((a) => `${a.volume.id} at ${a.device}`).join(" and ")} are both attached at ${where}`,
    );
  const root = atRoot[0]?.volume as CinderVolume;
  const imageId = root.volume_image_metadata?.["image_id"];
  if (typeof imageId !== "string" || imageId === "")
    return unknown(
      root.id,
      `its root volume ${root.id} was not created from an image (no volume_image_metadata.image_id)`,
    );
  return { imageId, bootVolume: { id: root.id } };
}

function unknown(
  id: string | undefined,
  reason: string,
): { readonly imageId: string; readonly bootVolume: BootVolume } {
  return { imageId: "", bootVolume: { ...(id === undefined ? {} : { id }), unknownReason: reason } };
}

/** The observed server with its image read from its root volume (or the reason it could not be). */
export function withBootVolume(
  instance: ObservedInstance,
  server: NovaServer,
  listing: VolumeListing,
  attachments: AttachmentIndex,
): ObservedInstance {
  if (listing.type === "unreadable") return { ...instance, imageId: "", bootVolume: { unknownReason: listing.reason } };
  return { ...instance, ...bootVolumeOf(server, attachments) };
}

/**
 * The listed servers, those that boot from a volume (`volumeBacked`: the cloud's document of each) with their image read
 * from their root volume: one bulk read of the project's bootable volumes (paged), only when there is one. When Cinder is not in
 * the catalog or cannot be read, their image stays unknown, with that reason; the servers are still listed.
 */
export async function observeBootVolumes(
  instances: readonly ObservedInstance[],
  volumeBacked: ReadonlyMap<ObservedInstance, NovaServer>,
  cinder: (signal: AbortSignal) => Promise<CinderClient>,
  signal: AbortSignal,
): Promise<ObservedInstance[]> {
  if (volumeBacked.size === 0) return [...instances];
  const listing = await readVolumes(cinder, signal);
  const attachments = listing.type === "read" ? indexAttachments(listing.volumes) : new Map<string, never[]>();
  return instances.map((instance) => {
    const server = volumeBacked.get(instance);
    return server === undefined ? instance : withBootVolume(instance, server, listing, attachments);
  });
}

async function readVolumes(
  cinder: (signal: AbortSignal) => Promise<CinderClient>,
  signal: AbortSignal,
): Promise<VolumeListing> {
  try {
    return { type: "read", volumes: await (await cinder(signal)).listBootableVolumes(signal) };
  } catch (error) {
    signal.throwIfAborted();
    if (error instanceof ConfigError)
      return {
        type: "unreadable",
        reason: `its image is read from its root volume, but the block storage API (Cinder v3) is not available: ${error.diagnostics.map((d) => d.message).join("; ")}`,
      };
    if (error instanceof ReformError)
      return {
        type: "unreadable",
        reason: `its image is read from its root volume, but the block storage API (Cinder v3) could not be read: ${error.message}`,
      };
    throw error;
  }
}
