import { createServer as createHttpServer } from "node:http";
import type { Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo, Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForGate } from "../apply/gate.js";
import type { GateProbe, GateSubject } from "../apply/gate.js";
import type { ReadinessGate } from "../model/desired.js";
import { probeGate } from "./gate-probe.js";
import { instantClock } from "../../test/support/instant-clock.js";

const signal = new AbortController().signal;

/** A server with these addresses, for gates that use only `{address}`. */
function at(...addresses: string[]): GateSubject {
  return { id: "3f1c0000-0000-4000-8000-000000000001", name: "web-1", addresses, provider: "dc1" };
}

function listen(server: Server | TcpServer, port = 0): Promise<number> {
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: Server | TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The real probe, counting attempts and running `before` ahead of attempt n. */
function countingProbe(
  before: (attempt: number) => Promise<void> = async () => undefined,
): GateProbe & { attempts: number } {
  const probe = Object.assign(
    async (...args: Parameters<GateProbe>) => {
      probe.attempts += 1;
      await before(probe.attempts);
      return probeGate(...args);
    },
    { attempts: 0 },
  );
  return probe;
}

describe("readiness gates against real loopback servers", () => {
  let http: Server;
  let httpPort: number;
  let answers: number[];

  beforeAll(async () => {
    answers = [];
    http = createHttpServer((req, res) => {
      const status = req.url === "/healthz" ? (answers.shift() ?? 200) : 404;
      res.writeHead(status).end("ok");
    });
    httpPort = await listen(http);
  });

  afterAll(async () => {
    await close(http);
  });

  it("passes an HTTP gate once the URL answers 2xx, with {address} replaced", async () => {
    answers = [503, 503];
    const gate: ReadinessGate = {
      type: "http",
      url: `http://{address}:${httpPort}/healthz`,
      timeoutMs: 60_000,
      intervalMs: 1000,
    };
    const probe = countingProbe();
    const result = await waitForGate(gate, at("127.0.0.1", "10.0.0.9"), { clock: instantClock(0), signal, probe });
    expect(result).toEqual({ type: "passed", attempts: 3, waitedMs: 2000 });
  });

  it("fails an HTTP gate at its timeout, saying what it last saw", async () => {
    answers = Array.from({ length: 50 }, () => 503);
    const gate: ReadinessGate = {
      type: "http",
      url: `http://127.0.0.1:${httpPort}/healthz`,
      timeoutMs: 10_000,
      intervalMs: 2000,
    };
    const result = await waitForGate(gate, at(), { clock: instantClock(0), signal, probe: countingProbe() });
    expect(result).toEqual({
      type: "failed",
      why: `readiness gate http://127.0.0.1:${httpPort}/healthz did not pass within 10s (6 attempts; last: HTTP 503 Service Unavailable (expected 2xx))`,
    });
    answers = [];
  });

  it("checks the expected status when one is given", async () => {
    answers = [200, 204];
    const gate: ReadinessGate = {
      type: "http",
      url: `http://127.0.0.1:${httpPort}/healthz`,
      expectStatus: 204,
      timeoutMs: 10_000,
      intervalMs: 1000,
    };
    expect(await waitForGate(gate, at(), { clock: instantClock(0), signal, probe: countingProbe() })).toMatchObject({
      type: "passed",
      attempts: 2,
    });
  });

  it("passes a TCP gate once the port accepts connections", async () => {
    const holder = createTcpServer();
    const port = await listen(holder);
    await close(holder);
    const server = createTcpServer((socket) => socket.destroy());
    const probe = countingProbe(async (attempt) => {
      if (attempt === 3) await listen(server, port);
    });
    const gate: ReadinessGate = { type: "tcp", port, timeoutMs: 60_000, intervalMs: 5000 };
    const result = await waitForGate(gate, at("127.0.0.1"), { clock: instantClock(0), signal, probe });
    await close(server);
    expect(result).toEqual({ type: "passed", attempts: 3, waitedMs: 10_000 });
  });

  it("fails a TCP gate on a closed port with the connection error, and a gate with no address to probe", async () => {
    const holder = createTcpServer();
    const port = await listen(holder);
    await close(holder);
    const gate: ReadinessGate = { type: "tcp", port, timeoutMs: 3000, intervalMs: 1000 };
    const result = await waitForGate(gate, at("127.0.0.1"), { clock: instantClock(0), signal, probe: countingProbe() });
    expect(result.type === "failed" && result.why).toMatch(
      new RegExp(
        `^readiness gate tcp 127\\.0\\.0\\.1:${port} did not pass within 3s \\(4 attempts; last: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)$`,
      ),
    );
    expect(await waitForGate(gate, at(), { clock: instantClock(0), signal, probe: countingProbe() })).toEqual({
      type: "failed",
      why: "readiness gate: the server has no IP address to probe",
    });
  });

  it("never shows credentials written in a gate URL", async () => {
    const gate: ReadinessGate = {
      type: "http",
      url: `http://probe:Hunter2-Secret@127.0.0.1:1/healthz`,
      timeoutMs: 1000,
      intervalMs: 1000,
    };
    const result = await waitForGate(gate, at(), {
      clock: instantClock(0),
      signal,
      probe: async () => ({ ok: false, why: "refused" }),
    });
    expect(JSON.stringify(result)).not.toContain("Hunter2");
    expect(result).toMatchObject({
      type: "failed",
      why: expect.stringContaining("http://(credentials)@127.0.0.1:1/healthz"),
    });
  });
});

describe("probeGate", () => {
  it("leaves no listener on the caller's signal after an attempt (no leak over a long rollout)", async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (
      removed++,
      remove(...args)
    )) as typeof remove;
    for (let i = 0; i < 20; i++) await probeGate({ type: "tcp", host: "127.0.0.1", port: 1 }, 1000, controller.signal);
    expect(added).toBe(20);
    expect(removed).toBe(20);
  });
});
