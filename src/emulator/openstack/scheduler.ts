import type { ImageState } from "./state-types.js";

/** The architectures of the emulated compute hosts: x86_64 only, like Nova's fake driver and most clouds. */
const HOST_ARCHITECTURES: ReadonlySet<string> = new Set(["x86_64"]);

/** Nova's fields.Architecture.canonicalize for the spellings images use. */
function canonical(arch: string): string {
  const lower = arch.trim().toLowerCase();
  if (lower === "amd64" || lower === "x64") return "x86_64";
  if (lower === "i386" || lower === "i486" || lower === "i586" || lower === "x86_32") return "i686";
  return lower;
}

/**
 * Why Nova's scheduler would find no host for this image, or undefined. Nova's ImagePropertiesFilter
 * (enabled by default) rejects an image whose `hw_architecture` (legacy `architecture`) no host offers.
 * Found on a real Nova (test/openstack): the API answers 202 to the boot or rebuild, then the conductor
 * puts the server in ERROR with this fault and, for a rebuild, rolls its image back.
 */
export function noValidHost(image: ImageState): string | undefined {
  const arch = image.properties["hw_architecture"] ?? image.properties["architecture"];
  if (arch === undefined || HOST_ARCHITECTURES.has(canonical(arch))) return undefined;
  return "No valid host was found. There are not enough hosts available.";
}
