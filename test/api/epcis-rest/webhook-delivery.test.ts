/**
 * One webhook delivery against hostile destinations (api/epcis-rest/webhook-delivery.ts): a
 * redirect is a failure and is not followed, a destination that never answers fails at the
 * deadline, an endless answer is read only up to the bound, and the signature is the HMAC of the
 * exact bytes sent.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedLookup } from '../../../api/epcis-rest/destinations.js';
import { postWebhook } from '../../../api/epcis-rest/webhook-delivery.js';

let server: Server;
let base: string;
const followed: string[] = [];
const signatures: Array<{ header: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/redirect') {
        response.writeHead(307, { location: '/target' }).end();
      } else if (request.url === '/target') {
        followed.push(request.url);
        response.end();
      } else if (request.url === '/silent') {
        // Never answers.
      } else if (request.url === '/endless') {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (response.write(chunk));
        };
        response.on('drain', pump);
        pump();
      } else {
        signatures.push({ header: request.headers['gs1-signature'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
        response.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// The test's destinations are on this machine: allowed here, refused by default (last test).
const limits = { timeoutMs: 300, responseBytesMax: 4096, privateDestinations: true };

describe('postWebhook', () => {
  it('signs the exact body with HMAC-SHA256 under the token, base64 in GS1-Signature', async () => {
    const body = JSON.stringify({ type: 'EPCISQueryDocument', text: 'ünïcode' });
    expect(await postWebhook(`${base}/hook`, body, 'the-token', limits, new AbortController().signal)).toEqual({ ok: true, status: 200 });
    expect(signatures.at(-1)).toEqual({ header: createHmac('sha256', 'the-token').update(Buffer.from(body, 'utf8')).digest('base64'), body });
    await postWebhook(`${base}/hook`, body, undefined, limits, new AbortController().signal);
    expect(signatures.at(-1)!.header).toBeUndefined();
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const result = await postWebhook(`${base}/redirect`, '{}', 't', limits, new AbortController().signal);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('redirects are not followed') });
    expect(followed).toEqual([]);
  });

  it('gives up on a destination that never answers, and stops reading an endless answer at its bound', async () => {
    expect(await postWebhook(`${base}/silent`, '{}', 't', limits, new AbortController().signal)).toEqual({ ok: false, reason: expect.stringContaining('no complete answer') });
    // A 2xx whose body goes on: delivered, and the rest is never read.
    expect(await postWebhook(`${base}/endless`, '{}', 't', { timeoutMs: 10_000, responseBytesMax: 4096, privateDestinations: true }, new AbortController().signal)).toEqual({ ok: true, status: 200 });
    const stopping = new AbortController();
    const pending = postWebhook(`${base}/silent`, '{}', 't', { timeoutMs: 60_000, responseBytesMax: 4096, privateDestinations: true }, stopping.signal);
    stopping.abort();
    expect(await pending).toEqual({ ok: false, reason: 'the node is stopping' });
  });

  it('reaches no internal address unless the operator allows it, by literal address or by a name that resolves to one', async () => {
    const internal = { ...limits, privateDestinations: false };
    const delivered = signatures.length;
    expect(await postWebhook(`${base}/hook`, '{}', 't', internal, new AbortController().signal)).toEqual({ ok: false, reason: expect.stringContaining('internal address') });
    // "localhost" by name is refused before any lookup.
    const port = new URL(base).port;
    expect(await postWebhook(`http://localhost:${port}/hook`, '{}', 't', internal, new AbortController().signal)).toEqual({ ok: false, reason: expect.stringContaining('this machine') });
    // What the connection's lookup does with a name that resolves to loopback (a re-pointed name, say).
    const looked = await new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) => guardedLookup(false)('localhost', {}, (error, address) => resolve({ error, address })));
    expect(looked.error).toMatchObject({ code: 'EDESTINATION', message: expect.stringContaining('internal addresses') });
    const allowed = await new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) => guardedLookup(true)('localhost', {}, (error, address) => resolve({ error, address })));
    expect(allowed).toMatchObject({ error: null, address: expect.stringMatching(/^(127\.|::1)/) });
    expect(signatures.length).toBe(delivered);
  });
});
