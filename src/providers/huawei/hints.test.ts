import { describe, expect, it } from "vitest";
import { resolveSettings } from "./config.js";
import { huaweiHint } from "./hints.js";

const env = {
  HW_ACCESS_KEY: "QTWAOYTTINDUT2QVKYUC",
  HW_SECRET_KEY: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
  HW_PROJECT_ID: "0123456789abcdef0123456789abcdef",
};
const hint = huaweiHint(resolveSettings("hw", { region: "ap-southeast-1" }, env));
const url = "https://ecs.ap-southeast-1.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/cloudservers/detail";

describe("huaweiHint", () => {
  it("names the setting of each value to check: project id, permissions, region", () => {
    expect(
      hint({ operation: "GET /v1/{project_id}/cloudservers/detail", url, status: 400, cloudCode: "Common.0018" }),
    ).toBe(
      'check the project id (HW_PROJECT_ID "0123456789abcdef0123456789abcdef"): it must be the project of region ap-southeast-1 that the access key QTWAOYTTINDUT2QVKYUC belongs to (unset, it is asked of IAM by the region\'s name)',
    );
    expect(
      hint({ operation: "POST /v2/{project_id}/cloudservers/{id}/changeos", url, status: 403, cloudCode: "Ecs.0003" }),
    ).toBe(
      "the IAM user of access key QTWAOYTTINDUT2QVKYUC may not do this in region ap-southeast-1: check its ECS permissions in that project",
    );
    expect(hint({ operation: "GET /v1/{project_id}/cloudservers/detail", url, networkCode: "ENOTFOUND" })).toBe(
      'no such host (ecs.ap-southeast-1.myhuaweicloud.com): check the region (region of provider hw in the fleet file "ap-southeast-1"), or the provider\'s endpoint / iamEndpoint',
    );
    expect(
      hint({ operation: "GET /v1/{project_id}/cloudservers/detail", url, status: 400, cloudCode: "Ecs.0100" }),
    ).toBeUndefined();
  });

  it("never puts the secret key into a hint", () => {
    const refused =
      hint({ operation: "GET /v1/{project_id}/cloudservers/detail", url, status: 401, cloudCode: "APIGW.0301" }) ?? "";
    expect(refused).toContain("the secret key (HW_SECRET_KEY: the secret of that access key)");
    expect(refused).not.toContain(env.HW_SECRET_KEY);
  });
});
