import { isRecord } from "../http.js";
import type { OpenStackCloud, Principal } from "./state.js";
import type { TokenInfo, TokenStore } from "./tokens.js";
import { principalFor } from "./tokens.js";

const DEFAULT_DOMAIN = { id: "default", name: "Default" };

/** Why an authentication was refused: 400 for a malformed request, 401 otherwise. Messages never carry secrets. */
export class AuthFailure extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

const UNAUTHORIZED = "The request you have made requires authentication.";

function domainOk(domain: unknown): boolean {
  if (domain === undefined) return true;
  if (!isRecord(domain)) return false;
  return domain.id === DEFAULT_DOMAIN.id || domain.name === DEFAULT_DOMAIN.name;
}

/** Runs POST /v3/auth/tokens' identity methods and scope; returns what the new token stands for. */
export function authenticate(
  cloud: OpenStackCloud,
  tokens: TokenStore,
  auth: unknown,
): Omit<TokenInfo, "issuedAt" | "expiresAt" | "auditId"> {
  if (!isRecord(auth) || !isRecord(auth.identity) || !Array.isArray(auth.identity.methods))
    throw new AuthFailure(400, "Expecting to find identity in auth.");
  const methods = auth.identity.methods.filter((m): m is string => typeof m === "string");
  const method = methods[0];
  const identity = auth.identity;
  switch (method) {
    case "password":
      return { principal: scoped(cloud, passwordUser(cloud, identity.password), auth.scope), methods };
    case "token":
      return { principal: reScoped(cloud, tokens, identity.token, auth.scope), methods };
    case "application_credential":
      return applicationCredential(cloud, identity.application_credential, auth.scope, methods);
    default:
      throw new AuthFailure(401, `Attempted to authenticate with an unsupported method.`);
  }
}

function passwordUser(cloud: OpenStackCloud, password: unknown): string {
  if (!isRecord(password) || !isRecord(password.user))
    throw new AuthFailure(400, "Expecting to find user in password.");
  const u = password.user;
  const user =
    typeof u.id === "string"
      ? cloud.users.get(u.id)
      : typeof u.name === "string" && domainOk(u.domain)
        ? cloud.userByName(u.name)
        : undefined;
  if (u.id === undefined && u.domain === undefined) throw new AuthFailure(400, "Expecting to find domain in user.");
  if (!user || typeof u.password !== "string" || u.password !== user.password) throw new AuthFailure(401, UNAUTHORIZED);
  return user.id;
}

function scoped(cloud: OpenStackCloud, userId: string, scope: unknown): Principal {
  const user = cloud.users.get(userId);
  if (!user) throw new AuthFailure(401, UNAUTHORIZED);
  let projectId = user.projectId;
  if (scope !== undefined && scope !== "unscoped") {
    if (!isRecord(scope) || !isRecord(scope.project))
      throw new AuthFailure(401, "Only project scope is supported by this emulator.");
    const p = scope.project;
    const project =
      typeof p.id === "string"
        ? cloud.projects.get(p.id)
        : typeof p.name === "string" && domainOk(p.domain)
          ? cloud.projectByName(p.name)
          : undefined;
    if (!project) throw new AuthFailure(401, UNAUTHORIZED);
    projectId = project.id;
  }
  const principal = principalFor(cloud, userId, projectId);
  if (!principal) throw new AuthFailure(401, `User ${userId} has no access to project ${projectId}.`);
  return principal;
}

function reScoped(cloud: OpenStackCloud, tokens: TokenStore, token: unknown, scope: unknown): Principal {
  if (!isRecord(token) || typeof token.id !== "string") throw new AuthFailure(400, "Expecting to find id in token.");
  const info = tokens.validate(token.id);
  if (!info) throw new AuthFailure(401, UNAUTHORIZED);
  if (scope === undefined) return info.principal;
  if (!cloud.users.has(info.principal.userId)) return info.principal;
  return scoped(cloud, info.principal.userId, scope);
}

function applicationCredential(
  cloud: OpenStackCloud,
  body: unknown,
  scope: unknown,
  methods: readonly string[],
): Omit<TokenInfo, "issuedAt" | "expiresAt" | "auditId"> {
  if (!isRecord(body) || typeof body.secret !== "string")
    throw new AuthFailure(400, "Expecting to find secret in application_credential.");
  if (scope !== undefined) throw new AuthFailure(401, "Application credentials cannot request a scope.");
  const credential = typeof body.id === "string" ? cloud.applicationCredentials.get(body.id) : byName(cloud, body);
  if (!credential || credential.secret !== body.secret) throw new AuthFailure(401, UNAUTHORIZED);
  const user = cloud.users.get(credential.userId);
  const principal = user && principalFor(cloud, user.id, user.projectId);
  if (!principal) throw new AuthFailure(401, UNAUTHORIZED);
  return { principal, methods, applicationCredential: { id: credential.id, name: credential.name } };
}

function byName(cloud: OpenStackCloud, body: Record<string, unknown>) {
  if (typeof body.name !== "string" || !isRecord(body.user))
    throw new AuthFailure(400, "Expecting to find id or name and user in application_credential.");
  const u = body.user;
  const user =
    typeof u.id === "string"
      ? cloud.users.get(u.id)
      : typeof u.name === "string" && domainOk(u.domain)
        ? cloud.userByName(u.name)
        : undefined;
  if (!user) return undefined;
  return [...cloud.applicationCredentials.values()].find((c) => c.name === body.name && c.userId === user.id);
}

export { DEFAULT_DOMAIN };
