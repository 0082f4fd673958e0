/**
 * api/http/concurrent-reads.ts: an answer's reads issued together keep the items' order, never
 * have more than the bound in flight, and fail as a loop of awaits would.
 */
import { describe, expect, it } from 'vitest';
import { readAll } from '../../api/http/concurrent-reads.js';

describe('reads issued together', () => {
  it('answers in the order of the items, whatever order the reads finish in, with at most the bound in flight', async () => {
    const items = Array.from({ length: 50 }, (_, index) => index);
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let inFlightMost = 0;
    const reading = readAll(
      items,
      (item) =>
        new Promise<string>((resolve) => {
          inFlight++;
          inFlightMost = Math.max(inFlightMost, inFlight);
          pending.push(() => {
            inFlight--;
            resolve(`value ${item}`);
          });
        }),
      8,
    );
    // Finish the reads newest first, each time the pool has filled again: the results still come in order.
    let settled = false;
    void reading.then(() => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      while (pending.length > 0) pending.pop()!();
    }
    expect(await reading).toEqual(items.map((item) => `value ${item}`));
    expect(inFlightMost).toBe(8);
  });

  it('rejects with the first failure and answers an empty list at once', async () => {
    await expect(readAll([1, 2, 3], async (item) => (item === 2 ? Promise.reject(new Error('read 2 failed')) : item))).rejects.toThrow('read 2 failed');
    expect(await readAll([], async () => 1)).toEqual([]);
  });
});
