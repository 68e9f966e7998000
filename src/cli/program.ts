import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { tryParseDuration } from "../config/duration.js";
import { TIMEOUT_KINDS } from "../config/rollout.js";
import { VERSION } from "../version.js";
import { ReformError } from "../model/errors.js";
import { EXIT } from "./exit-codes.js";
import type { SimCommandOptions } from "./commands/sim.js";
import type { CliIo } from "./io.js";

const EXAMPLES = `
Examples:
  $ reform validate -c fleet.yaml
  $ reform plan -c fleet.yaml --detailed-exitcode
  $ reform plan -c fleet.yaml --output markdown --out plan.json
  $ reform apply -c fleet.yaml --auto-approve
  $ reform apply plan.json                      # a saved plan; refused if any server changed since
  $ reform show plan.json --output markdown
  $ reform sim --world world.yaml --port 8800

  $ reform drift -c fleet.yaml --output markdown --ignore metadata.monitoring
  $ reform import -c providers.yaml --out fleet.yaml   # the fleet file for the servers that already exist

Exit codes: 0 success or no changes, 1 error, 2 changes present (plan --detailed-exitcode) or drift,
3 configuration changes not yet applied and no drift (drift), 130/143 stopped by SIGINT/SIGTERM (sim: 0).
Docs: README.md and docs/ in the reform package (configuration.md, actions.md, ci.md, plan-format.md).`;

/** `onSignal`: the command runs until a signal stops it, so being stopped is its normal end, not an interruption. */
export type SetExit = (code: number, end?: { readonly onSignal: boolean }) => void;

/**
 * Parses argv with the command line's definition and runs the command it names, which reports its exit code through
 * `setExit`. commander's own ends (help, version, a usage error it has already printed) become exit codes here.
 */
export async function runProgram(
  argv: readonly string[],
  io: CliIo,
  signal: AbortSignal,
  setExit: SetExit,
): Promise<void> {
  try {
    await buildProgram(io, signal, setExit).parseAsync(normalizeArgv(argv), { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    setExit(error.exitCode === 0 ? EXIT.ok : EXIT.error);
  }
}

/** Terraform users type `-out FILE` (or `-out=FILE`); commander reads one-dash options as short flags, so it becomes `--out`. */
function normalizeArgv(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === "-out" || arg.startsWith("-out=") ? `-${arg}` : arg));
}

