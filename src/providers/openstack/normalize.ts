import { splitAnnotations } from "../../model/annotations.js";
import type { PowerState } from "../../model/desired.js";
import type { InstanceStatus, Observed, ObservedInstance } from "../../model/observed.js";
import { decodeBase64UserData, decodeUtf8, userDataSha256 } from "../../model/user-data.js";

/** The fields of a Nova server document (GET /servers/detail) that reform reads. */
export interface NovaServer {
  readonly id: string;
  readonly name?: string;
  readonly status?: string;
  readonly updated?: string;
  readonly image?: { readonly id?: string } | string | null;
  readonly key_name?: string | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly locked?: boolean;
  readonly fault?: { readonly code?: number; readonly message?: string };
  readonly addresses?: Readonly<Record<string, readonly { readonly addr?: string }[]>>;
  readonly "OS-EXT-STS:task_state"?: string | null;
  readonly "OS-EXT-STS:vm_state"?: string | null;
  readonly "OS-EXT-STS:power_state"?: number | null;
  readonly "OS-EXT-SRV-ATTR:user_data"?: string | null;
  /** Admin-only (extended server attributes policy): the device the server boots from, e.g. "/dev/vda". */
  readonly "OS-EXT-SRV-ATTR:root_device_name"?: string | null;
  readonly "os-extended-volumes:volumes_attached"?: readonly { readonly id?: string }[];
}

export const USER_DATA_KEY = "OS-EXT-SRV-ATTR:user_data";
export const USER_DATA_HIDDEN_REASON = "Nova shows user_data only to admins; no reform annotation yet";

/** Nova status (+ task_state, vm_state) → provider-neutral status. Tasks that change power win over the status word. */
export function mapStatus(
  status: string | undefined,
  task: string | null,
  vmState: string | null | undefined,
): InstanceStatus {
  if (task === "powering-off") return "stopping";
  if (task === "powering-on") return "starting";
  switch ((status ?? "").toUpperCase()) {
    case "ACTIVE":
      return "active";
    case "SHUTOFF":
      return "stopped";
    case "REBUILD":
      return "rebuilding";
    case "REBOOT":
    case "HARD_REBOOT":
      return "rebooting";
    case "BUILD":
      return "building";
    case "ERROR":
      return "error";
    case "":
      return vmState === "active"
        ? "active"
        : vmState === "stopped"
          ? "stopped"
          : vmState === "error"
            ? "error"
            : "unknown";
    default:
      return "unknown";
  }
}

/** power_state 1 RUNNING, 4 SHUTDOWN, 6 CRASHED; else from the status. Paused/suspended are neither. */
export function mapPower(powerState: number | null | undefined, status: string | undefined): PowerState | "unknown" {
  if (powerState === 1) return "running";
  if (powerState === 4 || powerState === 6) return "stopped";
  if (powerState === 3 || powerState === 7) return "unknown";
  const word = (status ?? "").toUpperCase();
  return word === "ACTIVE" ? "running" : word === "SHUTOFF" ? "stopped" : "unknown";
}

/** What can be known about user_data: from Nova when it shows the key, else from reform's annotation. */
export function observeUserData(
  server: NovaServer,
  annotated: string | undefined,
): { readonly sha: Observed<string | null>; readonly text?: string | null } {
  if (Object.hasOwn(server, USER_DATA_KEY)) {
    const encoded = server[USER_DATA_KEY];
    if (encoded === null || encoded === undefined || encoded === "")
      return { sha: { known: true, value: null }, text: null };
    const bytes = decodeBase64UserData(encoded);
    if (bytes === undefined) return { sha: { known: true, value: userDataSha256(encoded) }, text: encoded };
    const text = decodeUtf8(bytes);
    return text === undefined
      ? { sha: { known: true, value: userDataSha256(bytes) } }
      : { sha: { known: true, value: userDataSha256(text) }, text };
  }
  if (annotated !== undefined) return { sha: { known: true, value: annotated } };
  return { sha: { known: false, reason: USER_DATA_HIDDEN_REASON } };
}

/** Nova shows `"image": ""` for a server that boots from a volume (and keeps it so across rebuilds). */
export function bootsFromVolume(server: NovaServer): boolean {
  return server.image === "";
}

/** A Nova server document → ObservedInstance. */
export function normalizeServer(server: NovaServer, provider: string): ObservedInstance {
  const task = server["OS-EXT-STS:task_state"] ?? null;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(server.metadata ?? {}))
    metadata[key] = typeof value === "string" ? value : String(value);
  const { user, annotations } = splitAnnotations(metadata);
  const userData = observeUserData(server, annotations.userDataSha256);
  const fault = server.fault?.message
    ? { message: server.fault.message, ...(server.fault.code === undefined ? {} : { code: server.fault.code }) }
    : undefined;
  return {
    id: server.id,
    name: server.name ?? "",
    provider,
    status: mapStatus(server.status, task, server["OS-EXT-STS:vm_state"]),
    rawStatus: server.status ?? "",
    task,
    imageId: typeof server.image === "object" && server.image !== null ? (server.image.id ?? "") : "",
    keyPair: server.key_name ?? null,
    metadata: user,
    systemMetadata: {},
    annotations,
    userDataSha256: userData.sha,
    ...("text" in userData ? { userData: userData.text } : {}),
    power: mapPower(server["OS-EXT-STS:power_state"], server.status),
    updatedAt: server.updated ?? "",
    locked: server.locked === true,
    ...(fault ? { fault } : {}),
    addresses: Object.values(server.addresses ?? {}).flatMap((list) =>
      list.map((a) => a.addr ?? "").filter((a) => a !== ""),
    ),
  };
}
