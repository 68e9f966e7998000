/** An instance's address: `<provider>/<name or id>`, as written in the fleet file. */
export type InstanceAddress = string;

export function formatAddress(provider: string, nameOrId: string): InstanceAddress {
  return `${provider}/${nameOrId}`;
}

export function parseAddress(address: InstanceAddress): { readonly provider: string; readonly key: string } {
  const slash = address.indexOf("/");
  if (slash <= 0 || slash === address.length - 1) {
    throw new TypeError(`invalid instance address "${address}": expected <provider>/<name or id>`);
  }
  return { provider: address.slice(0, slash), key: address.slice(slash + 1) };
}
