export type { ProviderRuntime } from "../model/provider.js";
