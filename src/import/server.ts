import type { ImageRef } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import { isBusy } from "../model/observed.js";
import { userDataSha256 } from "../model/user-data.js";
import { fleetLiteral } from "./literal.js";
import { secretHint, secretNameHint } from "../model/secret-hints.js";
import type { ImageChoice, ImportedSpec, ImportedUserData, ServerImport, ServerNote } from "./types.js";

/** The longest metadata key and value a fleet file takes (schemas/fleet.schema.json). */
const MAX_METADATA_LENGTH = 255;
/** The most base64 characters of user_data a fleet file takes (config/user-data-source.ts). */
const MAX_USER_DATA_BASE64 = 65_535;
/** The digest of no user_data (empty content). */
const NO_USER_DATA = userDataSha256("");

export interface ServerContext {
  /** How the server's image is written; undefined when the server shows no image (it boots from a volume). */
  readonly image: ImageChoice | undefined;
}

/**
 * What the fleet file says of one live server (pure): its image, key pair, user metadata, user_data and power state,
 * exactly as the cloud shows them. A field that cannot be written truthfully is left out (then not managed) with a
 * note; a server that cannot be expressed at all is left out with the reason. Nothing is guessed.
 */
export function importServer(server: ObservedInstance, ctx: ServerContext): ServerImport {
  const unexpressible = leftOutReason(server, ctx.image);
  const who = { provider: server.provider, id: server.id, name: server.name };
  if (unexpressible !== undefined) return { type: "left-out", server: { ...who, reason: unexpressible } };
  const notes: ServerNote[] = [];
  const image = imageRef(ctx.image, server.imageId);
  const keyPair = importKeyPair(server.keyPair, notes);
  const metadata = importMetadata(server.metadata, notes);
  const userData = importUserData(server, notes);
  const spec: ImportedSpec = {
    ...(image ? { image } : {}),
    ...(keyPair !== undefined ? { keyPair } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(userData !== undefined ? { userData } : {}),
    ...(server.power !== "unknown" ? { power: server.power } : {}),
  };
  return { type: "imported", server: { ...who, spec, notes } };
}

function leftOutReason(server: ObservedInstance, image: ImageChoice | undefined): string | undefined {
  if (isBusy(server)) {
    const task = server.task === null ? "" : `, task ${server.task}`;
    return `busy (${server.rawStatus}${task}): import it again once it has settled`;
  }
  if (server.status === "error")
    return `in ERROR${server.fault ? ` (${server.fault.message})` : ""}: repair or delete it, then import it again`;
  if (image === undefined) {
    const why = server.bootVolume?.unknownReason;
    return `it boots from a volume and its image cannot be read${why === undefined ? " from the server" : ` (${why})`}`;
  }
  if (image.type === "missing") return `its image ${server.imageId} is not in the cloud's image list (${image.why})`;
  return undefined;
}

function imageRef(choice: ImageChoice | undefined, imageId: string): ImageRef | undefined {
  if (choice?.type === "name") return { name: choice.name };
  if (choice?.type === "id") return { id: imageId };
  return undefined;
}

function importKeyPair(keyPair: string | null, notes: ServerNote[]): string | null | undefined {
  if (keyPair === null) return null;
  if (keyPair !== "" && fleetLiteral(keyPair) !== undefined) return keyPair;
  notes.push({
    field: "keyPair",
    why:
      keyPair === ""
        ? "the cloud shows an empty key pair name"
        : "its name holds '${env:' text that a fleet file cannot write",
    secret: false,
  });
  return undefined;
}

/** User metadata; keys that look like secrets or that a fleet file cannot hold are left out with a note. */
function importMetadata(metadata: Readonly<Record<string, string>>, notes: ServerNote[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key] ?? "";
    const problem = metadataProblem(key, value);
    if (problem === undefined) out[key] = value;
    else
      notes.push({ field: `metadata.${key.length > MAX_METADATA_LENGTH ? `${key.slice(0, 40)}…` : key}`, ...problem });
  }
  return out;
}

function metadataProblem(key: string, value: string): { readonly why: string; readonly secret: boolean } | undefined {
  const hint = secretNameHint(key) ?? secretHint(key) ?? secretHint(value);
  if (hint !== undefined) return { why: `it looks like a secret (${hint})`, secret: true };
  if (key.length > MAX_METADATA_LENGTH || value.length > MAX_METADATA_LENGTH)
    return { why: `longer than the ${MAX_METADATA_LENGTH} characters a fleet file takes`, secret: false };
  if (fleetLiteral(value) === undefined)
    return { why: "its value holds '${env:' text that a fleet file cannot write", secret: false };
  return undefined;
}

/** user_data as the cloud shows it; undefined (not managed, with a note) when it cannot be written truthfully. */
function importUserData(server: ObservedInstance, notes: ServerNote[]): ImportedUserData | undefined {
  const leaveOut = (why: string, secret = false) => {
    notes.push({ field: "userData", why, secret });
    return undefined;
  };
  const digest = server.userDataSha256;
  if (!digest.known) return leaveOut(digest.reason);
  const text = server.userData;
  if (text === null || digest.value === null || digest.value === NO_USER_DATA) return null;
  if (text === undefined) {
    const recorded =
      server.annotations.userDataSha256 !== undefined && server.annotations.userDataSha256 === digest.value;
    return leaveOut(
      recorded
        ? "the cloud does not show it; only the digest reform recorded is known"
        : "it is binary (not UTF-8 text), which a fleet file cannot hold",
    );
  }
  const hint = secretHint(text);
  if (hint !== undefined) return leaveOut(`it looks like it holds secrets (${hint}); never written`, true);
  if (Math.ceil(Buffer.byteLength(text, "utf8") / 3) * 4 > MAX_USER_DATA_BASE64) {
    return leaveOut(
      `it is longer than the ${MAX_USER_DATA_BASE64.toLocaleString("en-US")} base64 characters a fleet file takes`,
    );
  }
  return readable(text) && fleetLiteral(text) !== undefined
    ? { inline: text }
    : { base64: Buffer.from(text, "utf8").toString("base64") };
}

/** Text a person can read in a YAML block: no control characters but tab, line feed and carriage return. */
function readable(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}
