/** Local networks' port ranges (node/ports.ts): free, below the ephemeral range, validated. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { basePortFetchBlocked, freeBasePort } from '../../node/ports.js';
import { portsOf } from '../../node/testnet.js';

/** Linux's default ip_local_port_range starts here. */
const EPHEMERAL_PORT_FIRST = 32_768;

async function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('freeBasePort', () => {
  it('gives a base whose every port is free and below the ephemeral range', async () => {
    for (let run = 0; run < 5; run++) {
      const base = await freeBasePort(10);
      const ports = Array.from({ length: 10 }, (_, index) => portsOf(base, index)).flatMap((entry) => [entry.p2p, entry.api, entry.metrics]);
      expect(Math.max(...ports)).toBeLessThan(EPHEMERAL_PORT_FIRST);
      expect((await Promise.all(ports.map(bindable))).every(Boolean)).toBe(true);
    }
  });

  it('never lays a network over a port that fetch refuses ("bad port", such as 6000 and 6566)', async () => {
    expect(basePortFetchBlocked(5_900, 4)).toBe(true);
    expect(basePortFetchBlocked(6_500, 70)).toBe(true);
    expect(basePortFetchBlocked(2_000, 4)).toBe(false);
    const refused = await fetch('http://127.0.0.1:6000/').then(
      () => 'connected',
      (error: Error) => String((error.cause as Error | undefined)?.message),
    );
    expect(refused).toBe('bad port');
  });

  it('refuses a network size that portsOf cannot lay out', async () => {
    await expect(freeBasePort(0)).rejects.toThrow(RangeError);
    await expect(freeBasePort(101)).rejects.toThrow(RangeError);
  });
});
