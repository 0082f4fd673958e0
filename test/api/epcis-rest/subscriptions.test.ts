/**
 * Query subscriptions of the GS1 EPCIS 2.0 REST binding (api/epcis-rest/subscriptions.ts,
 * query-routes.ts): a webhook receiver on this machine gets each new matching event, signed with
 * HMAC-SHA256 in GS1-Signature, retried after it first fails, still after the validator restarts,
 * and only what the party rule lets the subscriber read; a WebSocket subscriber gets new events
 * live, and is authenticated at the upgrade.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { startApiNode, TOKENS, type ApiNode } from '../support/api-node.js';
import { LIVE_SUBSCRIPTIONS_PER_PARTICIPANT_MAX } from '../../../api/epcis-rest/routes.js';
import { SUBSCRIPTIONS_PER_PARTICIPANT_MAX } from '../../../api/epcis-rest/store.js';
import { epcis } from './support.js';
import { Receiver } from '../../support/webhook-receiver.js';

let node: ApiNode;
let farmHook: Receiver;
let retailerHook: Receiver;
const events = liveEventBuilders();
let serial = 0;
const farmItem = () => `urn:epc:id:sgtin:0614141.0012345.SUB${serial++}`;
const eventsOf = (body: any) => body.epcisBody.queryResults.resultsBody.eventList as Array<Record<string, any>>;

beforeAll(async () => {
  // Retries outlast a restart, so that a delivery the restart cuts short is still pending after it.
  [node, farmHook, retailerHook] = await Promise.all([startApiNode({ epcis: { webhooks: { attemptsMax: 1000, retryBaseMs: 10, retryMaxMs: 50, timeoutMs: 5000, privateDestinations: true } } }), Receiver.start(), Receiver.start()]);
});
afterAll(async () => {
  await Promise.all([node?.close(), farmHook?.close(), retailerHook?.close()]);
});

/** Commissions one new farm item through /v1 and waits for its commit. */
async function commission(): Promise<string> {
  const item = farmItem();
  const client = node.client();
  const status = await client.submit(client.transaction('epcis.capture', events.capture(events.commissioning([item])), [node.signers['farm']!]), { wait: true });
  expect(status.status).toBe('committed');
  return item;
}

async function subscribe(token: keyof typeof TOKENS, query: string, dest: string, signatureToken: string): Promise<string> {
  const created = await epcis(node, 'POST', '/queries', { token, body: { name: query, query: { EQ_bizStep: ['commissioning', 'receiving'] } } });
  expect(created.status).toBe(201);
  const subscribed = await epcis(node, 'POST', `/queries/${query}/subscriptions`, { token, body: { dest, signatureToken, stream: true } });
  expect(subscribed.status).toBe(201);
  expect(subscribed.body).not.toHaveProperty('signatureToken');
  expect(subscribed.headers.get('location')).toBe(`/epcis/queries/${query}/subscriptions/${subscribed.body.subscriptionID}`);
  return subscribed.body.subscriptionID as string;
}

