import { describe, expect, it } from "vitest";
import { describeIdentity } from "../model/history.js";
import { runIdentity } from "./identity.js";

describe("runIdentity", () => {
  it("names a GitHub Actions run, its repository, link and commit", () => {
    const identity = runIdentity(
      {
        GITHUB_RUN_ID: "42",
        GITHUB_REPOSITORY: "octo/fleet",
        GITHUB_SHA: "abc123",
        GITHUB_SERVER_URL: "https://ghe.example.com",
      },
      "runner-7",
      "runner",
    );
    expect(identity).toEqual({
      kind: "github",
      runId: "42",
      repository: "octo/fleet",
      url: "https://ghe.example.com/octo/fleet/actions/runs/42",
      commit: "abc123",
      user: "runner",
      host: "runner-7",
    });
    expect(describeIdentity(identity)).toBe("GitHub Actions run 42 (octo/fleet) on runner-7");
  });

  it("names a GitLab pipeline", () => {
    const identity = runIdentity(
      {
        CI_PIPELINE_ID: "9",
        CI_PROJECT_PATH: "ops/fleet",
        CI_PIPELINE_URL: "https://gitlab.example.com/ops/fleet/-/pipelines/9",
        CI_COMMIT_SHA: "def",
      },
      "gl-1",
      "gitlab-runner",
    );
    expect(describeIdentity(identity)).toBe("GitLab pipeline 9 (ops/fleet) on gl-1");
    expect(identity.commit).toBe("def");
  });

  it("falls back to the user and host, ignoring empty variables", () => {
    const identity = runIdentity({ GITHUB_RUN_ID: " ", CI_PIPELINE_ID: "" }, "laptop", "alice");
    expect(identity).toEqual({ kind: "local", user: "alice", host: "laptop" });
    expect(describeIdentity(identity)).toBe("alice@laptop");
  });
});
