/**
 * Subscriptions through the participant gateway (issue 14; tools/gateway/block-feed.ts): a local
 * system holding the gateway's token subscribes to a named query as it would at a validator, and
 * receives, as the participant may read them, the new events committed whether captured through
 * the gateway or straight at a validator: by webhook, signed with HMAC-SHA256 in GS1-Signature,
 * or over a WebSocket. While no validator answers the feed waits, and once one does it goes on
 * from the last block it had, skipping none; a subscription is kept across a gateway restart and
 * gets the events committed while the gateway was down. Without the token nothing is subscribed.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import type { JsonObject } from '../../../api/epcis-xml/read-values.js';
import { startApiNode, type ApiNode } from '../../api/support/api-node.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { Receiver } from '../../support/webhook-receiver.js';
import { cuttableProxy, dataIn, jobWhen, request, settled, startTestGateway, until, type CuttableProxy, type TestGateway } from './support.js';

const directories = temporaryDirectories('gateway-subscriptions');
const events = liveEventBuilders();
/** Short timers: the feed polls every 20 ms, a failed delivery is retried within 50 ms. */
const FAST_SUBSCRIPTIONS = { feed: { pollIntervalMs: 20 }, webhooks: { attemptsMax: 1000, retryBaseMs: 10, retryMaxMs: 50, timeoutMs: 5000 } } as const;
const SECRET = 'the-erp-webhook-secret';

let node: ApiNode;
let proxy: CuttableProxy;
let gateway: TestGateway;
let hook: Receiver;
let data: string;
let subscriptionId: string;
let serial = 0;
/** The height of the last block committed through commissionAtValidator. */
let lastCommitHeight = 0;

const eventsOf = (body: any) => body.epcisBody.queryResults.resultsBody.eventList as Array<Record<string, any>>;
const delivered = () => hook.deliveries.flatMap((delivery) => eventsOf(delivery.body));
const deliveredItems = () => delivered().map((event) => event['epcList']?.[0] as string);

function newItem(): string {
  serial += 1;
  return `urn:epc:id:sgtin:0614141.0012345.GWSUB${serial}`;
}

/** Commissions a new farm item straight at the validator, not through the gateway. */
async function commissionAtValidator(): Promise<string> {
  const item = newItem();
  const client = node.client();
  const status = await client.submit(client.transaction('epcis.capture', events.capture(events.commissioning([item])), [node.signers['farm']!]), { wait: true });
  expect(status.status).toBe('committed');
  if (status.status === 'committed') lastCommitHeight = status.height;
  return item;
}

async function startFarmGateway(): Promise<TestGateway> {
  return startTestGateway({ validators: [proxy.url], dataDirectory: data, keyFile: node.participantKeyFiles['farm']!, ...FAST_SUBSCRIPTIONS });
}

beforeAll(async () => {
  [node, hook] = await Promise.all([startApiNode(), Receiver.start()]);
  proxy = await cuttableProxy(new URL(node.url));
  data = dataIn(await directories(), 'farm-gateway');
  gateway = await startFarmGateway();
  expect((await request(gateway, 'POST', '/epcis/queries', { body: { name: 'commissioned', query: { EQ_bizStep: ['commissioning'] } } })).status).toBe(201);
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all([proxy?.close(), hook?.close()]);
  await node?.close();
});

