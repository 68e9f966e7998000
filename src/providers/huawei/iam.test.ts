import { describe, expect, it } from "vitest";
import { ReformError } from "../../model/errors.js";
import { projectIdFrom, projectsRequest } from "./iam.js";

function refusal(body: unknown): ReformError {
  try {
    projectIdFrom("hw", "cn-north-4", body);
  } catch (error) {
    if (error instanceof ReformError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("the IAM project lookup", () => {
  it("asks for the projects named after the region", () => {
    expect(projectsRequest("https://iam.myhuaweicloud.com", "cn-north-4")).toEqual({
      method: "GET",
      url: "https://iam.myhuaweicloud.com/v3/projects",
      query: { name: "cn-north-4" },
      operation: "GET /v3/projects",
    });
  });

  it("takes the id of the one project named after the region", () => {
    const body = { links: {}, projects: [{ id: "p-cn4", name: "cn-north-4", domain_id: "d", enabled: true }] };
    expect(projectIdFrom("hw", "cn-north-4", body)).toBe("p-cn4");
  });

  it("ignores projects of another name (a sub-project, or an IAM that did not filter)", () => {
    const body = {
      projects: [
        { id: "p-demo", name: "cn-north-4_demo" },
        { id: "p-cn4", name: "cn-north-4" },
        { id: "p-cn1", name: "cn-north-1" },
      ],
    };
    expect(projectIdFrom("hw", "cn-north-4", body)).toBe("p-cn4");
  });

  it("refuses an empty or unreadable answer, naming the region and where to set the id", () => {
    for (const body of [
      { projects: [] },
      {},
      undefined,
      { projects: [{ name: "cn-north-4" }] },
      { projects: [{ id: "x", name: "cn-north-1" }] },
    ]) {
      const error = refusal(body);
      expect(error.code).toBe("AUTH_ERROR");
      expect(error.message).toBe(
        "provider hw (huaweicloud): IAM lists no project for region cn-north-4, so the project id is unknown: set projectId in the provider or HW_PROJECT_ID",
      );
    }
  });

  it("refuses several projects of that name, listing their ids", () => {
    const error = refusal({
      projects: [
        { id: "p-1", name: "cn-north-4" },
        { id: "p-2", name: "cn-north-4" },
      ],
    });
    expect(error.code).toBe("AUTH_ERROR");
    expect(error.message).toBe(
      "provider hw (huaweicloud): IAM lists 2 projects for region cn-north-4 (p-1, p-2): set projectId in the provider or HW_PROJECT_ID to the one to use",
    );
  });
});
