import type { InstanceChange } from "../model/change.js";
import { ReformError } from "../model/errors.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";

/**
 * The plan's inputs with every server that was listed without its metadata (`metadataRead: false`) and whose first
 * plan is not a no-op read again whole, by id, one listing per provider: nothing is planned from fields that were not
 * read (a JD metadata write sends the whole map, so it must start from the real one). undefined: no server needs it,
 * the first plan stands.
 */
export async function readWholeWhereActing(
  changes: readonly InstanceChange[],
  inputs: readonly PlanInstanceInput[],
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
): Promise<PlanInstanceInput[] | undefined> {
  const acting = new Set(changes.filter((c) => c.action !== "no-op").map((c) => c.address));
  const partial = inputs.filter((i) => i.observed.metadataRead === false && acting.has(i.desired.address));
  if (partial.length === 0) return undefined;
  const byProvider = new Map<string, PlanInstanceInput[]>();
  for (const input of partial) {
    const some = byProvider.get(input.desired.provider);
    if (some) some.push(input);
    else byProvider.set(input.desired.provider, [input]);
  }
  const fresh = new Map<string, PlanInstanceInput["observed"]>();
  for (const [provider, some] of byProvider) {
    const adapter = adapters.get(provider);
    if (!adapter) throw new TypeError(`no adapter for provider "${provider}"`);
    const servers = await adapter.listInstances({ selectors: some.map((i) => ({ id: i.observed.id })) }, signal);
    for (const server of servers) fresh.set(`${provider}\u0000${server.id}`, server);
  }
  const reread = new Set(partial);
  return inputs.map((input) => {
    if (!reread.has(input)) return input;
    const whole = fresh.get(`${input.desired.provider}\u0000${input.observed.id}`);
    if (whole === undefined)
      throw new ReformError(
        "CLOUD_ERROR",
        `${input.desired.address}: server ${input.observed.id} was listed but not found when read again with its metadata (deleted while planning?): plan again`,
      );
    return { ...input, observed: whole };
  });
}
