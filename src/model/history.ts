/** Who ran an apply, for the lock's holder and the history: the CI run, or the user and host. */
export interface RunIdentity {
  /** `github`, `gitlab` or `local`. */
  readonly kind: "github" | "gitlab" | "local";
  /** GITHUB_RUN_ID or CI_PIPELINE_ID. */
  readonly runId?: string;
  /** The repository (GITHUB_REPOSITORY, CI_PROJECT_PATH). */
  readonly repository?: string;
  /** A link to the run, when the CI gives one. */
  readonly url?: string;
  readonly user: string;
  readonly host: string;
  /** The commit applied, when the CI gives it (GITHUB_SHA, CI_COMMIT_SHA). */
  readonly commit?: string;
}

/** One server in one past apply: how it ended, and the cloud's ids for what was sent. */
export interface HistoryServer {
  readonly address: string;
  readonly id?: string;
  readonly action?: string;
  readonly steps?: readonly string[];
  /** converged, failed, skipped; for an operation an interrupted run left: finished, failed, timed-out, not-followed; for an apply that never recorded its end: started. */
  readonly result: string;
  readonly why?: string;
  /** The step was started by an interrupted run and followed by this one. */
  readonly resumedFrom?: string;
  readonly requestIds: readonly string[];
  readonly jobIds: readonly string[];
}

/** One past apply, as the shared backend recorded it. */
export interface HistoryEntry {
  readonly id: string;
  readonly identity: RunIdentity;
  /** The providers it locked. */
  readonly scope: readonly string[];
  /** sha256 of the plan document it executed. */
  readonly planDigest: string;
  readonly reformVersion: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** Absent when the apply never recorded its end (killed, or its database connection lost). */
  readonly finishedAt?: string;
  /** succeeded, failed, or absent with finishedAt. */
  readonly outcome?: "succeeded" | "failed";
  readonly servers: readonly HistoryServer[];
}

/** "GitHub Actions run 123 (octo/fleet) on runner-7", "GitLab pipeline 9 on …", "alice@laptop". */
export function describeIdentity(identity: RunIdentity): string {
  const repo = identity.repository ? ` (${identity.repository})` : "";
  switch (identity.kind) {
    case "github":
      return `GitHub Actions run ${identity.runId ?? "?"}${repo} on ${identity.host}`;
    case "gitlab":
      return `GitLab pipeline ${identity.runId ?? "?"}${repo} on ${identity.host}`;
    case "local":
      return `${identity.user}@${identity.host}`;
  }
}
