/**
 * The background scrub's pace (node/store-scrubber.ts): at most blocksPerSecond heights, and a
 * new pass no sooner than passIntervalMs after the last one started, so a short chain is not
 * re-verified over and over. Fake timers: the waits are the behaviour under test.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreScrub } from '../../ledger/store/scrub.js';
import { silentLogger } from '../../node/logger.js';
import { StoreScrubber } from '../../node/store-scrubber.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the store scrubber', () => {
  it('walks a pass at the block rate, then waits out the pass interval before the next', async () => {
    vi.useFakeTimers();
    const checked: number[] = [];
    const scrub = new StoreScrub({
      headHeight: () => 3,
      checkHeight: async (height) => {
        checked.push(height);
        return undefined;
      },
    });
    const scrubber = new StoreScrubber({ scrub, blocksPerSecond: 100, passIntervalMs: 60_000, onStep: () => {}, logger: silentLogger(), now: () => Date.now() });
    scrubber.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(checked).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(58_000);
    expect(checked).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(checked).toEqual([1, 2, 3, 1, 2, 3]);
    await scrubber.stop();
  });
});
