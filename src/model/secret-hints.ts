/**
 * What makes text look like it holds a secret. A fleet file is committed to git: content that matches any of these
 * is never written, and the match itself is never shown (only the rule's label is).
 */
const RULES: readonly { readonly label: string; readonly pattern: RegExp }[] = [
  { label: "a private key", pattern: /BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY/i },
  { label: "chpasswd", pattern: /chpasswd/i },
  { label: "password:", pattern: /pass(?:word|wd|phrase)?["']?\s*[:=]/i },
  { label: "token", pattern: /token/i },
  { label: "secret", pattern: /secret/i },
  { label: "an API or access key", pattern: /(?:api|access|auth|private|secret)[_-]?key/i },
  { label: "an AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { label: "credentials in a URL", pattern: /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i },
  { label: "a bearer or basic credential", pattern: /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}/i },
];

/** Names that say their value is a secret (a metadata key `db_password`, `api_token`). */
const SECRET_NAME = /pass(?:word|wd|phrase)?|token|secret|credential|private[_-]?key|(?:api|access|auth)[_-]?key/i;

/** The label of the first rule `text` matches ("password:", "a private key", …), or undefined when it looks harmless. */
export function secretHint(text: string): string | undefined {
  return RULES.find((rule) => rule.pattern.test(text))?.label;
}

/** Why a value named `name` (a metadata key) looks secret by its name alone, or undefined. */
export function secretNameHint(name: string): string | undefined {
  const found = SECRET_NAME.exec(name)?.[0];
  return found === undefined ? undefined : `its name says ${found.toLowerCase()}`;
}
