/**
 * Random sources for reconnect jitter and fault injection. Production uses the operating
 * system's randomness so that validators restarted together do not redial in lockstep; tests
 * pass a seeded generator so that a run (and every dropped frame in it) can be replayed.
 */
import { randomFillSync } from 'node:crypto';

/** Returns a number in [0, 1). */
export type RandomSource = () => number;

const draw = new Uint32Array(1);

/** 32 bits of operating-system randomness; plenty for jitter and fault draws. */
export const cryptoRandom: RandomSource = () => randomFillSync(draw)[0]! / 2 ** 32;

/**
 * mulberry32: tiny, fast and good enough to pick jitter and drops; never used for keys or nonces.
 * The same seed always yields the same sequence.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
