import type { RequestFailure } from "../http/types.js";
import type { HuaweiSettings } from "./config.js";

/** Gateway and ECS codes that mean "these credentials or this project are not right" (docs A11). */
const SIGNATURE_CODES = new Set(["APIGW.0301", "APIG.0301"]);
const PROJECT_CODES = new Set(["Common.0018", "Ecs.0023"]);

/**
 * What to check when Huawei Cloud refuses a request or cannot be reached: the access key, secret key (and security
 * token), project id or region, each by the setting that holds it. The secret key's value is never shown.
 */
export function huaweiHint(s: HuaweiSettings): (failure: RequestFailure) => string | undefined {
  const ak = `${s.sources.accessKey} "${s.credentials.accessKey}"`;
  const region = `${s.sources.region} "${s.region}"`;
  return (failure) => {
    if (failure.status === 401 || (failure.cloudCode !== undefined && SIGNATURE_CODES.has(failure.cloudCode))) {
      const token = s.sources.securityToken ? `, ${s.sources.securityToken} (temporary keys expire)` : "";
      return `Huawei Cloud refused the request's signature: check the access key (${ak}), the secret key (${s.sources.secretKey}: the secret of that access key)${token}, and this machine's clock (requests are dated)`;
    }
    if (failure.cloudCode !== undefined && PROJECT_CODES.has(failure.cloudCode)) {
      const project =
        s.projectId !== undefined && s.sources.projectId ? `${s.sources.projectId} "${s.projectId}"` : "the project id";
      return `check the project id (${project}): it must be the project of region ${s.region} that the access key ${s.credentials.accessKey} belongs to (unset, it is asked of IAM by the region's name)`;
    }
    if (failure.status === 403)
      return `the IAM user of access key ${s.credentials.accessKey} may not do this in region ${s.region}: check its ECS permissions in that project`;
    if (failure.networkCode === "ENOTFOUND" || failure.networkCode === "EAI_AGAIN")
      return `no such host (${new URL(failure.url).host}): check the region (${region}), or the provider's endpoint / iamEndpoint`;
    return undefined;
  };
}
