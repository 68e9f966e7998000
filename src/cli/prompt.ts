import { createInterface } from "node:readline/promises";
import type { CliIo } from "./io.js";

/** Asks on the terminal; only the word "yes" approves, as in Terraform. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream, terminal: true });
  try {
    const answer = await rl.question(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}
