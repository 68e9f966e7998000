/** A server as a listing names it. */
export interface NamedServer {
  readonly id: string;
  readonly name?: string;
}

/**
 * Server id → name, from every listing: lets reads by id use Nova's name filter. The lists are kept as the listings
 * gave them (the observed instances a plan keeps anyway) and indexed when a name is first looked up, which a plan of
 * 100,000 servers never does: it pays nothing for the index an apply needs.
 */
export class ServerNames {
  readonly #index = new Map<string, string>();
  #unindexed: (readonly NamedServer[])[] = [];

  /** Learns the names of `servers` (later lists win). */
  learn(servers: readonly NamedServer[]): void {
    if (servers.length > 0) this.#unindexed.push(servers);
  }

  get(id: string): string | undefined {
    return this.#indexed().get(id);
  }

  get size(): number {
    return this.#indexed().size;
  }

  #indexed(): Map<string, string> {
    for (const servers of this.#unindexed)
      for (const { id, name } of servers) if (typeof name === "string" && name !== "") this.#index.set(id, name);
    this.#unindexed = [];
    return this.#index;
  }
}
