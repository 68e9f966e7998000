/** An instance's address: `<provider>/<name or id>`, as written in the fleet file. */
export type InstanceAddress = string;

/** `dc1` and `web-1` → `dc1/web-1`. */
export function formatAddress(provider: string, nameOrId: string): InstanceAddress {
  return `${provider}/${nameOrId}`;
}

/** `dc1/web-1` → provider `dc1`, key `web-1`; throws on an address without both parts. */
export function parseAddress(address: InstanceAddress): { readonly provider: string; readonly key: string } {
  const slash = address.indexOf("/");
  if (slash <= 0 || slash === address.length - 1) {
    throw new TypeError(`invalid instance address "${address}": expected <provider>/<name or id>`);
  }
  return { provider: address.slice(0, slash), key: address.slice(slash + 1) };
}
