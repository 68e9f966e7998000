import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ServerPageWorker } from "./openstack/adapter.js";
import type { ServerPageDigest, ServerPageRequest } from "./openstack/server-page.js";
import { digestServerPageBytes } from "./openstack/server-page.js";

/** A page for the worker; `request` only when it differs from the one of the page before. */
export interface PageJob {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly request?: ServerPageRequest;
}

export type PageAnswer =
  { readonly id: number; readonly digest: ServerPageDigest } | { readonly id: number; readonly error: string };

/**
 * The worker's script, the compiled dist/providers/page-worker.js, found from this module wherever it runs: compiled
 * (dist/providers/), bundled into the CLI (dist/cli-bundle/) or as source under the tests (src/providers/), all two
 * levels below the package root.
 */
const SCRIPT = fileURLToPath(new URL("../../dist/providers/page-worker.js", import.meta.url));

interface Job {
  readonly bytes: Uint8Array;
  /** The bytes went to the thread (they are gone here). */
  readonly moved: boolean;
  readonly request: ServerPageRequest;
  readonly resolve: (digest: ServerPageDigest) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A thread that digests list pages: JSON.parse of a 2 MB page and the garbage of its documents move off the thread
 * that plans. Pages are digested in the order they are posted. If the thread cannot start or dies, its pages (and every
 * later one) are digested on the calling thread, with the same result. `script` is for tests.
 */
export function startServerPageWorker(script: string = SCRIPT): ServerPageWorker {
  return new PageThread(existsSync(script) ? script : undefined);
}

class PageThread implements ServerPageWorker {
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, Job>();
  #nextId = 0;
  #sentRequest: ServerPageRequest | undefined;

  constructor(script: string | undefined) {
    if (script === undefined) return;
    const worker = new Worker(script, { env: {} });
    worker.unref();
    worker.on("message", (answer: PageAnswer) => this.#answer(answer));
    worker.on("error", () => this.#fallBack());
    worker.on("exit", () => this.#fallBack());
    this.#worker = worker;
  }

  digest(bytes: Uint8Array, request: ServerPageRequest): Promise<ServerPageDigest> {
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve(digestServerPageBytes(bytes, request));
    const id = this.#nextId++;
    const job: PageJob = request === this.#sentRequest ? { id, bytes } : { id, bytes, request };
    this.#sentRequest = request;
    // Referenced while it has work: the process waits for its answers, and not for an idle thread.
    if (this.#jobs.size === 0) worker.ref();
    // Moved, not copied, when the bytes are the whole of their buffer (undici's bodies are): a page the thread
    // dies with can then not be digested here, and fails its listing.
    const transfer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { bytes, moved: transfer, request, resolve, reject });
      worker.postMessage(job, transfer ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#fallBack();
    await worker?.terminate();
  }

  #answer(answer: PageAnswer): void {
    const job = this.#jobs.get(answer.id);
    if (job === undefined) return;
    this.#jobs.delete(answer.id);
    if (this.#jobs.size === 0) this.#worker?.unref();
    if ("digest" in answer) job.resolve(answer.digest);
    else job.reject(new Error(answer.error));
  }

  /** The thread is gone (failed to start, died, or closed): what it had is digested here. */
  #fallBack(): void {
    this.#worker = undefined;
    const jobs = [...this.#jobs.values()];
    this.#jobs.clear();
    for (const job of jobs) {
      if (job.moved) {
        job.reject(new Error("the thread digesting list pages stopped while it had a page"));
        continue;
      }
      try {
        job.resolve(digestServerPageBytes(job.bytes, job.request));
      } catch (error) {
        job.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
