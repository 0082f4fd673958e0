/**
 * A hex string from toHex (ledger/encoding/hex.ts) is one flat string: ids and keys kept in the
 * node's maps and sets for as long as a transaction is pending cost their own characters, not a
 * rope of digit pairs (which cost some twenty times as much, docs/performance.md).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { retainedHeapBytes } from '../../support/retained-heap.js';

const KEYS = 20_000;
/** A 128-digit key as one string: about 150-180 bytes of heap with its set entry; as a rope of pairs, over 3 KB. */
const BYTES_PER_KEY_MAX = 1_000;

describe('hex strings', () => {
  it('kept as set members cost about their own length', () => {
    const kept = new Set<string>();
    const leaves = Array.from({ length: KEYS }, () => new Uint8Array(randomBytes(64)));
    const retainedBytes = retainedHeapBytes(() => {
      for (const leaf of leaves) kept.add(toHex(leaf));
      return kept;
    });
    expect(kept.size).toBe(KEYS);
    expect(kept.has(Buffer.from(leaves[0]!).toString('hex'))).toBe(true);
    expect(retainedBytes / KEYS).toBeLessThan(BYTES_PER_KEY_MAX);
  });

  it('are the same digits as Node writes for inputs of every size, across the converter\'s chunks', () => {
    for (const length of [0, 1, 31, 32, 64, 4095, 4096, 4097, 10_000]) {
      const bytes = new Uint8Array(randomBytes(length));
      expect(toHex(bytes), `${length} bytes`).toBe(Buffer.from(bytes).toString('hex'));
      // A view into a larger buffer converts only its own bytes.
      expect(toHex(bytes.subarray(1))).toBe(Buffer.from(bytes.subarray(1)).toString('hex'));
    }
  });
});
