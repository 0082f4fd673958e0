/** node/clock-health.ts: which sign of the measured offset means a clock behind, which ahead, and the edges. */
import { describe, expect, it } from 'vitest';
import { clockHealth } from '../../node/clock-health.js';

const SKEW_MS = 5000;

describe('clock health from the measured offset to peers', () => {
  it('is ok with no samples yet', () => {
    expect(clockHealth({ clockOffsetMs: null }, SKEW_MS)).toEqual({ ok: true, offsetMs: null });
  });

  it('is ok within the tolerated skew either way, the edges included', () => {
    for (const offsetMs of [0, -40, SKEW_MS, -SKEW_MS, 1234]) expect(clockHealth({ clockOffsetMs: offsetMs }, SKEW_MS)).toEqual({ ok: true, offsetMs });
  });

  it('calls the local clock behind when peers stamp blocks further ahead of it than the skew', () => {
    expect(clockHealth({ clockOffsetMs: SKEW_MS + 1 }, SKEW_MS)).toEqual({ ok: false, reason: 'clock-behind', offsetMs: SKEW_MS + 1 });
    expect(clockHealth({ clockOffsetMs: 180_000 }, SKEW_MS)).toEqual({ ok: false, reason: 'clock-behind', offsetMs: 180_000 });
  });

  it('calls the local clock ahead when peers\' blocks look older than the skew', () => {
    expect(clockHealth({ clockOffsetMs: -SKEW_MS - 1 }, SKEW_MS)).toEqual({ ok: false, reason: 'clock-ahead', offsetMs: -SKEW_MS - 1 });
    expect(clockHealth({ clockOffsetMs: -180_000 }, SKEW_MS)).toEqual({ ok: false, reason: 'clock-ahead', offsetMs: -180_000 });
  });
});
