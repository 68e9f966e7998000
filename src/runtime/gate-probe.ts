import { connect } from "node:net";
import type { GateProbe, GateTarget } from "../apply/gate.js";

/** The real readiness probe: a TCP connect, or an HTTP GET whose status must be 2xx (or the expected one). */
export const probeGate: GateProbe = async (target, attemptTimeoutMs, signal) => {
  signal.throwIfAborted();
  // Linked by hand and unlinked after each attempt: AbortSignal.any would leave a listener on the run's signal per attempt.
  const attempt = new AbortController();
  const onAbort = () => attempt.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => attempt.abort(new Error("attempt timed out")), attemptTimeoutMs);
  try {
    return target.type === "tcp" ? await probeTcp(target, attempt.signal) : await probeHttp(target, attempt.signal);
  } catch (error) {
    if (signal.aborted) throw error;
    if (attempt.signal.aborted) return { ok: false, why: `no answer within ${attemptTimeoutMs} ms` };
    return { ok: false, why: describeError(error) };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
};

function probeTcp(target: Extract<GateTarget, { type: "tcp" }>, signal: AbortSignal): Promise<{ ok: true }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, signal });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once("error", (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

async function probeHttp(
  target: Extract<GateTarget, { type: "http" }>,
  signal: AbortSignal,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const response = await fetch(target.url, { signal, redirect: "manual" });
  await response.body?.cancel();
  const passed =
    target.expectStatus === undefined
      ? response.status >= 200 && response.status < 300
      : response.status === target.expectStatus;
  if (passed) return { ok: true };
  const wanted = target.expectStatus === undefined ? "2xx" : String(target.expectStatus);
  return {
    ok: false,
    why: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""} (expected ${wanted})`,
  };
}

function describeError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException).code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
