import { ReformError } from "../../model/errors.js";

/** A credential or id as the user set it, for a message: where it is set, and whether its value may be shown. */
export interface CredentialSetting {
  /** The provider's name in the fleet file. */
  readonly provider: string;
  /** Where the value is set: `HW_ACCESS_KEY`, `auth.token in cloud "prod" in clouds.yaml`… */
  readonly setting: string;
  readonly value: string;
  /** A secret's characters are never shown, not even the offending one. */
  readonly secret: boolean;
}

/**
 * Refuses, before any request, a credential with a character outside ASCII. Keys, tokens and ids travel in headers and
 * signatures, where undici rejects them with "invalid Authorization header", which reads like a network fault; and no
 * cloud issues such a key: it is almost always a copied placeholder (`AK…`) or a typographic quote.
 */
export function requireAscii(credential: CredentialSetting): void {
  const chars = [...credential.value];
  const index = chars.findIndex((c) => !/^[\x20-\x7e]$/.test(c));
  if (index === -1) return;
  const point = chars[index]?.codePointAt(0) ?? 0;
  const code = `U+${point.toString(16).toUpperCase().padStart(4, "0")}`;
  const position = `at character ${index + 1}`;
  const what =
    point < 0x20 || point === 0x7f
      ? `a control character (${code}${point === 0x0a || point === 0x0d ? ", a line break" : ""}) ${position}`
      : `a non-ASCII character (${credential.secret ? position : `'${chars[index] ?? ""}' (${code}) ${position}`})`;
  throw new ReformError(
    "AUTH_ERROR",
    `provider ${credential.provider}: ${credential.setting} contains ${what}: keys, tokens and ids are plain ASCII; was a placeholder or a typographic quote copied into it?`,
  );
}
