/**
 * Open connections to the client API (node/http/connection-limits.ts): connections beyond the
 * limit from one address, or in all, are answered 503 too-many-connections and closed without
 * their request reaching a route; one that sends nothing is closed; refused connections still
 * open are bounded; and a freed slot serves again. Against a real HTTP server and raw sockets.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLimiter, type ConnectionLimits } from '../../../node/http/connection-limits.js';

const opened: Socket[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(limits: ConnectionLimits, refusals: { idleMs?: number; openMax?: number } = {}): Promise<{ port: number; limiter: ConnectionLimiter; handled: () => number }> {
  const limiter = new ConnectionLimiter(limits, refusals);
  let handled = 0;
  const app = express();
  app.use(limiter.middleware);
  app.get('/head', (_request, response) => {
    handled++;
    response.json({ height: 1 });
  });
  const server = createServer(app);
  limiter.attach(server, { tls: false });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, limiter, handled: () => handled };
}

/** A raw TCP connection, open once connected. */
async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  opened.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Waits until the server has counted `count` connections from 127.0.0.1 (it counts on its own turn). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** One GET on a new connection: the status line, headers and body as sent, and whether the server then closed it. */
async function getOnNewConnection(port: number): Promise<{ head: string; body: string }> {
  const socket = await open(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write('GET /head HTTP/1.1\r\nHost: localhost\r\n\r\n');
  // The answer to a refused connection ends with the connection: wait for the close, not a time.
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.on('data', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.includes('"height"')) resolve();
    });
  });
  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, split), body: text.slice(split + 4) };
}

describe('the client API\'s connection limits', () => {
  it('answers a connection beyond the per-address limit 503 with Retry-After and closes it, its request reaching no route', async () => {
    const { port, limiter, handled } = await serve({ max: 100, perAddressMax: 3 });
    for (let index = 0; index < 3; index++) await open(port);
    await until(() => limiter.openConnections('127.0.0.1') === 3);
    const refused = await getOnNewConnection(port);
    expect(refused.head).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused.head.toLowerCase()).toContain('retry-after: 1');
    expect(refused.head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'too-many-connections' });
    expect(handled()).toBe(0);
    expect(limiter.openConnections('127.0.0.1')).toBe(3);

    // A slot freed serves again.
    opened[0]!.destroy();
    await until(() => limiter.openConnections('127.0.0.1') === 2);
    const served = await getOnNewConnection(port);
    expect(served.head).toMatch(/^HTTP\/1\.1 200 /);
    expect(handled()).toBe(1);
  });

  it('holds all addresses together to the total', async () => {
    const { port, limiter, handled } = await serve({ max: 2, perAddressMax: 100 });
    await open(port);
    await open(port);
    await until(() => limiter.openConnections() === 2);
    expect((await getOnNewConnection(port)).head).toMatch(/^HTTP\/1\.1 503 /);
    expect(handled()).toBe(0);
  });

  it('closes a refused connection that sends nothing, and past the bound on refused ones closes new ones unanswered', async () => {
    const { port, limiter } = await serve({ max: 100, perAddressMax: 1 }, { idleMs: 50, openMax: 2 });
    await open(port);
    await until(() => limiter.openConnections('127.0.0.1') === 1);
    // Refused and silent: closed by the server after its idle time (the test waits for the close).
    const silent = await open(port);
    await new Promise((resolve) => silent.once('close', resolve));

    // With the idle time long, two refused connections wait for their request; the third is closed at once.
    const patient = await serve({ max: 100, perAddressMax: 1 }, { idleMs: 60_000, openMax: 2 });
    await open(patient.port);
    await until(() => patient.limiter.openConnections('127.0.0.1') === 1);
    const waiting = [await open(patient.port), await open(patient.port)];
    const third = await open(patient.port);
    const received: Buffer[] = [];
    third.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => third.once('close', resolve));
    expect(received).toHaveLength(0);
    expect(waiting.every((socket) => !socket.destroyed)).toBe(true);
  });
});
