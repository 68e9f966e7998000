import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The throwaway cluster test/postgres/run.sh started (its settings come in REFORM_TEST_PG_*). */
export interface TestCluster {
  /** postgres://reform:PASSWORD@127.0.0.1:PORT/reform, password authentication over TCP. */
  readonly url: string;
  readonly password: string;
  readonly port: number;
  /** A new, empty database owned by reform: the URL to it. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast: sessions are terminated, as when a database host goes away) and starts it again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Everything the database holds, as pg_dump writes it (schema and data). */
  dump(url: string): Promise<string>;
}

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined)
    throw new Error(
      `${name} is not set: run this suite with npm run test:postgres (test/postgres/run.sh starts the database)`,
    );
  return value;
}

export function testCluster(): TestCluster {
  const url = setting("REFORM_TEST_PG_URL");
  const password = setting("REFORM_TEST_PG_PASSWORD");
  const socket = setting("REFORM_TEST_PG_SOCKET");
  const port = Number(setting("REFORM_TEST_PG_PORT"));
  const bin = setting("REFORM_TEST_PG_BIN");
  const data = setting("REFORM_TEST_PG_DATA");
  const opts = setting("REFORM_TEST_PG_OPTS");
  const runAs = process.env["REFORM_TEST_PG_RUNAS"] ?? "";
  // From the cluster's directory: the checkout may be one the cluster's owner cannot enter.
  const asOwner = (program: string, args: string[]) =>
    runAs !== ""
      ? run("runuser", ["-u", runAs, "--", program, ...args], { cwd: socket })
      : run(program, args, { cwd: socket });
  return {
    url,
    password,
    port,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ host: socket, port, user: "postgres", database: "postgres" });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name} OWNER reform`);
      } finally {
        await admin.end();
      }
      return url.replace(/\/reform$/, `/${name}`);
    },
    async stop() {
      await asOwner(`${bin}/pg_ctl`, ["-D", data, "stop", "-m", "fast", "-w"]);
    },
    async start() {
      await asOwner(`${bin}/pg_ctl`, ["-D", data, "-l", `${socket}/server.log`, "-o", opts, "-w", "-t", "60", "start"]);
    },
    async dump(target) {
      const { stdout } = await run(`${bin}/pg_dump`, ["--dbname", target], {
        env: { ...process.env, PGPASSWORD: password },
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    },
  };
}
