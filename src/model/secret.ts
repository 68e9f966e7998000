import { inspect } from "node:util";

/** A reference to a secret in the fleet file. Plans store the reference, never the value. */
export type SecretRef = { readonly env: string } | { readonly file: string };

/** What stands where a secret value would be, in every output. */
export const REDACTED = "(sensitive)";

/**
 * A secret value. It cannot be printed, serialized or inspected by accident:
 * only `reveal()` gives the value, and only code that sends it to a cloud calls it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** `env:HW_PASSWORD` or `file:./secrets/pw`: where a secret comes from, never its value. */
export function describeSecretRef(ref: SecretRef): string {
  return "env" in ref ? `env:${ref.env}` : `file:${ref.file}`;
}
