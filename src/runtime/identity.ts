import type { RunIdentity } from "../model/history.js";

/** The run's identity from the CI's variables (GitHub Actions, GitLab CI), else the user and host. */
export function runIdentity(
  env: Readonly<Record<string, string | undefined>>,
  host: string,
  user: string,
): RunIdentity {
  const set = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const base = { user, host };
  const commit = set("GITHUB_SHA") ?? set("CI_COMMIT_SHA");
  const runId = set("GITHUB_RUN_ID");
  if (runId !== undefined) {
    const repository = set("GITHUB_REPOSITORY");
    const server = set("GITHUB_SERVER_URL") ?? "https://github.com";
    const url = repository ? `${server}/${repository}/actions/runs/${runId}` : undefined;
    return {
      kind: "github",
      runId,
      ...base,
      ...(repository ? { repository } : {}),
      ...(url ? { url } : {}),
      ...(commit ? { commit } : {}),
    };
  }
  const pipeline = set("CI_PIPELINE_ID");
  if (pipeline !== undefined) {
    const repository = set("CI_PROJECT_PATH");
    const url = set("CI_PIPELINE_URL");
    return {
      kind: "gitlab",
      runId: pipeline,
      ...base,
      ...(repository ? { repository } : {}),
      ...(url ? { url } : {}),
      ...(commit ? { commit } : {}),
    };
  }
  return { kind: "local", ...base, ...(commit ? { commit } : {}) };
}
