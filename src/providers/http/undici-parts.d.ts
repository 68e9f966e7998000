/**
 * Types of the two undici modules the HTTP client imports (client.ts): undici's package entry, `import "undici"`, also
 * loads fetch, WebSocket, the cache stores, the mock agents and every interceptor, none of which reform uses: about
 * half of undici's start-up (docs/benchmarks.md). undici has no `exports` map, so these paths are its files as published.
 */
declare module "undici/lib/dispatcher/agent.js" {
  import type { Agent } from "undici";
  const AgentClass: typeof Agent;
  // eslint-disable-next-line no-restricted-syntax -- the CommonJS module's one export (module.exports), as Node's ESM import sees it
  export default AgentClass;
}

declare module "undici/lib/api/api-request.js" {
  import type { Dispatcher } from "undici";
  /** `Dispatcher.prototype.request` (undici's entry adds it to every dispatcher), called with the dispatcher as `this`. */
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  // eslint-disable-next-line no-restricted-syntax -- as above
  export default request;
}
