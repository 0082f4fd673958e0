/**
 * The background scrub's pace (node/store-scrubber.ts): at most blocksPerSecond heights, busy at
 * most busyPercentMax of the time, and a new pass no sooner than passIntervalMs after the last
 * one started, so a short chain is not re-verified over and over. Fake timers: the waits are the
 * behaviour under test.
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

  it('rests after each height in proportion to what the height cost, so it is busy at most busyPercentMax of the time', async () => {
    vi.useFakeTimers();
    const startedAtMs: number[] = [];
    const durationsMs: number[] = [];
    const checkMs = 50;
    const scrub = new StoreScrub({
      headHeight: () => 1_000,
      checkHeight: async () => {
        startedAtMs.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, checkMs));
        return undefined;
      },
    });
    const origin = Date.now();
    // 1,000 heights a second would allow a height every millisecond; 10% busy allows one every 500 ms.
    const scrubber = new StoreScrubber({ scrub, blocksPerSecond: 1_000, busyPercentMax: 10, onStep: (_step, durationMs) => durationsMs.push(durationMs), logger: silentLogger(), now: () => Date.now() });
    scrubber.start();
    await vi.advanceTimersByTimeAsync(2_100);
    expect(startedAtMs.map((at) => at - origin)).toEqual([0, 500, 1_000, 1_500, 2_000]);
    expect(durationsMs.slice(0, 4)).toEqual([checkMs, checkMs, checkMs, checkMs]);
    await scrubber.stop();
  });

  it('keeps the block rate when the heights are cheap', async () => {
    vi.useFakeTimers();
    const checked: number[] = [];
    const scrub = new StoreScrub({
      headHeight: () => 1_000,
      checkHeight: async (height) => {
        checked.push(height);
        return undefined;
      },
    });
    const scrubber = new StoreScrubber({ scrub, blocksPerSecond: 10, busyPercentMax: 1, onStep: () => {}, logger: silentLogger(), now: () => Date.now() });
    scrubber.start();
    await vi.advanceTimersByTimeAsync(950);
    expect(checked).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await scrubber.stop();
  });

  it('refuses a busy share outside its bounds', () => {
    const scrub = new StoreScrub({ headHeight: () => 0, checkHeight: async () => undefined });
    for (const busyPercentMax of [0, 0.01, 101]) {
      expect(() => new StoreScrubber({ scrub, blocksPerSecond: 1, busyPercentMax, onStep: () => {}, logger: silentLogger() })).toThrow(/busy share/);
    }
  });
});
