/** Local networks' port ranges (node/ports.ts): free, below the ephemeral range, validated. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeBasePort } from '../../node/ports.js';
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

  it('refuses a network size that portsOf cannot lay out', async () => {
    await expect(freeBasePort(0)).rejects.toThrow(RangeError);
    await expect(freeBasePort(101)).rejects.toThrow(RangeError);
  });
});