describe('webhook subscriptions', () => {
  let farmSubscription: string;

  it('delivers each new matching event, signed with HMAC-SHA256 in GS1-Signature, after the receiver first failed', async () => {
    farmSubscription = await subscribe('farm', 'commissioned', farmHook.url, 'farm-secret-token');
    farmHook.failing = true;
    const item = await commission();
    await farmHook.until(() => farmHook.failures >= 1, 'a failed first delivery');
    farmHook.failing = false;
    await farmHook.until(() => farmHook.deliveries.length >= 1, 'the retried delivery');
    const [delivery] = farmHook.deliveries;
    expect(delivery!.headers['gs1-signature']).toBe(createHmac('sha256', 'farm-secret-token').update(delivery!.text).digest('base64'));
    expect(delivery!.body).toMatchObject({ type: 'EPCISQueryDocument', epcisBody: { queryResults: { queryName: 'commissioned', subscriptionID: farmSubscription } } });
    expect(eventsOf(delivery!.body)).toEqual([expect.objectContaining({ epcList: [item] })]);
    const state = await epcis(node, 'GET', `/queries/commissioned/subscriptions/${farmSubscription}`, { token: 'farm' });
    expect(state.body).toMatchObject({ subscriptionID: farmSubscription, dest: farmHook.url, stream: true, failedDeliveries: 0 });
    expect(state.body).not.toHaveProperty('signatureToken');
  });

  it('delivers only what the subscriber may read, and shows a subscription only to its owner or an auditor', async () => {
    const retailerSubscription = await subscribe('retailer', 'commissioned', retailerHook.url, 'retailer-token');
    const farmOnly = await commission();
    // Then an event the retailer is a party to: its receipt of a shipment from the farm.
    const item = await commission();
    const client = node.client();
    const shipping = client.transaction('epcis.capture', events.capture(events.shipping({ epcs: [item] }, node.participantId('retailer'))), [node.signers['farm']!]);
    expect((await client.submit(shipping, { wait: true })).status).toBe('committed');
    const receipt = client.transaction('epcis.capture', events.capture(events.receiving({ epcs: [item] }, node.participantId('farm'))), [node.signers['retailer']!]);
    expect((await client.submit(receipt, { wait: true })).status).toBe('committed');
    await retailerHook.until(() => retailerHook.deliveries.length >= 1, 'the retailer delivery');
    // Blocks are delivered in order: the farm's own commissioning came first and was not sent.
    const delivered = retailerHook.deliveries.flatMap((delivery) => eventsOf(delivery.body));
    expect(delivered).toEqual([expect.objectContaining({ bizStep: 'receiving', epcList: [item] })]);
    expect(JSON.stringify(delivered)).not.toContain(farmOnly);
    // The farm, the receipt's source, is a party to it: its own subscription gets it too (and is then caught up).
    await farmHook.until(() => farmHook.deliveries.some((delivery) => eventsOf(delivery.body).some((event) => event['bizStep'] === 'receiving')), 'the receipt at the farm');

    expect((await epcis(node, 'GET', `/queries/commissioned/subscriptions/${farmSubscription}`, { token: 'retailer' })).status).toBe(404);
    expect((await epcis(node, 'DELETE', `/queries/commissioned/subscriptions/${farmSubscription}`, { token: 'retailer' })).status).toBe(404);
    expect((await epcis(node, 'GET', `/queries/commissioned/subscriptions/${farmSubscription}`, { token: 'regulator' })).status).toBe(200);
    expect((await epcis(node, 'GET', '/queries/commissioned/subscriptions', { token: 'retailer' })).body.map((entry: { subscriptionID: string }) => entry.subscriptionID)).toEqual([retailerSubscription]);
    expect((await epcis(node, 'DELETE', `/queries/commissioned/subscriptions/${retailerSubscription}`, { token: 'retailer' })).status).toBe(204);
  });

  it('refuses scheduled subscriptions, a destination that is not http(s), and a body that is not JSON', async () => {
    expect((await epcis(node, 'POST', '/queries/commissioned/subscriptions', { token: 'farm', body: { dest: farmHook.url, schedule: { hour: '1' } } })).body).toMatchObject({ status: 400, type: 'epcisException:SubscriptionControlsException' });
    expect((await epcis(node, 'POST', '/queries/commissioned/subscriptions', { token: 'farm', body: { dest: 'file:///etc/passwd', stream: true } })).body).toMatchObject({ status: 400, path: 'dest' });
    expect((await epcis(node, 'POST', '/queries/commissioned/subscriptions', { token: 'farm', body: 'dest=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });

  it('survives a restart: the subscription is kept and a delivery cut short is sent again', async () => {
    const before = farmHook.deliveries.length;
    farmHook.failing = true;
    const failures = farmHook.failures;
    const item = await commission();
    await farmHook.until(() => farmHook.failures > failures, 'a failing delivery before the restart');
    await node.restart();
    farmHook.failing = false;
    await farmHook.until(() => farmHook.deliveries.length > before, 'the delivery after the restart');
    expect(farmHook.deliveries.slice(before).flatMap((delivery) => eventsOf(delivery.body))).toEqual([expect.objectContaining({ epcList: [item] })]);
    expect((await epcis(node, 'GET', `/queries/commissioned/subscriptions/${farmSubscription}`, { token: 'farm' })).status).toBe(200);
    // And new events still arrive, once each.
    const next = await commission();
    await farmHook.until(() => farmHook.deliveries.length > before + 1, 'a delivery of a new event');
    expect(farmHook.deliveries.slice(before).flatMap((delivery) => eventsOf(delivery.body)).map((event) => event['epcList'][0])).toEqual([item, next]);
  });
});

describe('WebSocket subscriptions', () => {
  it('sends new matching events to an authenticated subscriber, and refuses one without a credential', async () => {
    const base = node.url.replace(/^http/, 'ws');
    const refused = new WebSocket(`${base}/epcis/queries/commissioned/events?stream=true`);
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(401);

    const socket = new WebSocket(`${base}/epcis/queries/commissioned/events?stream=true`, { headers: { authorization: `Bearer ${TOKENS.farm}` } });
    const messages: JsonValue[] = [];
    const received = new Promise<void>((resolve) => socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as JsonValue);
      resolve();
    }));
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('error', reject);
    });
    const item = await commission();
    await received;
    expect(eventsOf(messages[0])).toEqual([expect.objectContaining({ epcList: [item] })]);
    socket.close();
  });

  it('holds each participant to its number of live subscriptions', async () => {
    const base = node.url.replace(/^http/, 'ws');
    const open = () =>
      new Promise<WebSocket | number>((resolve) => {
        // The retailer, who holds no other live subscription (its query of the same name is its own).
        const socket = new WebSocket(`${base}/epcis/queries/commissioned/events?stream=true`, { headers: { authorization: `Bearer ${TOKENS.retailer}` } });
        socket.on('open', () => resolve(socket));
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      });
    const sockets = [];
    for (let index = 0; index < LIVE_SUBSCRIPTIONS_PER_PARTICIPANT_MAX; index++) sockets.push(await open());
    expect(sockets.every((socket) => socket instanceof WebSocket)).toBe(true);
    expect(await open()).toBe(429);
    for (const socket of sockets) (socket as WebSocket).terminate();
  });
});

describe('initialRecordTime', () => {
  it('starts a subscription at the blocks recorded since then, delivering events captured before it was made', async () => {
    const history = await Receiver.start();
    try {
      expect((await epcis(node, 'POST', '/queries', { token: 'farm', body: { name: 'history', query: { EQ_eventID: [node.extras.commissioningEventId] } } })).status).toBe(201);
      const subscribed = await epcis(node, 'POST', '/queries/history/subscriptions', { token: 'farm', body: { dest: history.url, stream: true, initialRecordTime: '2000-01-01T00:00:00Z' } });
      expect(subscribed.body).toMatchObject({ initialRecordTime: '2000-01-01T00:00:00Z' });
      await history.until(() => history.deliveries.length >= 1, 'the past event');
      expect(eventsOf(history.deliveries[0]!.body)).toEqual([expect.objectContaining({ eventID: node.extras.commissioningEventId })]);
      expect((await epcis(node, 'POST', '/queries/history/subscriptions', { token: 'farm', body: { dest: history.url, stream: true, initialRecordTime: 'last week' } })).body).toMatchObject({ status: 400, path: 'initialRecordTime' });
      expect((await epcis(node, 'DELETE', '/queries/history', { token: 'farm' })).status).toBe(204);
    } finally {
      await history.close();
    }
  });
});

describe('bounds', () => {
  it('holds each participant to its number of webhook subscriptions', async () => {
    const created = await epcis(node, 'POST', '/queries', { token: 'carrier', body: { name: 'destroyed', query: { EQ_bizStep: ['destroying'] } } });
    expect(created.status).toBe(201);
    const subscribe = () => epcis(node, 'POST', '/queries/destroyed/subscriptions', { token: 'carrier', body: { dest: retailerHook.url.replace('/hook', '/never'), stream: true } });
    for (let index = 0; index < SUBSCRIPTIONS_PER_PARTICIPANT_MAX; index++) expect((await subscribe()).status).toBe(201);
    expect((await subscribe()).body).toMatchObject({ status: 409, code: 'too-many-subscriptions' });
    // Deleting the query ends its subscriptions, and frees their places.
    expect((await epcis(node, 'DELETE', '/queries/destroyed', { token: 'carrier' })).status).toBe(204);
    expect((await epcis(node, 'GET', '/queries/destroyed/subscriptions', { token: 'carrier' })).body).toEqual([]);
  });
});
