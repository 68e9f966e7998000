import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { ROOT } from "./run-page.js";

/**
 * What the README says to type after `npm install && npm run demo`, and what the example workflows install with,
 * run for real with npm (offline, with a throw-away global folder): each gives the reform of this checkout.
 */

const run = promisify(execFile);

describe("running reform after the two set-up commands", { timeout: 60_000 }, () => {
  let home: string;
  const npmEnv = (prefix: string) => ({
    PATH: process.env["PATH"] ?? "",
    HOME: home,
    NPM_CONFIG_PREFIX: prefix,
    NPM_CONFIG_OFFLINE: "true",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    NPM_CONFIG_AUDIT: "false",
    NPM_CONFIG_FUND: "false",
  });
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "reform-getting-started-"));
  });
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it("`npx reform` runs this checkout's reform from the checkout and from a folder in it, with no registry", async () => {
    for (const cwd of [ROOT, join(ROOT, "examples", "worlds")]) {
      const { stdout } = await run("npx", ["reform", "--version"], { cwd, env: npmEnv(join(home, "unused")) });
      expect(stdout.trim()).toBe(VERSION);
    }
  });

  it("`npm link` puts `reform` on the PATH and `npm rm --global reform` takes it off; the workflows' `npm install --global .` does the same; the checkout is left as it was", async () => {
    const lock = await readFile(join(ROOT, "package-lock.json"), "utf8");
    for (const install of [["link"], ["install", "--global", "."]]) {
      const prefix = await mkdtemp(join(home, "global-"));
      await run("npm", install, { cwd: ROOT, env: npmEnv(prefix) });
      const { stdout } = await run(join(prefix, "bin", "reform"), ["--version"], {
        env: { PATH: process.env["PATH"] ?? "" },
      });
      expect(stdout.trim()).toBe(VERSION);
      await run("npm", ["rm", "--global", "reform"], { cwd: home, env: npmEnv(prefix) });
      await expect(access(join(prefix, "bin", "reform"))).rejects.toThrow(/ENOENT/);
    }
    expect(await readFile(join(ROOT, "package-lock.json"), "utf8")).toBe(lock);
  });
});
