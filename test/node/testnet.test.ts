/**
 * node/testnet.ts: the write buffers a testnet gives its validators are out of step (distinct
 * within each cycle, centred on the default) and always within what a config accepts.
 */
import { describe, expect, it } from 'vitest';
import { BYTES_PER_MIB, WRITE_BUFFER_BYTES_DEFAULT, WRITE_BUFFER_BYTES_MAX, WRITE_BUFFER_BYTES_MIN } from '../../ledger/store/write-buffer.js';
import { testnetWriteBufferMb, WRITE_BUFFER_STAGGER_MB } from '../../node/testnet.js';

const DEFAULT_MB = WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB;

describe("a testnet's write buffers", () => {
  it('start at the default and step away from it on both sides, each value once a cycle', () => {
    const first = Array.from({ length: 9 }, (_, index) => testnetWriteBufferMb(index));
    expect(first[0]).toBe(DEFAULT_MB);
    expect(new Set(first).size).toBe(first.length);
    expect(first.reduce((sum, mb) => sum + mb, 0) / first.length).toBe(DEFAULT_MB);
    for (const [index, mb] of first.entries()) expect(Math.abs(mb - DEFAULT_MB)).toBe(Math.ceil(index / 2) * WRITE_BUFFER_STAGGER_MB);
    // Any four validators in a row differ, so a 4-validator network never has two in step.
    for (let index = 0; index < 64; index++) expect(new Set([0, 1, 2, 3].map((offset) => testnetWriteBufferMb(index + offset))).size).toBe(4);
  });

  it('stay within the sizes a config accepts, however many validators', () => {
    for (let index = 0; index < 1000; index++) {
      const mb = testnetWriteBufferMb(index);
      expect(Number.isInteger(mb)).toBe(true);
      expect(mb).toBeGreaterThanOrEqual(WRITE_BUFFER_BYTES_MIN / BYTES_PER_MIB);
      expect(mb).toBeLessThanOrEqual(WRITE_BUFFER_BYTES_MAX / BYTES_PER_MIB);
    }
  });
});
