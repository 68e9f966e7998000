/**
 * Settle confirmation for asynchronous steps. A server can look finished and then flap back for a while (its status
 * or task toggling after the action, or a Huawei job ending SUCCESS while the server still settles), so a step that
 * looks done is taken as done only once it has looked so on at least two polls in a row spanning at least `settleMs`,
 * with the same `mark` (the server's update time where the cloud shows one: a toggle between two polls moves it).
 * A poll on which it does not look done starts the count again.
 */
export interface SettleRun {
  /** When the step first looked done in this run of polls. */
  readonly since: number;
  readonly polls: number;
  readonly mark: string;
}

export interface SettleCheck {
  /** The run to remember for the next poll (undefined: not looking done). */
  readonly run: SettleRun | undefined;
  readonly settled: boolean;
}

/** One poll's verdict (pure): `looksDone` is the cloud-specific rule, the rest the confirmation. */
export function checkSettled(previous: SettleRun | undefined, looksDone: boolean, now: number, mark: string, settleMs: number): SettleCheck {
  if (!looksDone) return { run: undefined, settled: false };
  const run: SettleRun = previous && previous.mark === mark ? { ...previous, polls: previous.polls + 1 } : { since: now, polls: 1, mark };
  return { run, settled: run.polls >= 2 && now - run.since >= settleMs };
}
