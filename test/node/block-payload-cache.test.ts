/**
 * The ledger application's cache of recent blocks' payloads (node/block-payload-cache.ts): bounded
 * by blocks and by the transactions its entries hold together, oldest dropped first, the newest
 * always kept.
 */
import { describe, expect, it } from 'vitest';
import { BlockPayloadCache } from '../../node/block-payload-cache.js';

const payload = (count: number) => Array.from({ length: count }, (_, index) => `tx-${index}`);

describe('the block payload cache', () => {
  it('drops the oldest blocks once the transactions they hold pass the bound', () => {
    const cache = new BlockPayloadCache<string[]>({ blocksMax: 100, transactionsMax: 10 }, (entry) => entry.length);
    cache.set('a', payload(4));
    cache.set('b', payload(4));
    expect(cache.size).toEqual({ blocks: 2, transactions: 8 });
    cache.set('c', payload(4));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toHaveLength(4);
    expect(cache.get('c')).toHaveLength(4);
    expect(cache.size).toEqual({ blocks: 2, transactions: 8 });
  });

  it('drops the oldest blocks past the block bound, and keeps a newest block larger than the transaction bound alone', () => {
    const cache = new BlockPayloadCache<string[]>({ blocksMax: 2, transactionsMax: 10 }, (entry) => entry.length);
    for (const hash of ['a', 'b', 'c']) cache.set(hash, payload(1));
    expect([cache.get('a'), cache.get('b')?.length, cache.get('c')?.length]).toEqual([undefined, 1, 1]);
    cache.set('huge', payload(25));
    expect(cache.size).toEqual({ blocks: 1, transactions: 25 });
    expect(cache.get('huge')).toHaveLength(25);
  });

  it('counts a block set twice once', () => {
    const cache = new BlockPayloadCache<string[]>({ blocksMax: 10, transactionsMax: 10 }, (entry) => entry.length);
    cache.set('a', payload(3));
    cache.set('a', payload(5));
    expect(cache.size).toEqual({ blocks: 1, transactions: 5 });
  });
});
