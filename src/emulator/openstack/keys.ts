import { createHash } from "node:crypto";

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A well-formed (but fake) ssh-ed25519 public key, deterministic from the seed and the name. */
export function generatePublicKey(seed: number, name: string): string {
  const raw = createHash("sha256").update(`keypair\u0000${seed}\u0000${name}`).digest();
  const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString("base64")} ${name}`;
}

/** Nova's fingerprint: MD5 of the key blob, as colon-separated hex. */
export function fingerprintOf(publicKey: string): string | undefined {
  const parts = publicKey.trim().split(/\s+/);
  const blob = parts[1];
  if (parts.length < 2 || blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const hex = createHash("md5").update(Buffer.from(blob, "base64")).digest("hex");
  return hex.match(/../g)?.join(":");
}

/** A fake private key for Nova's old "generate a key pair" (below 2.92). */
export function fakePrivateKey(seed: number, name: string): string {
  const body = createHash("sha512").update(`private\u0000${seed}\u0000${name}`).digest("base64");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
