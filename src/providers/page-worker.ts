/**
 * A worker thread's script (started by page-pool.ts): digests the list pages posted to it, one message each, and
 * posts back what the listing keeps of them. Reads nothing and writes nothing besides its messages.
 */
import { parentPort } from "node:worker_threads";
import type { ServerPageRequest } from "./openstack/server-page.js";
import { digestServerPageBytes } from "./openstack/server-page.js";
import type { PageJob, PageAnswer } from "./page-pool.js";

let current: ServerPageRequest | undefined;

parentPort?.on("message", (job: PageJob) => {
  if (job.request !== undefined) current = job.request;
  let answer: PageAnswer;
  try {
    if (current === undefined) throw new Error("a page arrived before its listing's request");
    answer = { id: job.id, digest: digestServerPageBytes(job.bytes, current) };
  } catch (error) {
    answer = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(answer);
});
