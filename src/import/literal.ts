import { interpolate } from "../config/interpolate.js";

/**
 * `text` as a fleet file string must be written so that it reads back as `text`: fleet strings are interpolated, so
 * every `${env:` is written `$${env:` (the literal form). Undefined when no writing reads back the same (an unclosed
 * `${env:` preceded by a `$`, say): the caller leaves the value out or writes it another way.
 */
export function fleetLiteral(text: string): string | undefined {
  // A function replacement: in a replacement string, "$$" would mean one "$".
  const escaped = text.replaceAll("${env:", () => "$${env:");
  const read = interpolate(escaped, { env: {}, allowed: [] });
  return read.type === "ok" && read.value === text ? escaped : undefined;
}
