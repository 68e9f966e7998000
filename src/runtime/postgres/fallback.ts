import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A journal record as the database stores it (one row of reform.journal). */
export interface JournalRow {
  readonly id: string;
  readonly run: string;
  readonly scope: readonly string[];
  readonly kind: string;
  readonly address: string | null;
  readonly recordedAt: string;
  readonly record: unknown;
}

/** An apply's history row (reform.runs), as written at its start and updated at its end. */
export interface RunRow {
  readonly id: string;
  readonly scope: readonly string[];
  readonly identity: unknown;
  readonly commit: string | null;
  readonly planDigest: string;
  readonly reformVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly outcome: string | null;
  readonly servers: unknown;
}

/** One line of the fallback file: a journal record or an apply's history row that the database did not take. */
export type FallbackLine = { readonly journal: JournalRow } | { readonly run: RunRow };

const FALLBACK_NAME = /^backend-fallback(?:-([0-9a-f-]{36}))?\.jsonl$/;

/**
 * Where one run's records go while the database is unreachable: next to the file journal,
 * `.reform/backend-fallback-RUN.jsonl` (its own file: two fleets in one directory never remove each other's).
 */
export function fallbackPathFor(journalPath: string, runId: string): string {
  return join(dirname(journalPath), `backend-fallback-${runId}.jsonl`);
}

/** The fallback files next to the file journal (and `backend-fallback.jsonl`, as earlier versions named it). */
export async function fallbackFilesFor(journalPath: string): Promise<string[]> {
  const dir = dirname(journalPath);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return names
    .filter((name) => FALLBACK_NAME.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** The run whose file this is (from its name); undefined for the unnamed file of earlier versions. */
export function runOfFallback(path: string): string | undefined {
  return FALLBACK_NAME.exec(basename(path))?.[1];
}

/** Appends lines to the fallback file, each synced before the call returns (as the file journal does). */
export class FallbackFile {
  readonly path: string;
  written = 0;
  private handle: Awaited<ReturnType<typeof open>> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async write(line: FallbackLine): Promise<void> {
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, "a", 0o600);
    }
    await this.handle.write(`${JSON.stringify(line)}\n`);
    await this.handle.datasync();
    this.written++;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** The fallback file's lines (a torn last line, cut by a kill, is skipped); undefined when there is no file. */
export async function readFallback(path: string): Promise<FallbackLine[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const lines: FallbackLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as Partial<{ journal: JournalRow; run: RunRow }>;
      if (value.journal && typeof value.journal.id === "string") lines.push({ journal: value.journal });
      else if (value.run && typeof value.run.id === "string") lines.push({ run: value.run });
    } catch {
      // a torn line: what it held was never acknowledged
    }
  }
  return lines;
}

export async function removeFallback(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Replaces the file's lines with `lines` (written aside, synced, then renamed over it). */
export async function rewriteFallback(path: string, lines: readonly FallbackLine[]): Promise<void> {
  const aside = `${path}.${process.pid}.tmp`;
  await writeFile(aside, lines.map((line) => `${JSON.stringify(line)}\n`).join(""), { mode: 0o600, flush: true });
  await rename(aside, path);
}
