import { describe, expect, it } from "vitest";
import { jdHint } from "./hints.js";

const hint = jdHint({
  accessKey: "AKJD01",
  region: "cn-north-1",
  regionSource: "JDC_REGION",
  endpoint: "https://vm.jdcloud-api.com",
});
const url = "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances";

describe("jdHint", () => {
  it("says what to check for each refusal of the gateway, and nothing for a reused nonce (reform's own doing)", () => {
    expect(hint({ operation: "GET /v1/regions/{r}/instances", url, status: 401, cloudCode: "APIGW_LACK_PARAMS" })).toBe(
      'JD Cloud refused the credentials: check the access key (JDC_ACCESS_KEY "AKJD01"), the secret key (JDC_SECRET_KEY) and this machine\'s clock (requests are dated)',
    );
    expect(
      hint({ operation: "GET /v1/regions/{r}/instances", url, status: 401, cloudCode: "APIGW_SIGN_RESULT_NOT_SAME" }),
    ).toContain('and the region (JDC_REGION "cn-north-1", part of what is signed)');
    expect(hint({ operation: "GET /v1/regions/{r}/instances", url, status: 403, cloudCode: "HTTP_FORBIDDEN" })).toBe(
      "the account of access key AKJD01 may not do this in region cn-north-1: check its permissions",
    );
    expect(
      hint({ operation: "GET /v1/regions/{r}/instances", url, status: 403, cloudCode: "APIGW_NONCE_CONFLICT" }),
    ).toBeUndefined();
    expect(hint({ operation: "GET /v1/regions/{r}/instances", url, networkCode: "ECONNREFUSED" })).toBe(
      'JD Cloud at https://vm.jdcloud-api.com did not answer: check the provider\'s endpoint ("https://vm.jdcloud-api.com")',
    );
  });
});
