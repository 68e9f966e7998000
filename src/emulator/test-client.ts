import { request } from "undici";
import type { Emulator } from "./types.js";

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience over JSON bodies
}

/** A tiny HTTP client for tests: JSON in, JSON out. */
export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const res = await request(url, {
    method: (init.method ?? "GET") as "GET",
    headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.statusCode, headers: res.headers, body };
}

export function passwordAuth(user: string, password: string, project = "demo"): unknown {
  return {
    auth: {
      identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } },
      scope: { project: { name: project, domain: { name: "Default" } } },
    },
  };
}

export async function tokenFor(emulator: Emulator, user: string, password: string): Promise<string> {
  const reply = await call(`${emulator.urls.identity}/auth/tokens`, {
    method: "POST",
    body: passwordAuth(user, password),
  });
  if (reply.status !== 201) throw new Error(`auth failed: ${reply.status}`);
  return reply.headers["x-subject-token"] as string;
}

/** A Nova client bound to a token and a microversion. */
export function nova(emulator: Emulator, token: string, microversion = "2.1") {
  return (path: string, init: { method?: string; body?: unknown; version?: string } = {}) =>
    call(`${emulator.urls.compute}${path}`, {
      ...init,
      headers: { "x-auth-token": token, "openstack-api-version": `compute ${init.version ?? microversion}` },
    });
}

export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
