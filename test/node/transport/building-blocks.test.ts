import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../../node/transport/backoff.js';
import { TransportFaults } from '../../../node/transport/faults.js';
import { DEFAULT_TRANSPORT_LIMITS, resolveTransportLimits } from '../../../node/transport/limits.js';
import { OutboundQueue } from '../../../node/transport/outbound-queue.js';
import { cryptoRandom, seededRandom } from '../../../node/transport/random.js';
import { PeerRateLimit, TokenBucket } from '../../../node/transport/rate-limit.js';

describe('token buckets', () => {
  it('allow a burst, then refill at the configured rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(1), bucket.take(1), bucket.take(1), bucket.take(1)]).toEqual([true, true, true, false]);
    now = 500;
    expect([bucket.take(1), bucket.take(1)]).toEqual([true, false]);
    now = 100_000;
    expect(bucket.available()).toBe(3);
  });

  it('charge a refused frame to neither bucket', () => {
    let now = 0;
    const limit = new PeerRateLimit({ messagesPerSecondPerPeer: 1, messagesBurstPerPeer: 2, bytesPerSecondPerPeer: 1, bytesBurstPerPeer: 100 }, () => now);
    expect(limit.admit(101)).toBe(false);
    expect(limit.admit(60)).toBe(true);
    expect(limit.admit(60)).toBe(false);
    expect(limit.admit(40)).toBe(true);
    expect(limit.admit(0)).toBe(false);
    now = 1_000;
    expect(limit.admit(1)).toBe(true);
  });
});

describe('reconnect backoff', () => {
  it('doubles up to the ceiling and stays in the upper half of it', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([0, 1, 2, 3, 10, 100].map((attempt) => reconnectDelayMs(attempt, 100, 1_000, low))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 10, 100].map((attempt) => reconnectDelayMs(attempt, 100, 1_000, high))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads validators that start together', () => {
    const random = seededRandom(7);
    const delays = new Set(Array.from({ length: 20 }, () => reconnectDelayMs(5, 100, 10_000, random)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('random sources', () => {
  it('replay a seed exactly, and the crypto source stays in [0, 1)', () => {
    const first = seededRandom(42);
    const second = seededRandom(42);
    const a = Array.from({ length: 5 }, first);
    expect(Array.from({ length: 5 }, second)).toEqual(a);
    expect(Array.from({ length: 5 }, seededRandom(43))).not.toEqual(a);
    for (let index = 0; index < 100; index++) {
      const value = cryptoRandom();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });
});

describe('fault hooks', () => {
  it('drop, delay and isolate as told, and reset', () => {
    const faults = new TransportFaults(seededRandom(1));
    expect(faults.outbound('validator-1')).toEqual({ action: 'send', delayMs: 0 });
    faults.dropOutbound('validator-1');
    faults.delayOutbound('validator-2', 250);
    faults.isolate(['validator-3']);
    expect(faults.outbound('validator-1')).toEqual({ action: 'drop' });
    expect(faults.outbound('validator-2')).toEqual({ action: 'send', delayMs: 250 });
    expect(faults.outbound('validator-3')).toEqual({ action: 'drop' });
    expect(faults.dropsInbound('validator-3')).toBe(true);
    expect(faults.dropsInbound('validator-1')).toBe(false);
    faults.heal(['validator-3']);
    expect(faults.dropsInbound('validator-3')).toBe(false);
    faults.clear();
    expect(faults.outbound('validator-1')).toEqual({ action: 'send', delayMs: 0 });
    expect(faults.outbound('validator-2')).toEqual({ action: 'send', delayMs: 0 });
  });

  it('drop with a probability reproducibly under a seed', () => {
    const pattern = (seed: number) => {
      const faults = new TransportFaults(seededRandom(seed));
      faults.dropOutbound('validator-1', 0.5);
      return Array.from({ length: 200 }, () => faults.outbound('validator-1').action);
    };
    const first = pattern(9);
    expect(pattern(9)).toEqual(first);
    const drops = first.filter((action) => action === 'drop').length;
    expect(drops).toBeGreaterThan(60);
    expect(drops).toBeLessThan(140);
  });
});

describe('outbound queues', () => {
  it('drop the oldest frames when full by count or by bytes', () => {
    const queue = new OutboundQueue(3, 10);
    const frame = (text: string) => Buffer.from(text);
    expect([queue.push(frame('a')), queue.push(frame('b')), queue.push(frame('c')), queue.push(frame('d'))]).toEqual([0, 0, 0, 1]);
    expect(queue.shift()?.toString()).toBe('b');
    expect(queue.push(frame('123456789'))).toBe(1);
    expect(queue.frames).toBe(2);
    expect(queue.bytes).toBe(10);
    expect(queue.shift()?.toString()).toBe('d');
    expect(queue.shift()?.toString()).toBe('123456789');
    expect(queue.shift()).toBeUndefined();
  });

  it('stay in order across many pushes and shifts', () => {
    const queue = new OutboundQueue(100_000, 10_000_000);
    for (let index = 0; index < 5_000; index++) queue.push(Buffer.from(String(index)));
    const out: string[] = [];
    for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) out.push(frame.toString());
    expect(out).toEqual(Array.from({ length: 5_000 }, (_, index) => String(index)));
    expect(queue.bytes).toBe(0);
  });
});

describe('transport limits', () => {
  it('default sensibly and refuse inconsistent settings', () => {
    expect(resolveTransportLimits(undefined)).toEqual(DEFAULT_TRANSPORT_LIMITS);
    expect(resolveTransportLimits({ banMs: 5 }).banMs).toBe(5);
    expect(() => resolveTransportLimits({ banMs: 0 })).toThrow(/banMs/);
    expect(() => resolveTransportLimits({ bytesBurstPerPeer: 1024 })).toThrow(/bytesBurstPerPeer/);
    expect(() => resolveTransportLimits({ reconnectBaseMs: 500, reconnectMaxMs: 100 })).toThrow(/reconnectMaxMs/);
  });
});
