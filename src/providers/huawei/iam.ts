import { ReformError } from "../../model/errors.js";
import type { EcsRequest } from "./ecs.js";

/**
 * `GET {iam}/v3/projects?name={region}`: the project named after the region, which is how the official SDK finds
 * the project id it was not given (HW Node SDK `BaseCredentials.processAuthParams`, `IamService.getProjectId`).
 * Signed with the same AK/SK, without X-Project-Id: there is none yet.
 */
export function projectsRequest(iamEndpoint: string, region: string): EcsRequest {
  return { method: "GET", url: `${iamEndpoint}/v3/projects`, query: { name: region }, operation: "GET /v3/projects" };
}

/**
 * The id of the one project named `region` in an IAM answer `{"projects": [{"id", "name", …}]}`. None, or more than
 * one, is an AUTH_ERROR naming the region and how to pass the id instead (the SDK refuses both too).
 */
export function projectIdFrom(provider: string, region: string, body: unknown): string {
  const listed = isRecord(body) && Array.isArray(body["projects"]) ? (body["projects"] as unknown[]) : [];
  const ids = listed
    .filter(isRecord)
    .flatMap((p) => (typeof p["id"] === "string" && p["id"] !== "" && p["name"] === region ? [p["id"]] : []));
  const fix = "set projectId in the provider or HW_PROJECT_ID";
  if (ids.length === 0)
    throw new ReformError(
      "AUTH_ERROR",
      `provider ${provider} (huaweicloud): IAM lists no project for region ${region}, so the project id is unknown: ${fix}`,
    );
  if (ids.length > 1)
    throw new ReformError(
      "AUTH_ERROR",
      `provider ${provider} (huaweicloud): IAM lists ${ids.length} projects for region ${region} (${ids.join(", ")}): ${fix} to the one to use`,
    );
  return ids[0]!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
