import type { ImageRef, PowerState } from "../model/desired.js";

/**
 * How a server's image is written. By name only when resolving the name gives this very image back (what plan
 * does); else by id, with the name in a comment; an image the cloud's image list does not have cannot be written.
 */
export type ImageChoice =
  | { readonly type: "name"; readonly name: string }
  | { readonly type: "id"; readonly name: string; readonly why: string }
  | { readonly type: "missing"; readonly why: string };

/** user_data as a fleet file writes it: inline text, base64 of text that is not readable as is, or none. */
export type ImportedUserData = { readonly inline: string } | { readonly base64: string } | null;

/**
 * The desired state written for a server: exactly what the cloud shows, every field optional (absent: not managed).
 * Values are the cloud's own; each one can be written as a fleet string that reads back the same (see literal.ts).
 */
export interface ImportedSpec {
  readonly image?: ImageRef;
  readonly keyPair?: string | null;
  /** Metadata keys written; the cloud's own keys and reform's annotations are never among them. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly userData?: ImportedUserData;
  readonly power?: PowerState;
}

/** A field of a server that is not written (it is then not managed), and why: a comment beside the server. */
export interface ServerNote {
  /** `userData`, `keyPair` or `metadata.KEY`. */
  readonly field: string;
  readonly why: string;
  /** Left out because it looks like it holds a secret: the command lists these servers at the end, too. */
  readonly secret: boolean;
}

/** A server the fleet file manages, with what it says of it. */
export interface ImportedServer {
  readonly provider: string;
  readonly id: string;
  readonly name: string;
  readonly spec: ImportedSpec;
  readonly notes: readonly ServerNote[];
}

/** A server the fleet file cannot express: listed in a comment with the reason, and left out. */
export interface LeftOutServer {
  readonly provider: string;
  readonly id: string;
  readonly name: string;
  readonly reason: string;
}

export type ServerImport =
  | { readonly type: "imported"; readonly server: ImportedServer }
  | { readonly type: "left-out"; readonly server: LeftOutServer };
