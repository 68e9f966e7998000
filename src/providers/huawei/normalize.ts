import { splitAnnotations } from "../../model/annotations.js";
import type { InstanceStatus, Observed, ObservedInstance } from "../../model/observed.js";
import { decodeBase64UserData, decodeUtf8, userDataSha256 } from "../../model/user-data.js";

/** ServerDetail fields reform reads (GET /v1/{project_id}/cloudservers/detail). */
export interface EcsServer {
  readonly id: string;
  readonly name?: string;
  readonly status?: string;
  readonly updated?: string;
  readonly image?: { readonly id?: string };
  readonly key_name?: string | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly locked?: boolean;
  readonly fault?: { readonly code?: number; readonly message?: string };
  readonly addresses?: Readonly<Record<string, readonly { readonly addr?: string }[]>>;
  readonly "OS-EXT-STS:task_state"?: string | null;
  readonly "OS-EXT-STS:power_state"?: number | null;
  readonly "OS-EXT-SRV-ATTR:user_data"?: string | null;
}

/** Metadata keys ECS writes itself (globs): never user drift, never removed. */
export const SYSTEM_METADATA_KEYS: readonly string[] = [
  "image_name",
  "metering.*",
  "os_bit",
  "os_type",
  "charging_mode",
  "vpc_id",
  "EcmResStatus",
  "lockCheckEndpoint",
  "lockSource",
  "lockSourceId",
  "lockScene",
  "agency_name",
  "cascaded.instance_extrainfo",
  "virtual_env_type",
  "__*",
];

const SYSTEM_PATTERNS = SYSTEM_METADATA_KEYS.map(
  (g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`),
);

export function isSystemKey(key: string): boolean {
  return SYSTEM_PATTERNS.some((p) => p.test(key));
}

function mapStatus(status: string, task: string | null): InstanceStatus {
  if (task === "powering-off") return "stopping";
  if (task === "powering-on") return "starting";
  switch (status) {
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
    default:
      return "unknown";
  }
}

/**
 * user_data: reform's annotation first (ECS shows the user_data given at creation, which a reinstall may not update),
 * else the cloud's creation-time value, else unknown.
 */
function observeUserData(
  server: EcsServer,
  annotated: string | undefined,
): { sha: Observed<string | null>; text?: string | null } {
  if (annotated !== undefined) return { sha: { known: true, value: annotated } };
  const encoded = server["OS-EXT-SRV-ATTR:user_data"];
  if (encoded === undefined)
    return {
      sha: { known: false, reason: "ECS does not show this server's user_data and reform has not recorded it yet" },
    };
  if (encoded === null || encoded === "") return { sha: { known: true, value: null }, text: null };
  const bytes = decodeBase64UserData(encoded);
  const text = bytes === undefined ? encoded : decodeUtf8(bytes);
  if (text === undefined) return { sha: { known: true, value: userDataSha256(bytes ?? encoded) } };
  return { sha: { known: true, value: userDataSha256(text) }, text };
}

export function normalizeEcsServer(server: EcsServer, provider: string): ObservedInstance {
  const status = (server.status ?? "").toUpperCase();
  const task = server["OS-EXT-STS:task_state"] ?? null;
  const all: Record<string, string> = {};
  const system: Record<string, string> = {};
  for (const [key, value] of Object.entries(server.metadata ?? {}))
    (isSystemKey(key) ? system : all)[key] = String(value);
  const { user, annotations } = splitAnnotations(all);
  const userData = observeUserData(server, annotations.userDataSha256);
  const power = server["OS-EXT-STS:power_state"];
  return {
    id: server.id,
    name: server.name ?? "",
    provider,
    status: mapStatus(status, task),
    rawStatus: status,
    task,
    imageId: server.image?.id ?? "",
    keyPair: server.key_name ? server.key_name : null,
    metadata: user,
    systemMetadata: system,
    annotations,
    userDataSha256: userData.sha,
    ...("text" in userData ? { userData: userData.text } : {}),
    power:
      power === 1
        ? "running"
        : power === 4
          ? "stopped"
          : status === "ACTIVE"
            ? "running"
            : status === "SHUTOFF"
              ? "stopped"
              : "unknown",
    updatedAt: server.updated ?? "",
    locked: server.locked === true,
    ...(server.fault?.message && status === "ERROR"
      ? {
          fault: {
            message: server.fault.message,
            ...(server.fault.code === undefined ? {} : { code: server.fault.code }),
          },
        }
      : {}),
    addresses: Object.values(server.addresses ?? {}).flatMap((list) =>
      list.map((a) => a.addr ?? "").filter((a) => a !== ""),
    ),
  };
}
