import type { InstanceAddress } from "../model/address.js";
import type { StepKind } from "../model/action.js";

/** One line of the apply journal: each started, finished or failed step, with the cloud's operation handle. */
export interface JournalEntry {
  readonly time: string;
  readonly run: string;
  readonly address: InstanceAddress;
  readonly id: string;
  readonly step: StepKind;
  readonly event: "started" | "finished" | "failed";
  readonly requestId?: string;
  readonly jobId?: string;
  readonly message?: string;
}

export interface Journal {
  append(entry: JournalEntry): Promise<void>;
}

export const noJournal: Journal = { append: async () => undefined };
