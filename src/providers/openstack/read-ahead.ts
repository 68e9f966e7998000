/** One page of a chain: the link it was asked for by (undefined for the first) and its answer. */
export interface ChainedPage<R> {
  readonly link: string | undefined;
  readonly answer: Promise<R>;
}

export interface ReadAheadOptions<R> {
  /** Asks for the page at `link`. */
  readonly fetch: (link: string) => Promise<R>;
  /** The next page's link as far as an answer shows it (a guess the consumer checks), or undefined at the end. */
  readonly nextOf: (answer: R) => string | undefined;
  /** Most pages asked for and not taken yet: a bound on the answers held in memory. */
  readonly depth: number;
}

/**
 * Follows a chain of pages (marker pagination: each page's answer holds the next one's link) as fast as the answers
 * arrive, up to `depth` pages ahead of the consumer, so that a consumer slower than the cloud does not hold back the
 * requests. The consumer takes the pages in order (`take`), checks each guessed link against the page it digested,
 * and `redirect`s the chain when the guess was wrong: what was read ahead is dropped (one request more, never a wrong
 * page). `stop` ends it: nothing more is asked for.
 */
export class ReadAhead<R> {
  readonly #options: ReadAheadOptions<R>;
  readonly #ahead: ChainedPage<R>[] = [];
  /** A link found while the read-ahead was full: asked for once a page is taken. */
  #waiting: string | undefined;
  /** Bumped by redirect and stop: answers of an earlier chain no longer lead anywhere. */
  #chain = 0;

  constructor(first: Promise<R>, options: ReadAheadOptions<R>) {
    this.#options = options;
    this.#add(undefined, first);
  }

  /** The next page in order. undefined when none was asked for (the last answer had no next link, or stop). */
  take(): ChainedPage<R> | undefined {
    const page = this.#ahead.shift();
    if (this.#waiting !== undefined && this.#ahead.length < this.#options.depth) {
      const link = this.#waiting;
      this.#waiting = undefined;
      this.#ask(link);
    }
    return page;
  }

  /** The page after the last one taken is at `link`, not where the read-ahead went: follow it instead. */
  redirect(link: string): void {
    this.stop();
    this.#ask(link);
  }

  /** Asks for nothing more; pages already asked for are dropped. */
  stop(): void {
    this.#chain += 1;
    this.#ahead.length = 0;
    this.#waiting = undefined;
  }

  #ask(link: string): void {
    const answer = this.#options.fetch(link);
    // Awaited when taken; a page dropped unread must not fail the process.
    answer.catch(() => undefined);
    this.#add(link, answer);
  }

  #add(link: string | undefined, answer: Promise<R>): void {
    const chain = this.#chain;
    this.#ahead.push({ link, answer });
    answer.then(
      (res) => {
        if (chain !== this.#chain) return;
        const next = this.#options.nextOf(res);
        if (next === undefined) return;
        if (this.#ahead.length < this.#options.depth) this.#ask(next);
        else this.#waiting = next;
      },
      () => undefined,
    );
  }
}
