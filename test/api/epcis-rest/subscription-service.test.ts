/**
 * The webhook worker of api/epcis-rest/subscriptions.ts over a stand-in backend (blocks fed by
 * hand): a delivery that keeps failing is given up after attemptsMax, counted with its reason, and
 * the subscription goes on with the next block; its position is stored.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../ledger/store/records.js';
import type { EpcisBackend } from '../../../api/epcis-rest/backend.js';
import { BindingStore } from '../../../api/epcis-rest/store.js';
import { SubscriptionService } from '../../../api/epcis-rest/subscriptions.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('subscription-service');
const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Last opened, first closed: the service stops before the server it delivers to.
  for (const close of closing.splice(0).reverse()) await close();
});

function storedEvent(height: number, epc: string): StoredEvent {
  return { reference: `${height}:0:0`, height, position: 0, eventIndex: 0, txId: 'ab'.repeat(32), participants: ['urn:epc:id:pgln:0614141.00001'], event: { type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [epc] } };
}

describe('a webhook that keeps failing', () => {
  it('is given up after attemptsMax, counted, and the next block is delivered', async () => {
    let refuseFirst = true;
    const received: string[] = [];
    let attempts = 0;
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        attempts += 1;
        const body = Buffer.concat(chunks).toString('utf8');
        // Everything about the first block is refused; the second is taken.
        if (refuseFirst && body.includes('FIRST')) response.statusCode = 503;
        else received.push(body);
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closing.push(() => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() ends only the connections idle at that moment.
      server.closeAllConnections();
      return closed;
    });

    const blocks = new Map<number, StoredEvent[]>();
    let head = 0;
    const listeners = new Set<(height: number) => void>();
    const storage = new BindingStore(await newDirectory());
    closing.push(() => storage.close());
    const warnings: string[] = [];
    const backend = {
      feed: {
        head: () => head,
        eventsAt: async (height: number) => blocks.get(height),
        timeAt: async () => undefined,
        onHeight: (listener: (height: number) => void) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
      storage,
      readerOf: async (participant: string) => ({ participant, roles: ['auditor'], readsEverything: true, credential: 'subscription' }),
      warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message),
    } as unknown as EpcisBackend;
    const service = new SubscriptionService(backend, { attemptsMax: 3, retryBaseMs: 1, retryMaxMs: 2, timeoutMs: 5000, responseBytesMax: 1024, privateDestinations: true });
    closing.push(() => service.stop());
    await service.start();

    const record = { subscriptionID: '00000000-0000-4000-8000-000000000001', owner: 'urn:epc:id:pgln:0614147.00001', queryName: 'all', query: {}, dest: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, reportIfEmpty: false, createdAt: '2026-01-01T00:00:00Z' };
    expect(await storage.addSubscription(record, { height: 0, failedDeliveries: 0 })).toBe('created');
    service.startWorker(record, { height: 0, failedDeliveries: 0 });

    blocks.set(1, [storedEvent(1, 'urn:epc:id:sgtin:0614141.1.FIRST')]);
    blocks.set(2, [storedEvent(2, 'urn:epc:id:sgtin:0614141.1.SECOND')]);
    head = 2;
    for (const listener of listeners) listener(2);

    // Written down once the second block is delivered.
    await expect.poll(async () => (await storage.delivery(record.subscriptionID))?.height, { timeout: 10_000 }).toBe(2);
    expect(received).toHaveLength(1);
    expect(received[0]).toContain('SECOND');
    expect(attempts).toBe(4);
    expect(await storage.delivery(record.subscriptionID)).toMatchObject({ height: 2, failedDeliveries: 1, lastError: expect.stringContaining('attempt 3: answered 503') });
    expect(warnings).toContain('a webhook delivery failed for good; moving on');
  });
});
