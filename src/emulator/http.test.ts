import { describe, expect, it } from "vitest";
import { routeKey } from "./http.js";

describe("routeKey", () => {
  it("replaces ids and request ids by placeholders, so that a route is counted once whatever the server", () => {
    expect(
      routeKey(
        "GET",
        "/compute/v2.1/servers/7c9e6679-7425-40de-944b-e07fc1f90ae7/os-instance-actions/req-fa506b4f-2acf-4908-8327-7005a3124251",
      ),
    ).toBe("GET /compute/v2.1/servers/{id}/os-instance-actions/{request-id}");
    expect(routeKey("POST", "/identity/v3/auth/tokens")).toBe("POST /identity/v3/auth/tokens");
    expect(routeKey("GET", "/huaweicloud/v1/0123456789abcdef0123456789abcdef/cloudservers/detail")).toBe(
      "GET /huaweicloud/v1/{id}/cloudservers/detail",
    );
    expect(routeKey("GET", "/compute/v2.1/servers/req-not-a-uuid")).toBe("GET /compute/v2.1/servers/req-not-a-uuid");
  });
});
