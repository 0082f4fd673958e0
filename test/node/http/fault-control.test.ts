/** POST /faults (chaos runs only): isolates this validator from every peer through the transport's hooks, and heals it. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, notFoundHandler } from '../../../node/http/errors.js';
import { faultControlRoutes } from '../../../node/http/fault-control.js';
import { TransportFaults } from '../../../node/transport/faults.js';

const faults = new TransportFaults();
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(faultControlRoutes({ faults, peers: () => ['validator-1', 'validator-2'] }));
  app.use(notFoundHandler);
  app.use(errorHandler(() => undefined));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const post = (body: string, contentType = 'application/json') => fetch(`${base}/faults`, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('fault control', () => {
  it('isolates every peer in both directions, then heals', async () => {
    expect(await (await post('{"isolated":true}')).json()).toEqual({ isolated: true });
    for (const peer of ['validator-1', 'validator-2']) {
      expect(faults.outbound(peer)).toEqual({ action: 'drop' });
      expect(faults.dropsInbound(peer)).toBe(true);
    }
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ isolated: true });
    expect(await (await post('{"isolated":false}')).json()).toEqual({ isolated: false });
    expect(faults.outbound('validator-1')).toEqual({ action: 'send', delayMs: 0 });
    expect(faults.dropsInbound('validator-2')).toBe(false);
  });

  it('refuses anything but the strict shape, as JSON', async () => {
    for (const body of ['{"isolated":"yes"}', '{"isolated":true,"extra":1}', '{', '[]']) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect((await response.json()).code).toMatch(/^(bad-fault|json-)/);
    }
    expect((await post('{"isolated":true}', 'text/plain')).status).toBe(415);
    expect(faults.isIsolated('validator-1')).toBe(false);
  });
});
