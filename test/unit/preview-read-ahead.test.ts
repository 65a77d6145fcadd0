// readAhead: the fetcher follows nextPageUri ahead of the reader (bounded), pages arrive in
// order, a failure surfaces after the pages read before it, and a reader that stops early
// stops the fetcher. No I/O: pages come from a function that records what it was asked.
import { describe, expect, it } from 'vitest';
import { readAhead, type Page } from '../../src/cxone/outbound.ts';

/** Pages 1..n whose fetches wait until the test releases them; records the queries asked. */
function pagesOf(n: number, failAt?: number) {
  const asked: string[] = [];
  const fetchPage = (query: string): Promise<Page<number>> => {
    asked.push(query);
    const p = Number(new URLSearchParams(query).get('page'));
    if (p === failAt) return Promise.reject(new Error(`page ${p} failed`));
    return Promise.resolve({ items: [p], next: p < n ? `page=${p + 1}` : undefined });
  };
  return { asked, fetchPage };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('readAhead', () => {
  it('yields every page once, in order', async () => {
    const { asked, fetchPage } = pagesOf(5);
    const seen: number[] = [];
    for await (const { page, query } of readAhead('page=1', fetchPage, 2)) {
      seen.push(page.items[0]!);
      expect(query).toBe(`page=${page.items[0]}`);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual(['page=1', 'page=2', 'page=3', 'page=4', 'page=5']);
  });

  it('runs ahead of a busy reader by at most depth pages', async () => {
    const { asked, fetchPage } = pagesOf(20);
    const pages = readAhead('page=1', fetchPage, 3);
    await pages.next();
    await settle();
    // Page 1 was handed out; pages 2-4 wait for the reader; page 5 is not asked yet.
    expect(asked).toHaveLength(4);
    await pages.next();
    await settle();
    expect(asked).toHaveLength(5);
    await pages.return(undefined);
  });

  it('surfaces a failure after the pages before it, and asks for nothing after it', async () => {
    const { asked, fetchPage } = pagesOf(10, 3);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const { page } of readAhead('page=1', fetchPage, 8)) seen.push(page.items[0]!);
      })(),
    ).rejects.toThrow('page 3 failed');
    expect(seen).toEqual([1, 2]);
    expect(asked).toEqual(['page=1', 'page=2', 'page=3']);
  });

  it('stops the fetcher when the reader stops early', async () => {
    const { asked, fetchPage } = pagesOf(100);
    for await (const { page } of readAhead('page=1', fetchPage, 2)) if (page.items[0] === 2) break;
    const before = asked.length;
    await settle();
    await settle();
    expect(asked.length).toBe(before);
    expect(before).toBeLessThanOrEqual(4);
  });
});
