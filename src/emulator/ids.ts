import { createHash, randomBytes } from "node:crypto";

/** A deterministic PRNG (mulberry32): the same seed gives the same sequence. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function digest(seed: number, parts: readonly string[]): string {
  return createHash("sha256")
    .update(`${seed}\u0000${parts.join("\u0000")}`)
    .digest("hex");
}

/** A version-4-shaped UUID derived from the seed and a name: stable across runs. */
export function stableUuid(seed: number, ...parts: string[]): string {
  const hex = digest(seed, parts);
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A 32-hex id as Keystone uses for users and projects. */
export function stableHexId(seed: number, ...parts: string[]): string {
  return digest(seed, parts).slice(0, 32);
}

export function randomUuid(): string {
  const hex = randomBytes(16).toString("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A random opaque token (never logged, never in error messages). */
export function randomToken(): string {
  return `gAAAA${randomBytes(48).toString("base64url")}`;
}

export function requestId(): string {
  return `req-${randomUuid()}`;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
