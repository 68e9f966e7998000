import { ReformError } from "../../model/errors.js";
import { pollingSettings } from "../../model/operation.js";
import { requireAscii } from "../http/ascii.js";
import type { HuaweiCredentials } from "./sign.js";

/**
 * The fleet file's options for a `huaweicloud` provider, with the HW_* environment conventions of Huawei's Terraform provider.
 * - `region` (else HW_REGION_NAME, OS_REGION_NAME), `projectId` (else HW_PROJECT_ID, OS_PROJECT_ID; else asked of IAM,
 *   as the official SDK does: the project named after the region)
 * - `endpoint`: ECS (and IMS) base URL, overriding `https://ecs.{region}.myhuaweicloud.com`
 * - `iamEndpoint`: IAM base URL for that project lookup, overriding `https://iam.myhuaweicloud.com`; `endpoint` when
 *   only that is set (one base URL serving everything, as the emulator does)
 * - `userId` (else HW_USER_ID): IAM user id, sent as `userid` with a key pair
 * - `cloudInit`: "auto" (from the image's `__support_cloudinit`, true when absent), "always" or "never": v2 or v1 APIs
 * - `imageChange`: "changeos" (default) or "rebuild" (the native v2.1 rebuild)
 * - `pollIntervalMs`: how often apply polls, and the first delay when a busy server is waited out (default 2000)
 * - `jobTimeoutMs`: a job (or native rebuild) still unsettled after this long fails (default 3,600,000: change OS takes 10–20 min)
 * - `busyTimeoutMs`: how long a busy server (400 Ecs.0100) is waited out before the step fails (default 600,000)
 * - `settleMs`: once its job ended SUCCESS, a server must look settled (no task, a stable status, `updated` unmoved) on
 *   polls spanning this long, and at least two, before the step is done: it can flap for a while (default 0: two polls)
 * Credentials: HW_ACCESS_KEY / HW_SECRET_KEY (else OS_ACCESS_KEY / OS_SECRET_KEY), HW_SECURITY_TOKEN for temporary ones.
 * The endpoints' domain is HW_CLOUD when set (as Huawei's Terraform provider: `myhuaweicloud.com` by default).
 */
export interface HuaweiSettings {
  readonly region: string;
  /** Absent: the adapter asks IAM for the project named after the region, once, when it first needs it. */
  readonly projectId?: string;
  readonly ecsEndpoint: string;
  readonly imsEndpoint: string;
  readonly iamEndpoint: string;
  readonly userId?: string;
  readonly cloudInit: "auto" | "always" | "never";
  readonly imageChange: "changeos" | "rebuild";
  readonly pollIntervalMs: number;
  readonly jobTimeoutMs: number;
  readonly busyTimeoutMs: number;
  readonly settleMs: number;
  readonly credentials: HuaweiCredentials;
  /** Where each credential and id was set (`HW_ACCESS_KEY`, `region in the fleet file`…), for messages. */
  readonly sources: HuaweiSources;
}

export interface HuaweiSources {
  readonly region: string;
  readonly projectId?: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly securityToken?: string;
}

/** The first of `names` with a value: the setting's value and where it was set. */
function firstOf(
  names: readonly (readonly [string, unknown])[],
): { readonly value: string; readonly source: string } | undefined {
  for (const [source, value] of names) {
    const text = str(value);
    if (text !== undefined) return { value: text, source };
  }
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function positive(value: unknown, fallback: number): number {
  return typeof value === "number" && value > 0 ? value : fallback;
}

export function resolveSettings(
  name: string,
  options: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): HuaweiSettings {
  const fleet = (key: string) => [`${key} of provider ${name} in the fleet file`, options[key]] as const;
  const region = firstOf([
    fleet("region"),
    ["HW_REGION_NAME", env["HW_REGION_NAME"]],
    ["OS_REGION_NAME", env["OS_REGION_NAME"]],
  ]);
  const projectId = firstOf([
    fleet("projectId"),
    ["HW_PROJECT_ID", env["HW_PROJECT_ID"]],
    ["OS_PROJECT_ID", env["OS_PROJECT_ID"]],
  ]);
  const accessKey = firstOf([
    ["HW_ACCESS_KEY", env["HW_ACCESS_KEY"]],
    ["OS_ACCESS_KEY", env["OS_ACCESS_KEY"]],
  ]);
  const secretKey = firstOf([
    ["HW_SECRET_KEY", env["HW_SECRET_KEY"]],
    ["OS_SECRET_KEY", env["OS_SECRET_KEY"]],
  ]);
  const token = firstOf([["HW_SECURITY_TOKEN", env["HW_SECURITY_TOKEN"]]]);
  const missing = [
    ...(region ? [] : ["region (or HW_REGION_NAME)"]),
    ...(accessKey ? [] : ["HW_ACCESS_KEY"]),
    ...(secretKey ? [] : ["HW_SECRET_KEY"]),
  ];
  if (missing.length > 0 || !region || !accessKey || !secretKey)
    throw new ReformError("AUTH_ERROR", `provider ${name} (huaweicloud): missing ${missing.join(", ")}`);
  // They go into the URL, headers and the signature: a non-ASCII one fails every request, as if the network did.
  for (const [found, secret] of [
    [accessKey, false],
    [secretKey, true],
    [token, true],
    [projectId, false],
    [region, false],
  ] as const) {
    if (found) requireAscii({ provider: `${name} (huaweicloud)`, setting: found.source, value: found.value, secret });
  }
  const endpoint = str(options["endpoint"])?.replace(/\/+$/, "");
  const iamEndpoint = str(options["iamEndpoint"])?.replace(/\/+$/, "");
  const domain = str(env["HW_CLOUD"]) ?? "myhuaweicloud.com";
  const userId = str(options["userId"]) ?? str(env["HW_USER_ID"]);
  return {
    region: region.value,
    ...(projectId ? { projectId: projectId.value } : {}),
    ecsEndpoint: endpoint ?? `https://ecs.${region.value}.${domain}`,
    imsEndpoint: endpoint ?? `https://ims.${region.value}.${domain}`,
    iamEndpoint: iamEndpoint ?? endpoint ?? `https://iam.${domain}`,
    ...(userId ? { userId } : {}),
    cloudInit: options["cloudInit"] === "always" || options["cloudInit"] === "never" ? options["cloudInit"] : "auto",
    imageChange: options["imageChange"] === "rebuild" ? "rebuild" : "changeos",
    ...pollingSettings(options),
    jobTimeoutMs: positive(options["jobTimeoutMs"], 60 * 60_000),
    busyTimeoutMs: positive(options["busyTimeoutMs"], 10 * 60_000),
    credentials: {
      accessKey: accessKey.value,
      secretKey: secretKey.value,
      ...(token ? { securityToken: token.value } : {}),
    },
    sources: {
      region: region.source,
      accessKey: accessKey.source,
      secretKey: secretKey.source,
      ...(projectId ? { projectId: projectId.source } : {}),
      ...(token ? { securityToken: token.source } : {}),
    },
  };
}
