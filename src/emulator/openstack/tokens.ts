import { randomToken, randomUuid } from "../ids.js";
import type { OpenStackCloud, Principal } from "./state.js";

export interface TokenInfo {
  readonly principal: Principal;
  readonly methods: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly auditId: string;
  readonly applicationCredential?: { readonly id: string; readonly name: string };
}

/** Issued Keystone tokens, in memory only (clients re-authenticate after a restart, as after a revocation). */
export class TokenStore {
  readonly #tokens = new Map<string, TokenInfo>();

  constructor(
    private readonly cloud: OpenStackCloud,
    private readonly lifetimeMs: number,
  ) {}

  issue(info: Omit<TokenInfo, "issuedAt" | "expiresAt" | "auditId">): { token: string; info: TokenInfo } {
    const now = this.cloud.now();
    const token = randomToken();
    const full: TokenInfo = {
      ...info,
      issuedAt: now,
      expiresAt: now + this.lifetimeMs,
      auditId: randomUuid().replace(/-/g, "").slice(0, 22),
    };
    this.#tokens.set(token, full);
    if (this.#tokens.size > 50_000) this.#sweep(now);
    return { token, info: full };
  }

  /** The token's info when it is valid and not expired; the static admin token has no expiry. */
  validate(token: string | undefined): TokenInfo | undefined {
    if (token === undefined || token === "") return undefined;
    if (this.cloud.adminToken !== null && token === this.cloud.adminToken) return this.#adminTokenInfo();
    const info = this.#tokens.get(token);
    if (!info) return undefined;
    if (info.expiresAt <= this.cloud.now()) {
      this.#tokens.delete(token);
      return undefined;
    }
    return info;
  }

  revoke(token: string): boolean {
    return this.#tokens.delete(token);
  }

  #adminTokenInfo(): TokenInfo {
    const project = [...this.cloud.projects.values()][0];
    const user = [...this.cloud.users.values()].find((u) => u.projectId === project?.id);
    const now = this.cloud.now();
    return {
      principal: {
        userId: user?.id ?? "admin",
        userName: user?.name ?? "admin",
        projectId: project?.id ?? "",
        roles: ["admin"],
        isAdmin: true,
      },
      methods: ["token"],
      issuedAt: now,
      expiresAt: now + 365 * 86_400_000,
      auditId: "admin-token",
    };
  }

  #sweep(now: number): void {
    for (const [token, info] of this.#tokens) if (info.expiresAt <= now) this.#tokens.delete(token);
  }
}

export function principalFor(cloud: OpenStackCloud, userId: string, projectId: string): Principal | undefined {
  const user = cloud.users.get(userId);
  if (!user || user.projectId !== projectId) return undefined;
  return { userId: user.id, userName: user.name, projectId, roles: user.roles, isAdmin: user.roles.includes("admin") };
}
