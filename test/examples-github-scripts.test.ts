import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * The `actions/github-script` steps of the GitHub Actions examples, run against a recording fake of the
 * Octokit calls they make: one plan comment per pull request, one drift issue opened, updated and closed.
 * (Schema validation and the shell steps: examples-github-actions.test.ts.)
 */

const DIR = join(resolve(import.meta.dirname, ".."), "examples", "github-actions");

interface Step {
  readonly name?: string;
  readonly with?: Record<string, string | number | boolean>;
}

function load(file: string): { readonly env: Record<string, string>; readonly steps: readonly Step[] } {
  const workflow = parse(readFileSync(join(DIR, file), "utf8")) as {
    env: Record<string, string>;
    jobs: Record<string, { steps: Step[] }>;
  };
  return { env: workflow.env, steps: Object.values(workflow.jobs)[0]!.steps };
}

interface Call {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/** A recording fake of the Octokit calls the scripts make, over an in-memory repository. */
function fakeGitHub(state: {
  comments: { id: number; user: { type: string }; body: string }[];
  issues: { number: number; state: string; labels: string[]; body: string; pull_request?: object }[];
}) {
  const calls: Call[] = [];
  const record = (method: string) => async (params: Record<string, unknown>) => {
    calls.push({ method, params });
    return { data: {} };
  };
  const rest = {
    issues: {
      listComments: async () => ({ data: state.comments }),
      createComment: async (p: Record<string, unknown>) => {
        await record("issues.createComment")(p);
        if (typeof p.comment_id !== "number")
          state.comments.push({ id: 100 + state.comments.length, user: { type: "Bot" }, body: String(p.body) });
        return { data: {} };
      },
      updateComment: async (p: Record<string, unknown>) => {
        await record("issues.updateComment")(p);
        const c = state.comments.find((x) => x.id === p.comment_id);
        if (c) c.body = String(p.body);
        return { data: {} };
      },
      listForRepo: async (p: { labels: string; state: string }) => ({
        data: state.issues.filter((i) => i.state === p.state && i.labels.includes(p.labels)),
      }),
      create: async (p: Record<string, unknown>) => {
        await record("issues.create")(p);
        state.issues.push({ number: 7, state: "open", labels: p.labels as string[], body: String(p.body) });
        return { data: {} };
      },
      update: async (p: Record<string, unknown>) => {
        await record("issues.update")(p);
        const i = state.issues.find((x) => x.number === p.issue_number)!;
        if (typeof p.body === "string") i.body = p.body;
        if (typeof p.state === "string") i.state = p.state;
        return { data: {} };
      },
    },
  };
  const github = {
    rest,
    paginate: async (fn: (p: never) => Promise<{ data: unknown[] }>, p: unknown) => (await fn(p as never)).data,
  };
  return { github, calls };
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => AsyncFn;

async function runScript(
  file: string,
  stepName: string,
  dir: string,
  github: unknown,
  env: Record<string, string>,
): Promise<void> {
  const { env: workflowEnv, steps } = load(file);
  const s = steps.find((x) => x.name === stepName);
  const script = String(s?.with?.script);
  const context = {
    repo: { owner: "acme", repo: "fleet" },
    serverUrl: "https://github.com",
    runId: 42,
    payload: { pull_request: { number: 5, head: { sha: "0123456789abcdef" } } },
  };
  const fs = { readFileSync: (path: string, encoding: BufferEncoding) => readFileSync(join(dir, path), encoding) };
  const requireFake = (id: string) => {
    if (id === "node:fs") return fs;
    throw new Error(`unexpected require ${id}`);
  };
  const core = {
    setFailed: (message: string) => {
      throw new Error(message);
    },
  };
  await new AsyncFunction("github", "context", "core", "require", "process", script)(
    github,
    context,
    core,
    requireFake,
    { env: { ...workflowEnv, ...env } },
  );
}

describe("the workflows' github-script steps, against a fake GitHub", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-gh-"));
    await writeFile(join(dir, "plan.md"), "## reform plan\n\n**Plan: 1 rebuild.**\n");
    await writeFile(
      join(dir, "drift.md"),
      "## reform drift\n\n**Drift: 1 drifted, 0 unapplied, 1 in sync, 0 unknown.**\n",
    );
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("plan-on-pr keeps ONE comment: created once, then updated; someone else's comment quoting the marker is left alone", async () => {
    const state = {
      comments: [{ id: 1, user: { type: "User" }, body: "<!-- reform-plan: fleet.yaml --> quoted by a person" }],
      issues: [],
    };
    const { github, calls } = fakeGitHub(state);
    await runScript("plan-on-pr.yml", "Post or update the plan comment", dir, github, { EXIT_CODE: "2" });
    await runScript("plan-on-pr.yml", "Post or update the plan comment", dir, github, { EXIT_CODE: "2" });
    expect(calls.map((c) => c.method)).toEqual(["issues.createComment", "issues.updateComment"]);
    expect(calls[1]?.params.comment_id).toBe(101);
    const body = String(calls[0]?.params.body);
    expect(body.startsWith("<!-- reform-plan: fleet.yaml -->\n## reform plan")).toBe(true);
    expect(body).toContain("artifact `reform-plan-pr-5`");
    expect(state.comments[0]?.body).toBe("<!-- reform-plan: fleet.yaml --> quoted by a person");
    await runScript("plan-on-pr.yml", "Post or update the plan comment", dir, github, { EXIT_CODE: "1" });
    expect(String(calls[2]?.params.body)).toContain("reform plan exited 1: nothing can be applied from this run");
  });

  it("nightly-drift opens one issue on drift, updates it the next night, and comments and closes it once back in sync", async () => {
    const state = {
      comments: [],
      issues: [{ number: 3, state: "open", labels: ["reform-drift"], body: "a pull request", pull_request: {} }],
    };
    const { github, calls } = fakeGitHub(state);
    const night = (code: string) =>
      runScript("nightly-drift.yml", "Open, update or close the drift issue", dir, github, { EXIT_CODE: code });
    await night("0");
    expect(calls).toEqual([]);
    await night("2");
    await night("2");
    expect(calls.map((c) => c.method)).toEqual(["issues.create", "issues.update"]);
    expect(calls[0]?.params).toMatchObject({
      title: "Drift: servers changed outside reform (fleet.yaml)",
      labels: ["reform-drift"],
    });
    expect(String(calls[0]?.params.body)).toMatch(/^<!-- reform-drift: fleet\.yaml -->\n## reform drift/);
    expect(calls[1]?.params).toMatchObject({ issue_number: 7 });
    await night("3");
    expect(calls.slice(2).map((c) => c.method)).toEqual(["issues.createComment", "issues.update"]);
    expect(String(calls[2]?.params.body)).toMatch(
      /^No drift any more; configuration changes are waiting to be applied \(exit 3\)/,
    );
    expect(calls[3]?.params).toMatchObject({ issue_number: 7, state: "closed" });
    await night("0");
    expect(calls).toHaveLength(4);
  });
});
