import { resolve } from "node:path";
import { ReformError } from "../../model/errors.js";
import { historyOfServer, renderHistoryText, toHistoryDocument } from "../../render/history.js";
import type { BackendOptions } from "../backend.js";
import { openChosenBackend } from "../backend.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";

export interface HistoryCommandOptions extends Pick<BackendOptions, "backend"> {
  /** `--server ADDR`: only the applies that touched this server, and only its lines. */
  readonly server?: string;
  /** `--since DURATION` in ms: only applies that started that long ago or later. @default all that are kept */
  readonly since?: number;
  readonly output: "text" | "json";
}

/** `reform history`: past applies as the shared backend recorded them. */
export async function historyCommand(io: CliIo, options: HistoryCommandOptions): Promise<number> {
  const backend = await openChosenBackend(io, { journal: resolve(io.cwd, ".reform", "journal.jsonl") }, options);
  try {
    if (!backend.history) {
      throw new ReformError(
        "USAGE",
        `the backend ${backend.description} keeps no history: pass --backend postgres://USER@HOST/DATABASE or set REFORM_BACKEND`,
      );
    }
    const all = await backend.history(options.since === undefined ? 0 : io.clock.now() - options.since);
    const entries = options.server === undefined ? all : historyOfServer(all, options.server);
    io.stdout.write(
      options.output === "json"
        ? `${JSON.stringify(toHistoryDocument(entries), null, 2)}\n`
        : renderHistoryText(entries),
    );
    return EXIT.ok;
  } finally {
    await backend.close();
  }
}
