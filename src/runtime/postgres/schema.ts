import type { ClientBase } from "pg";
import { ReformError } from "../../model/errors.js";

/** The advisory lock class of reform's locks (`pg_try_advisory_lock(LOCK_CLASS, hashtext(provider))`): "refo". */
export const LOCK_CLASS = 0x7265666f;
/** Held (per transaction) while the schema is created or migrated, so two first runs do not race. */
const MIGRATION_LOCK = [LOCK_CLASS + 1, 0] as const;

/**
 * The schema's versions, in order: migration N brings the schema from version N-1 to N. Never edit one that was
 * released; add the next. Journal records are stored whole as JSONB with their kind beside them, so a new kind of
 * record needs no migration.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE reform.journal (
     id uuid PRIMARY KEY,
     seq bigserial NOT NULL,
     run text NOT NULL,
     scope text[] NOT NULL,
     kind text NOT NULL,
     address text,
     recorded_at timestamptz NOT NULL,
     record jsonb NOT NULL
   );
   CREATE INDEX journal_scope ON reform.journal USING gin (scope);
   CREATE INDEX journal_recorded_at ON reform.journal (recorded_at);
   CREATE TABLE reform.runs (
     id uuid PRIMARY KEY,
     scope text[] NOT NULL,
     identity jsonb NOT NULL,
     commit text,
     plan_digest text NOT NULL,
     reform_version text NOT NULL,
     started_at timestamptz NOT NULL,
     finished_at timestamptz,
     outcome text,
     servers jsonb NOT NULL DEFAULT '[]'
   );
   CREATE INDEX runs_started_at ON reform.runs (started_at);
   CREATE TABLE reform.locks (
     scope text PRIMARY KEY,
     holder jsonb NOT NULL,
     since timestamptz NOT NULL,
     backend_pid integer NOT NULL
   );`,
];

/**
 * Creates the schema `reform` on first use and brings it to the latest version, in one transaction under an
 * advisory lock. A database whose schema is newer than this reform knows is refused (an older reform must not
 * write to it).
 */
export async function ensureSchema(client: ClientBase, where: string): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...MIGRATION_LOCK]);
    await client.query("CREATE SCHEMA IF NOT EXISTS reform");
    await client.query(
      "CREATE TABLE IF NOT EXISTS reform.schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ version: number | null }>(
      "SELECT max(version) AS version FROM reform.schema_version",
    );
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new ReformError(
        "BACKEND",
        `the backend ${where} has schema version ${current}, newer than this reform knows (${MIGRATIONS.length}): upgrade reform`,
      );
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1] ?? "");
      await client.query("INSERT INTO reform.schema_version (version) VALUES ($1)", [version]);
    }
    await client.query("COMMIT");
    return MIGRATIONS.length;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
