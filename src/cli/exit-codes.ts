/** The exit codes of DESIGN §11. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** `plan --detailed-exitcode`: changes present; `drift`: drift found. */
  changes: 2,
  /** `drift`: configuration changes not yet applied, no drift. */
  unapplied: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
