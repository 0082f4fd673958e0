/**
 * The benchmark's load generator (tools/bench/load.ts) against a stand-in API: what it counts as
 * committed and as failed, and a request that a kept-alive connection loses as the server closes
 * it is sent again rather than counted as a failure.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoop } from '../../tools/bench/load.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A stand-in for `POST /v1/transactions?wait=commit`: answers each transaction committed, except
 * that it resets a connection under any request after its first (as a server closing an idle
 * kept-alive connection at the moment the client reuses it), and refuses the bodies `refuse`
 * names.
 */
async function standIn(options: { resetReusedConnections: boolean; refuse?: (body: string) => boolean }): Promise<{ url: string; resets: () => number; requests: () => number }> {
  let resets = 0;
  let requests = 0;
  const served = new WeakMap<object, number>();
  const server = createServer((request, response) => {
    requests++;
    const count = (served.get(request.socket) ?? 0) + 1;
    served.set(request.socket, count);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (options.resetReusedConnections && count > 1) {
        resets++;
        request.socket.resetAndDestroy();
        return;
      }
      if (options.refuse?.(body) === true) {
        response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ code: 'overloaded' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'committed' }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, resets: () => resets, requests: () => requests };
}

const bodies = Array.from({ length: 40 }, (_, index) => JSON.stringify({ transaction: index }));

describe('the load generator', () => {
  it('sends a request lost on a reused kept-alive connection again, and counts it once, committed', async () => {
    const api = await standIn({ resetReusedConnections: true });
    const result = await openLoop({ apiUrls: [api.url], bodies, batch: 1, waitMs: 1000 }, 40, 0, 1);
    // Requests 25 ms apart reuse the connection the last one left idle; each one reset is sent once more, on a connection of its own.
    expect(api.resets()).toBeGreaterThan(0);
    expect(api.requests()).toBe(40 + api.resets());
    expect(result).toMatchObject({ sent: 40, committed: 40, failed: 0, failures: {} });
    expect(result.latenciesMs).toHaveLength(40);
  });

  it('counts refusals as failures by status and code, and does not send them again', async () => {
    const api = await standIn({ resetReusedConnections: false, refuse: (body) => (JSON.parse(body) as { transaction: number }).transaction % 4 === 0 });
    const result = await openLoop({ apiUrls: [api.url], bodies, batch: 1, waitMs: 1000 }, 40, 0, 1);
    expect(api.requests()).toBe(40);
    expect(result).toMatchObject({ sent: 40, committed: 30, failed: 10, failures: { '503 overloaded': 10 } });
  });
});
