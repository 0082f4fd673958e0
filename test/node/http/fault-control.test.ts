/** POST /faults (chaos runs only): isolates this validator from every peer through the transport's hooks, and heals it. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, notFoundHandler } from '../../../node/http/errors.js';
import { faultControlRoutes } from '../../../node/http/fault-control.js';
import { TransportFaults } from '../../../node/transport/faults.js';

const faults = new TransportFaults();
const clockOffsets: number[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(faultControlRoutes({ faults, peers: () => ['validator-1', 'validator-2'], setClockOffsetMs: (offsetMs) => clockOffsets.push(offsetMs), clockOffsetMs: 0 }));
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
    expect(await (await post('{"isolated":true}')).json()).toEqual({ isolated: true, clockOffsetMs: 0 });
    for (const peer of ['validator-1', 'validator-2']) {
      expect(faults.outbound(peer)).toEqual({ action: 'drop' });
      expect(faults.dropsInbound(peer)).toBe(true);
    }
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ isolated: true, clockOffsetMs: 0 });
    expect(await (await post('{"isolated":false}')).json()).toEqual({ isolated: false, clockOffsetMs: 0 });
    expect(faults.outbound('validator-1')).toEqual({ action: 'send', delayMs: 0 });
    expect(faults.dropsInbound('validator-2')).toBe(false);
  });

  it('skews the consensus clock and heals it', async () => {
    expect(await (await post('{"clockOffsetMs":-180000}')).json()).toEqual({ isolated: false, clockOffsetMs: -180_000 });
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ isolated: false, clockOffsetMs: -180_000 });
    expect(await (await post('{"clockOffsetMs":0}')).json()).toEqual({ isolated: false, clockOffsetMs: 0 });
    expect(clockOffsets).toEqual([-180_000, 0]);
    expect(faults.isIsolated('validator-1')).toBe(false);
  });

  it('refuses anything but the strict shape, as JSON', async () => {
    const before = clockOffsets.length;
    for (const body of ['{"isolated":"yes"}', '{"isolated":true,"extra":1}', '{', '[]', '{}', '{"clockOffsetMs":1.5}', '{"clockOffsetMs":86400001}']) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect((await response.json()).code).toMatch(/^(bad-fault|json-)/);
    }
    expect((await post('{"isolated":true}', 'text/plain')).status).toBe(415);
    expect(faults.isIsolated('validator-1')).toBe(false);
    expect(clockOffsets.length).toBe(before);
  });
});
