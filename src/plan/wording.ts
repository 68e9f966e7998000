import type { DesiredSpec, FieldChange, ObservedInstance } from "../model/index.js";
import { REDACTED } from "../model/index.js";

/** How a user_data value is shown when the cloud does not return the content: its digest, or nothing known. */
export type UserDataDisplay = string | null | { readonly sha256: string } | { readonly unknown: string };

export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

/** A key pair, token or power state in a sentence. */
export function describeValue(value: string | null | undefined): string {
  return value === null || value === undefined ? "(none)" : value;
}

export function imageChangeText(
  before: string | { readonly id: string; readonly name: string },
  image: { readonly id: string; readonly name: string },
): string {
  const name = (i: { readonly id: string; readonly name: string }) => (i.name === i.id ? i.id : `${i.name} (${i.id})`);
  return `${typeof before === "string" ? before : name(before)} → ${name(image)}`;
}

/** The observed user_data for display: content when the cloud shows it, else its digest; a marker when sensitive. */
export function observedUserDataDisplay(spec: DesiredSpec, observed: ObservedInstance): UserDataDisplay {
  if (spec.userData?.sensitive === true) return REDACTED;
  // The old content is shown only beside new content declared not sensitive: when the spec asks for no
  // user_data, nothing says the old content was safe to print, so only its digest is shown.
  const showContent = spec.userData !== null && spec.userData !== undefined;
  if (showContent && observed.userData !== undefined) return observed.userData;
  const seen = observed.userDataSha256;
  if (!seen.known) return { unknown: seen.reason };
  return seen.value === null ? null : { sha256: seen.value };
}

/** The desired user_data for display: its content, or a marker when sensitive. */
export function desiredUserDataDisplay(spec: DesiredSpec): UserDataDisplay | undefined {
  const userData = spec.userData;
  if (userData === undefined) return undefined;
  if (userData === null) return null;
  return userData.sensitive ? REDACTED : userData.content;
}

export function userDataDisplay(spec: DesiredSpec, observed: ObservedInstance): FieldChange {
  return {
    path: "userData",
    before: observedUserDataDisplay(spec, observed),
    after: desiredUserDataDisplay(spec) ?? null,
    sensitive: spec.userData?.sensitive === true,
  };
}

export function faultText(observed: ObservedInstance): string {
  return observed.fault === undefined ? "no fault message" : `fault: ${observed.fault.message}`;
}

/** Why a server's image is not known: the reason its root volume could not be read, when it boots from one. */
export function imageUnknownReason(observed: ObservedInstance): string {
  const reason = observed.bootVolume?.unknownReason;
  return reason === undefined
    ? "the server boots from a volume: its image cannot be read from the server"
    : `the server boots from a volume: ${reason}`;
}