function buildProgram(io: CliIo, signal: AbortSignal, setExit: SetExit): Command {
  const program = new Command("reform")
    .description("Declarative, in-place reconciler for the OS state of cloud servers: plan, apply, verify.")
    .version(VERSION)
    .option("--debug", "print HTTP exchanges (secrets redacted) and stack traces")
    .addHelpText("after", EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const config = () => new Option("-c, --config <file>", "fleet file").default("fleet.yaml");
  const target = () =>
    new Option("--target <address>", "only this address (glob; repeatable)").argParser(collect).default([]);
  const noColor = () => new Option("--no-color", "no colours");
  // A fleet file comes from pull requests: what it may reach on disk and in the environment is the pipeline's to widen.
  const root = () =>
    new Option("--root <dir>", "directory the fleet file's paths may reach (must contain it; default: its directory)");
  const allowEnv = () =>
    new Option(
      "--allow-env <name>",
      "a variable ${env:NAME} may read besides REFORM_VAR_* (repeatable; also REFORM_ALLOW_ENV=A,B)",
    )
      .argParser(collect)
      .default([]);
  const allowEndpoint = () =>
    new Option(
      "--allow-endpoint <url>",
      "an endpoint origin a fleet file may point a provider at besides loopback (repeatable; also REFORM_ALLOW_ENDPOINTS)",
    )
      .argParser(collect)
      .default([]);
  // The backend is the pipeline's choice (a flag or REFORM_BACKEND), never the fleet file's.
  const backend = () =>
    new Option(
      "--backend <url>",
      "where the journal, lock and history live: file: (default) or postgres://USER@HOST:PORT/DB (also REFORM_BACKEND; password from the URL or PGPASSWORD)",
    );
  const lockTimeout = () =>
    new Option(
      "--lock-timeout <duration>",
      "wait this long for another apply's lock on the same providers (e.g. 10m) instead of stopping at once",
    ).argParser(durationOption);
  const fleetAccess = (command: Command) => command.addOption(root()).addOption(allowEnv()).addOption(allowEndpoint());

  fleetAccess(
    program.command("validate").description("check a fleet file without contacting any cloud").addOption(config()),
  ).action(async (o: { config: string; root?: string; allowEnv: string[] }) =>
    setExit(await (await import("./commands/validate.js")).validateCommand(io, o)),
  );

  fleetAccess(program.command("plan").description("read live servers and show what apply would do").addOption(config()))
    .addOption(
      new Option("--output <format>", "text, json or markdown").choices(["text", "json", "markdown"]).default("text"),
    )
    .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none", false)
    .option("--out <file>", "save the plan (JSON) for `reform apply FILE`; Terraform's spelling `-out FILE` works too")
    .option("--adopt", "record annotations for what cannot be observed, without touching servers", false)
    .option(
      "--max-reprovisions <n>",
      "refuse the plan when it reprovisions more servers than this (overrides limits.reprovision; recorded in the plan)",
      nonNegativeInt,
    )
    .option(
      "-v, --verbose",
      "also show, per server, the cheaper actions considered and why each cannot do the job",
      false,
    )
    .addOption(
      new Option(
        "--apply-secret <ref>",
        "a secret reference (env:NAME or file:PATH) that only the apply job provides: not looked up here (repeatable; also REFORM_APPLY_SECRETS)",
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(target())
    .addOption(noColor())
    .action(
      async (o: {
        config: string;
        root?: string;
        allowEnv: string[];
        allowEndpoint: string[];
        output: "text" | "json" | "markdown";
        detailedExitcode: boolean;
        out?: string;
        target: string[];
        adopt: boolean;
        applySecret: string[];
        maxReprovisions?: number;
        verbose: boolean;
        color: boolean;
      }) =>
        setExit(
          await (
            await import("./commands/plan.js")
          ).planCommand(io, { ...o, debug: program.opts<{ debug?: boolean }>().debug ?? false }, signal),
        ),
    );

  const apply = program
    .command("apply")
    .description("plan, confirm, then change servers in place and verify them; or execute a saved plan")
    .argument("[planfile]", "a plan saved with `plan --out`: executed without asking, refused if stale")
    .addOption(config())
    .addOption(root())
    .addOption(allowEnv())
    .addOption(allowEndpoint())
    .option("--auto-approve", "do not ask for confirmation", false)
    .addOption(
      new Option("--output <format>", "text or json (the apply report)").choices(["text", "json"]).default("text"),
    )
    .option("--adopt", "record annotations for what cannot be observed, without touching servers", false)
    .option("--parallelism <n>", "most servers in flight at once", positiveInt)
    .option("--poll-interval <ms>", "time between bulk status polls", positiveInt)
    .option(
      "--timeout <kind=duration>",
      "step timeout over the fleet file's, e.g. rebuild=45m (kinds: rebuild, reinstall, changeos, reboot, stop, start, update-metadata, wait; repeatable)",
      timeoutOption,
    )
    .option(
      "--continue",
      "approve the canaries that converged in an earlier run (canaryApproval: manual) and roll on",
      false,
    )
    .option(
      "--max-reprovisions <n>",
      "refuse to run a plan that reprovisions more servers than this (overrides limits.reprovision and a saved plan's limit)",
      nonNegativeInt,
    )
    .option(
      "--rollback",
      "instead of the fleet file's changes: take the servers the last run in the journal changed back to their state before it",
      false,
    )
    .addOption(backend())
    .addOption(lockTimeout())
    .addOption(target())
    .addOption(noColor())
    .action(
      async (
        planfile: string | undefined,
        o: {
          config: string;
          root?: string;
          allowEnv: string[];
          allowEndpoint: string[];
          autoApprove: boolean;
          output: "text" | "json";
          adopt: boolean;
          parallelism?: number;
          pollInterval?: number;
          timeout?: Record<string, number>;
          continue: boolean;
          maxReprovisions?: number;
          rollback: boolean;
          backend?: string;
          lockTimeout?: number;
          target: string[];
          color: boolean;
        },
      ) => {
        const options = {
          ...o,
          configGiven: apply.getOptionValueSource("config") === "cli",
          debug: program.opts<{ debug?: boolean }>().debug ?? false,
        };
        if (planfile && o.rollback)
          throw new ReformError("USAGE", "--rollback takes no plan file: it rolls back the last run in the journal");
        const { applyCommand, applySavedPlanCommand } = await import("./commands/apply.js");
        setExit(
          planfile
            ? await applySavedPlanCommand(io, planfile, options, signal)
            : await applyCommand(io, options, signal),
        );
      },
    );

  program
    .command("show")
    .description("render a saved plan, or the JSON report of apply or drift")
    .argument("<file>", "a plan saved with `plan --out`, or `apply`/`drift --output json`")
    .addOption(
      new Option("--output <format>", "text, json or markdown").choices(["text", "json", "markdown"]).default("text"),
    )
    .addOption(noColor())
    .option("-v, --verbose", "a plan's text also shows, per server, the cheaper actions considered and why not", false)
    .action(async (planfile: string, o: { output: "text" | "json" | "markdown"; color: boolean; verbose: boolean }) =>
      setExit(await (await import("./commands/show.js")).showCommand(io, planfile, o)),
    );

  fleetAccess(
    program
      .command("drift")
      .description(
        "read-only: report servers that moved away from what reform last applied (exit 2) or have unapplied changes (exit 3)",
      )
      .addOption(config()),
  )
    .addOption(
      new Option("--output <format>", "text, json or markdown").choices(["text", "json", "markdown"]).default("text"),
    )
    .addOption(
      new Option(
        "--ignore <field|address>",
        "known noise: a field (metadata.KEY, userData, image; globs) or an address glob (repeatable)",
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(target())
    .addOption(noColor())
    .action(
      async (o: {
        config: string;
        root?: string;
        allowEnv: string[];
        allowEndpoint: string[];
        output: "text" | "json" | "markdown";
        ignore: string[];
        target: string[];
        color: boolean;
      }) =>
        setExit(
          await (
            await import("./commands/drift.js")
          ).driftCommand(io, { ...o, debug: program.opts<{ debug?: boolean }>().debug ?? false }, signal),
        ),
    );

  fleetAccess(
    program
      .command("import")
      .description("write the fleet file for the servers that already exist (changes nothing on them unless --adopt)")
      .addOption(config()),
  )
    .addOption(
      new Option("--provider <name>", "only this provider of the file (repeatable)").argParser(collect).default([]),
    )
    .addOption(
      new Option("--match <glob>", "only servers whose name matches (repeatable)").argParser(collect).default([]),
    )
    .option("--out <file>", "write the fleet file here (default: standard output)")
    .option("--force", "overwrite --out when it exists", false)
    .option(
      "--adopt",
      "also record reform's annotations on the imported servers, as apply --adopt does (needs --out)",
      false,
    )
    .addOption(backend())
    .addOption(lockTimeout())
    .addOption(noColor())
    .action(
      async (o: {
        config: string;
        root?: string;
        allowEnv: string[];
        allowEndpoint: string[];
        provider: string[];
        match: string[];
        out?: string;
        force: boolean;
        adopt: boolean;
        backend?: string;
        lockTimeout?: number;
        color: boolean;
      }) =>
        setExit(
          await (
            await import("./commands/import.js")
          ).importCommand(io, { ...o, debug: program.opts<{ debug?: boolean }>().debug ?? false }, signal),
        ),
    );

  program
    .command("history")
    .description("list past applies recorded by the shared backend (--backend postgres://… or REFORM_BACKEND)")
    .addOption(backend())
    .option("--server <address>", "only the applies that touched this server (e.g. dc1/web-1)")
    .addOption(
      new Option("--since <duration>", "only applies started within this time (e.g. 7d, 24h)").argParser(
        durationOption,
      ),
    )
    .addOption(new Option("--output <format>", "text or json").choices(["text", "json"]).default("text"))
    .action(async (o: { backend?: string; server?: string; since?: number; output: "text" | "json" }) =>
      setExit(await (await import("./commands/history.js")).historyCommand(io, o)),
    );

  program
    .command("schema")
    .description("print a JSON Schema")
    .argument("[which]", "fleet or plan", "fleet")
    .action(async (which: string) => setExit(await (await import("./commands/schema.js")).schemaCommand(io, which)));

  program
    .command("sim")
    .description("run the cloud emulator in the foreground")
    .requiredOption("--world <file>", "world file (YAML)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0 picks a free one)", nonNegativeInt, 8800)
    .option("--seed <n>", "seed of fault injection", nonNegativeInt, 1)
    .option("--state <file>", "persist the world's state to this file between runs")
    .option(
      "--max-microversion <v>",
      "highest compute microversion to offer (default 2.100; e.g. 2.92: no volume-backed rebuild)",
    )
    .option("--rebuild-time <duration>", "how long a rebuild takes (e.g. 2s)")
    .option("--reboot-time <duration>", "how long a reboot takes")
    .option("--stop-time <duration>", "how long a stop takes")
    .option("--start-time <duration>", "how long a start takes")
    .option("--latency <duration>", "latency added to every API response")
    .option("--error-rate <rate>", "share of API requests answered 503 (0..1)", rate)
    .option("--throttle-rate <rate>", "share of API requests answered 429 (0..1)", rate)
    .option("--drop-rate <rate>", "share of API requests whose connection is dropped (0..1)", rate)
    .option(
      "--drop-response-rate <rate>",
      "share of API requests handled whose answer is cut mid-response (0..1)",
      rate,
    )
    .option("--ambiguous-rate <rate>", "share of mutations applied whose answer is lost (0..1)", rate)
    .option("--action-fail-rate <rate>", "share of accepted rebuilds/reinstalls that end in error (0..1)", rate)
    .option("--hang-rate <rate>", "share of Huawei jobs that never finish (0..1)", rate)
    .option(
      "--flap-rate <rate>",
      "share of asynchronous actions (all three clouds) after which the status toggles (0..1)",
      rate,
    )
    .option("--flap <duration>", "how long a flapping server toggles (e.g. 1s)")
    .option("--throttle-burst <n>", "a 429 comes in a burst of this many answers", positiveInt)
    .action(async (o: SimCommandOptions) =>
      setExit(await (await import("./commands/sim.js")).simCommand(io, o, signal), { onSignal: true }),
    );
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--timeout rebuild=45m`, repeatable: collected into one map. */
function timeoutOption(value: string, previous: Record<string, number> | undefined): Record<string, number> {
  const match = /^([a-z-]+)=(.+)$/.exec(value.trim());
  const kind = match?.[1] ?? "";
  const ms = match ? tryParseDuration(match[2] ?? "") : undefined;
  if (!match || !(TIMEOUT_KINDS as readonly string[]).includes(kind))
    throw new InvalidArgumentError(
      `expected KIND=DURATION with KIND one of ${TIMEOUT_KINDS.join(", ")}, e.g. rebuild=45m`,
    );
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError("expected a duration such as 90s, 45m or 1h30m after '='");
  return { ...previous, [kind]: ms };
}

/** A duration as the fleet file writes them (90s, 10m, 1h30m), or whole days (7d). */
function durationOption(value: string): number {
  const days = /^(\d+)d$/.exec(value.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : tryParseDuration(value);
  if (ms === undefined || ms < 0) throw new InvalidArgumentError("expected a duration such as 30s, 10m, 1h30m or 7d");
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("expected a number from 0 to 1");
  return n;
}
