import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../../tools/sim/event-queue.js';
import { Prng } from '../../../tools/sim/prng.js';

describe('EventQueue', () => {
  it('pops by time, and by insertion order among equal times', () => {
    const queue = new EventQueue<string>(100);
    queue.push(5, 'late');
    queue.push(1, 'first-at-1');
    queue.push(3, 'at-3');
    queue.push(1, 'second-at-1');
    queue.push(1, 'third-at-1');
    const order: string[] = [];
    for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) order.push(entry.value);
    expect(order).toEqual(['first-at-1', 'second-at-1', 'third-at-1', 'at-3', 'late']);
  });

  it('agrees with a stable sort on random input', () => {
    const prng = Prng.fromSeed(3, 'queue');
    const queue = new EventQueue<number>(10_000);
    const pushed: Array<{ time: number; id: number }> = [];
    for (let id = 0; id < 5000; id++) {
      const time = prng.intBelow(200);
      pushed.push({ time, id });
      queue.push(time, id);
    }
    const expected = [...pushed].sort((a, b) => a.time - b.time || a.id - b.id).map((entry) => entry.id);
    const popped: number[] = [];
    while (queue.size > 0) popped.push(queue.pop()!.value);
    expect(popped).toEqual(expected);
    expect(queue.pop()).toBeUndefined();
    expect(queue.peekTime()).toBeUndefined();
  });

  it('refuses events beyond its bound instead of growing', () => {
    const queue = new EventQueue<number>(2);
    expect(queue.push(1, 1)).toBe(true);
    expect(queue.push(2, 2)).toBe(true);
    expect(queue.push(3, 3)).toBe(false);
    expect(queue.size).toBe(2);
    expect(() => queue.push(Number.NaN, 4)).toThrow(RangeError);
  });
});
