import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReadAhead } from "./read-ahead.js";

/** A page of a chain as a fake cloud answers it: its own link and the next one's. */
interface Page {
  readonly at: string;
  readonly next: string | undefined;
}

/** A chain of `n` pages, p0 → p1 → … (p0 asked for first, without a link); and the answers, held until released. */
function cloud(n: number) {
  const asked: string[] = [];
  const held = new Map<string, () => void>();
  const page = (i: number): Page => ({ at: `p${i}`, next: i + 1 < n ? `p${i + 1}` : undefined });
  const answer = (i: number) =>
    new Promise<Page>((resolve) => {
      held.set(`p${i}`, () => resolve(page(i)));
    });
  const fetch = (link: string) => {
    asked.push(link);
    return answer(Number(link.slice(1)));
  };
  /** Lets the answer to `link` arrive, and the callbacks it runs. */
  const release = async (link: string) => {
    held.get(link)?.();
    held.delete(link);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { asked, fetch, first: answer(0), release, held };
}

describe("ReadAhead: marker pages asked for as answers arrive, ahead of their consumer", () => {
  it("asks for the next page as soon as an answer arrives, up to `depth` pages not taken", async () => {
    const c = cloud(6);
    const pages = new ReadAhead(c.first, { fetch: c.fetch, nextOf: (p) => p.next, depth: 2 });
    await c.release("p0");
    expect(c.asked).toEqual(["p1"]);
    // p0 and p1 asked for and not taken: full; p1's arrival waits for room.
    await c.release("p1");
    expect(c.asked).toEqual(["p1"]);
    expect(await pages.take()?.answer).toEqual({ at: "p0", next: "p1" });
    expect(c.asked).toEqual(["p1", "p2"]);
    // Taken pages are the consumer's: p1 taken, p2 and p3 may be on their way.
    expect(pages.take()?.link).toBe("p1");
    await c.release("p2");
    expect(c.asked).toEqual(["p1", "p2", "p3"]);
    await c.release("p3");
    expect(c.asked).toEqual(["p1", "p2", "p3"]);
    expect(pages.take()?.link).toBe("p2");
    expect(c.asked).toEqual(["p1", "p2", "p3", "p4"]);
  });

  it("follows a redirect instead of what it read ahead, and nothing of the dropped chain asks for more", async () => {
    const c = cloud(8);
    const pages = new ReadAhead(c.first, { fetch: c.fetch, nextOf: (p) => p.next, depth: 2 });
    await c.release("p0");
    expect((await pages.take()?.answer)?.at).toBe("p0");
    pages.redirect("p5");
    expect(c.asked).toEqual(["p1", "p5"]);
    await c.release("p1");
    expect(c.asked).toEqual(["p1", "p5"]);
    const next = pages.take();
    expect(next?.link).toBe("p5");
    await c.release("p5");
    expect(c.asked).toEqual(["p1", "p5", "p6"]);
  });

  it("asks for nothing more once stopped, and ends where the last answer has no next link", async () => {
    const c = cloud(2);
    const pages = new ReadAhead(c.first, { fetch: c.fetch, nextOf: (p) => p.next, depth: 2 });
    await c.release("p0");
    await c.release("p1");
    expect(c.asked).toEqual(["p1"]);
    expect(pages.take()?.link).toBeUndefined();
    expect(pages.take()?.link).toBe("p1");
    expect(pages.take()).toBeUndefined();

    const d = cloud(5);
    const stopped = new ReadAhead(d.first, { fetch: d.fetch, nextOf: (p) => p.next, depth: 2 });
    stopped.stop();
    await d.release("p0");
    expect(d.asked).toEqual([]);
    expect(stopped.take()).toBeUndefined();
  });

  it("gives a failed answer to the consumer that takes it, and drops one it never takes without an unhandled rejection", async () => {
    const failing = Promise.reject(new Error("503 from the cloud"));
    const pages = new ReadAhead<Page>(failing, {
      fetch: () => new Promise(() => undefined),
      nextOf: (p) => p.next,
      depth: 2,
    });
    await expect(pages.take()?.answer).rejects.toThrow("503 from the cloud");
    const dropped = new ReadAhead<Page>(Promise.resolve({ at: "p0", next: "p1" }), {
      fetch: () => Promise.reject(new Error("never read")),
      nextOf: (p) => p.next,
      depth: 2,
    });
    await new Promise((resolve) => setImmediate(resolve));
    dropped.stop();
    // vitest fails the run on an unhandled rejection: the dropped page's failure must be swallowed.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(dropped.take()).toBeUndefined();
  });

  it("hands the consumer every page of the chain once, in order, asking for each once and never more than `depth` ahead, whatever the timing (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.scheduler(),
        async (n, depth, s) => {
          let outstanding = 0;
          let most = 0;
          const asked: string[] = [];
          const answer = (i: number): Promise<Page> => {
            outstanding += 1;
            most = Math.max(most, outstanding);
            return s.schedule(Promise.resolve({ at: `p${i}`, next: i + 1 < n ? `p${i + 1}` : undefined }), `p${i}`);
          };
          const pages = new ReadAhead(answer(0), {
            fetch: (link) => {
              asked.push(link);
              return answer(Number(link.slice(1)));
            },
            nextOf: (p) => p.next,
            depth,
          });
          const seen: string[] = [];
          const consume = async () => {
            for (;;) {
              // Counted as taken before take(), which may ask for the next page once this one is off the count.
              outstanding -= 1;
              const taken = pages.take();
              if (!taken) return;
              seen.push((await taken.answer).at);
              await s.schedule(Promise.resolve(), "digest");
            }
          };
          const consumed = consume();
          await s.waitFor(consumed);
          expect(seen).toEqual(Array.from({ length: n }, (_, i) => `p${i}`));
          expect(asked).toEqual(Array.from({ length: n - 1 }, (_, i) => `p${i + 1}`));
          expect(most).toBeLessThanOrEqual(depth);
        },
      ),
      { numRuns: 200 },
    );
  });
});
