import { describe, expect, it } from "vitest";
import { secretHint, secretNameHint } from "./secret-hints.js";

describe("secretHint: user_data and values that look like they hold secrets", () => {
  it.each([
    ["#cloud-config\npassword: hunter2\nssh_pwauth: true\n", "password:"],
    ["#cloud-config\nusers:\n  - name: ops\n    passwd: $6$rounds=4096$abc\n", "password:"],
    ["#!/bin/sh\nexport DB_PASS=hunter2\n", "password:"],
    ["#cloud-config\nchpasswd:\n  list: |\n    root:x\n", "chpasswd"],
    [
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
      "a private key",
    ],
    ["ssh_keys:\n  rsa_private: |\n    -----BEGIN RSA PRIVATE KEY-----\n", "a private key"],
    ["#!/bin/sh\ncurl -H 'X-Vault-Token: s.abc' https://vault\n", "token"],
    ["#!/bin/sh\naws configure set aws_secret_access_key abc\n", "secret"],
    ["#!/bin/sh\nexport API_KEY=abc\n", "an API or access key"],
    ["#!/bin/sh\nexport AWS=AKIAIOSFODNN7EXAMPLE\n", "an AWS access key id"],
    ["#!/bin/sh\ngit clone https://deploy:gh0p4ss@git.example.com/app.git\n", "credentials in a URL"],
    ["#!/bin/sh\ncurl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9' https://api\n", "a bearer or basic credential"],
  ])("finds %j: %s (a rule's label, never the matched text)", (text, label) => {
    expect(secretHint(text)).toBe(label);
  });

  it.each([
    "#cloud-config\npackages: [nginx]\nruncmd: [systemctl enable --now nginx]\n",
    "#!/bin/sh\necho hello > /etc/motd\n",
    "#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB ops\n",
    "web",
    "",
  ])("lets %j through", (text) => {
    expect(secretHint(text)).toBeUndefined();
  });
});

describe("secretNameHint: names that say their value is secret", () => {
  it.each([
    ["db_password", "its name says password"],
    ["api-token", "its name says token"],
    ["client_secret", "its name says secret"],
    ["AWS_ACCESS_KEY", "its name says access_key"],
    ["vault.credentials", "its name says credential"],
  ])("%s: %s", (name, hint) => {
    expect(secretNameHint(name)).toBe(hint);
  });

  it.each(["role", "env", "owner", "cost-center", "keyPair", "monitoring"])("%s is a plain name", (name) => {
    expect(secretNameHint(name)).toBeUndefined();
  });
});