describe('the gateway’s local authentication of subscriptions', () => {
  it('creates no webhook subscription and opens no WebSocket without the gateway’s token', async () => {
    const body = { dest: hook.url, stream: true };
    expect(await request(gateway, 'POST', '/epcis/queries/commissioned/subscriptions', { body, token: null })).toMatchObject({ status: 401, body: { code: 'credential-required' } });
    expect(await request(gateway, 'POST', '/epcis/queries/commissioned/subscriptions', { body, token: `${gateway.token}x` })).toMatchObject({ status: 401, body: { code: 'bad-credential' } });
    expect((await request(gateway, 'GET', '/epcis/queries/commissioned/subscriptions')).body).toEqual([]);
    const refused = new WebSocket(`${gateway.url.replace(/^http/, 'ws')}/epcis/queries/commissioned/events?stream=true`);
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it('answers 503 rather than guess where a subscription starts while no validator has answered', async () => {
    const lonely = await startTestGateway({ validators: ['http://127.0.0.1:1'], genesisFile: node.genesisFile, dataDirectory: dataIn(await directories(), 'lonely'), keyFile: node.participantKeyFiles['farm']!, ...FAST_SUBSCRIPTIONS });
    try {
      expect((await request(lonely, 'POST', '/epcis/queries', { body: { name: 'any', query: {} } })).status).toBe(201);
      const answer = await request(lonely, 'POST', '/epcis/queries/any/subscriptions', { body: { dest: hook.url, stream: true } });
      expect(answer).toMatchObject({ status: 503, body: { code: 'head-unknown' } });
      expect(answer.headers.get('retry-after')).toBe('1');
    } finally {
      await lonely.close();
    }
  });
});

describe('webhook subscriptions through the gateway', () => {
  it('delivers the new events captured through the gateway and straight at a validator, signed with GS1-Signature', async () => {
    const subscribed = await request(gateway, 'POST', '/epcis/queries/commissioned/subscriptions', { body: { dest: hook.url, signatureToken: SECRET, stream: true } });
    expect(subscribed.status).toBe(201);
    subscriptionId = subscribed.body.subscriptionID;
    expect(subscribed.headers.get('location')).toBe(`/epcis/queries/commissioned/subscriptions/${subscriptionId}`);

    const throughGateway = newItem();
    const captured = await request(gateway, 'POST', '/epcis/capture', { body: events.document(events.commissioning([throughGateway])) as JsonObject });
    expect(captured.status).toBe(202);
    expect(await jobWhen(gateway, captured.headers.get('location')!, settled)).toMatchObject({ success: true });
    const atValidator = await commissionAtValidator();

    await hook.until(() => deliveredItems().includes(atValidator), 'the event captured at the validator');
    expect(deliveredItems()).toEqual([throughGateway, atValidator]);
    const status = await request(gateway, 'GET', '/gateway/status');
    expect(status.body.feed.head).toBeGreaterThanOrEqual(lastCommitHeight);
    for (const delivery of hook.deliveries) {
      expect(delivery.headers['gs1-signature']).toBe(createHmac('sha256', SECRET).update(delivery.text).digest('base64'));
      expect(delivery.body).toMatchObject({ type: 'EPCISQueryDocument', epcisBody: { queryResults: { queryName: 'commissioned', subscriptionID: subscriptionId } } });
    }
  });

  it('waits while no validator answers and then goes on from the last block it had, skipping none', async () => {
    const before = hook.deliveries.length;
    proxy.cut();
    await until(() => gateway.feedLink.validators[0]!.failures > 0, 'the gateway’s feed to find the validator unreachable');
    // Committed while the gateway cannot reach the validator: the gateway sees the block later.
    const first = await commissionAtValidator();
    const second = await commissionAtValidator();
    proxy.restore();
    await hook.until(() => deliveredItems().includes(second), 'the events committed while the validator was unreachable');
    expect(hook.deliveries.slice(before).flatMap((delivery) => eventsOf(delivery.body)).map((event) => event['epcList'][0])).toEqual([first, second]);
  });

  it('keeps the subscription across a gateway restart and delivers what was committed while it was down', async () => {
    // Delivery is at least once: one whose cursor the stop cuts short is sent again. The last was recorded before this stop.
    const lastArrived = hook.deliveries.at(-1)!.receivedAt;
    await until(async () => Date.parse((await request(gateway, 'GET', `/epcis/queries/commissioned/subscriptions/${subscriptionId}`)).body.lastNotifiedAt ?? '') >= lastArrived, 'the last delivery recorded');
    const before = hook.deliveries.length;
    await gateway.close();
    const whileDown = await commissionAtValidator();
    // The receiver fails the first attempt after the restart: the delivery is retried.
    hook.failing = true;
    const failures = hook.failures;
    gateway = await startFarmGateway();
    await hook.until(() => hook.failures > failures, 'a failed first delivery after the restart');
    hook.failing = false;
    await hook.until(() => hook.deliveries.length > before, 'the delivery of the event committed while the gateway was down');
    const state = await request(gateway, 'GET', `/epcis/queries/commissioned/subscriptions/${subscriptionId}`);
    expect(state).toMatchObject({ status: 200, body: { subscriptionID: subscriptionId, dest: hook.url, stream: true } });
    const next = await commissionAtValidator();
    await hook.until(() => deliveredItems().includes(next), 'a new event after the restart');
    // Each once, in order.
    expect(hook.deliveries.slice(before).flatMap((delivery) => eventsOf(delivery.body)).map((event) => event['epcList'][0])).toEqual([whileDown, next]);
  });
});

describe('WebSocket subscriptions through the gateway', () => {
  it('sends a subscriber holding the gateway’s token the new matching events', async () => {
    const socket = new WebSocket(`${gateway.url.replace(/^http/, 'ws')}/epcis/queries/commissioned/events?stream=true`, { headers: { authorization: `Bearer ${gateway.token}` } });
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('error', reject);
    });
    try {
      const item = await commissionAtValidator();
      await until(() => messages.some((message) => eventsOf(message).some((event) => event['epcList']?.[0] === item)), 'the event on the WebSocket');
      expect(messages.flatMap(eventsOf).map((event) => event['epcList'][0])).toEqual([item]);
      expect(messages[0]).toMatchObject({ type: 'EPCISQueryDocument', epcisBody: { queryResults: { queryName: 'commissioned' } } });
    } finally {
      socket.close();
    }
  });
});
