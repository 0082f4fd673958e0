/**
 * GET /v1/stream, server-sent events of new commits (WHATWG HTML, "Server-sent events"), against
 * a real validator: a commit naming the filtered EPC arrives after its submission, heartbeat
 * comments arrive, a reconnect with Last-Event-ID replays missed blocks, participants see only
 * their own transactions, and the number of streams is bounded, per participant and per node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitNotice } from '../../api/client.js';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { signReadRequest } from '../../api/http/read-signature.js';
import { CHAIN_ID, get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';
import { openStream, type EventStream } from './support/sse.js';

let node: ApiNode;
const events = liveEventBuilders();
let serial = 0;

/** Small bounds, so that a test reaches them with a few streams (STREAMS_MAX and STREAMS_PER_PARTICIPANT_MAX in production). */
const STREAMS_TEST_MAX = 6;
const STREAMS_PER_PARTICIPANT_TEST_MAX = 3;

beforeAll(async () => {
  node = await startApiNode({ stream: { streamsMax: STREAMS_TEST_MAX, streamsPerParticipantMax: STREAMS_PER_PARTICIPANT_TEST_MAX } });
}, 60_000);

afterAll(async () => {
  await node?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A new lot commissioned by the farm: submitted without waiting, so the stream sees it happen. */
async function commissionLot(): Promise<{ lot: string; id: string }> {
  serial += 1;
  const lot = `urn:epc:class:lgtin:0614141.0012345.STREAM${serial}`;
  const client = node.client();
  const transaction = client.transaction('epcis.capture', events.capture(events.commissionLot(lot, 5)), [node.signers['farm']!]);
  await client.submit(transaction);
  return { lot, id: client.idOf(transaction) };
}

describe('GET /v1/stream', () => {
  it('bounds the streams of one participant (429 beyond it, whatever its credential) and of the node (503 beyond it)', async () => {
    const streams: EventStream[] = [];
    const open = async (headers: Record<string, string>) => {
      const stream = await openStream(`${node.url}/v1/stream`, headers);
      if (stream.response.status === 200) streams.push(stream);
      return stream.response;
    };
    try {
      // One participant: a read token and signed requests count together.
      for (let index = 1; index < STREAMS_PER_PARTICIPANT_TEST_MAX; index++) expect((await open(bearer(TOKENS.regulator))).status).toBe(200);
      expect((await open(signReadRequest(CHAIN_ID, node.participantId('regulator'), node.signers['regulator']!.seed, 'GET', '/v1/stream', Date.now()))).status).toBe(200);
      const perParticipant = await open(bearer(TOKENS.regulator));
      expect(perParticipant.status).toBe(429);
      expect(perParticipant.headers.get('retry-after')).toBe('5');
      expect(await perParticipant.json()).toEqual({ code: 'too-many-streams-for-participant', message: expect.stringContaining(node.participantId('regulator')), path: '' });
      // Others still get theirs, up to the node's bound.
      for (let index = 0; index < STREAMS_TEST_MAX - STREAMS_PER_PARTICIPANT_TEST_MAX; index++) expect((await open(bearer(TOKENS.farm))).status).toBe(200);
      const refused = await open(bearer(TOKENS.retailer));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toEqual({ code: 'too-many-streams', message: expect.any(String), path: '' });
      expect(streams).toHaveLength(STREAMS_TEST_MAX);
    } finally {
      for (const stream of streams) stream.close();
    }
    // The server notices the closed connections; then streams are served again, to the same participant too.
    for (let attempt = 0; ; attempt++) {
      const stream = await openStream(`${node.url}/v1/stream`, bearer(TOKENS.regulator));
      stream.close();
      if (stream.response.status === 200) break;
      expect(attempt).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('delivers the commit of a submitted transaction to a stream filtered by its EPC, with heartbeats', async () => {
    serial += 1;
    const lot = `urn:epc:class:lgtin:0614141.0012345.STREAM${serial}`;
    const stream = await openStream(`${node.url}/v1/stream?epc=${encodeURIComponent(lot)}`, bearer(TOKENS.regulator));
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const opening = await stream.next();
      expect(opening.comments[0]).toMatch(/^connected at height \d+$/);
      const client = node.client();
      const transaction = client.transaction('epcis.capture', events.capture(events.commissionLot(lot, 5)), [node.signers['farm']!]);
      await client.submit(transaction);
      const commit = await stream.until((frame) => frame.event === 'commit');
      const notice = JSON.parse(commit.data!);
      expect(notice.transactions).toEqual([{ id: client.idOf(transaction), type: 'epcis.capture', status: 'accepted' }]);
      expect(notice.events).toEqual([expect.objectContaining({ txId: client.idOf(transaction), eventType: 'ObjectEvent', bizStep: 'commissioning' })]);
      expect(commit.id).toBe(String(notice.height));
      const status = await client.status(client.idOf(transaction));
      expect(status).toMatchObject({ status: 'committed', height: notice.height, blockHash: notice.blockHash });
      const heartbeat = await stream.until((frame) => frame.comments.includes('heartbeat'));
      expect(heartbeat.event).toBeUndefined();
    } finally {
      stream.close();
    }
  });

  it('streams through the typed client, resuming after a height', async () => {
    const before = (await node.client().head()).height;
    const { lot, id } = await commissionLot();
    expect((await node.client().status(id, { wait: true })).status).toBe('committed');
    const controller = new AbortController();
    const commits = node.as('farm').commits({ epc: lot, afterHeight: before, signal: controller.signal });
    const notice = (await commits.next()).value as CommitNotice;
    expect(notice.transactions.map((entry) => entry.id)).toEqual([id]);
    expect(notice.height).toBeGreaterThan(before);
    controller.abort();
    await commits.return(undefined).catch(() => undefined);
  });

  it('shows a participant every block but only its own transactions and events', async () => {
    const stream = await openStream(`${node.url}/v1/stream`, bearer(TOKENS.retailer));
    try {
      const { id } = await commissionLot();
      const status = await node.client().status(id, { wait: true });
      expect(status.status).toBe('committed');
      const height = (status as { height: number }).height;
      const frame = await stream.until((candidate) => candidate.id === String(height));
      const notice = JSON.parse(frame.data!);
      expect(notice.height).toBe(height);
      expect(notice.transactions).toEqual([]);
      expect(notice.events).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('replays the blocks after Last-Event-ID on reconnect', async () => {
    const head = (await get(`${node.url}/v1/ledger/head`)).body.height as number;
    const stream = await openStream(`${node.url}/v1/stream`, { ...bearer(TOKENS.regulator), 'last-event-id': String(head - 3) });
    try {
      const first = await stream.until((frame) => frame.event === 'commit');
      expect(first.id).toBe(String(head - 2));
      const second = await stream.until((frame) => frame.event === 'commit');
      expect(second.id).toBe(String(head - 1));
    } finally {
      stream.close();
    }
  });

  it('documents its errors: bad Last-Event-ID, bad EPC, unknown parameter, no credential', async () => {
    for (const [path, headers, status, code, field] of [
      ['/v1/stream', { ...bearer(TOKENS.regulator), 'last-event-id': 'yesterday' }, 400, 'bad-last-event-id', 'last-event-id'],
      ['/v1/stream?epc=not%20an%20epc', bearer(TOKENS.regulator), 400, 'bad-query', 'epc'],
      ['/v1/stream?since=1', bearer(TOKENS.regulator), 400, 'bad-query', 'since'],
      ['/v1/stream', {}, 401, 'credential-required', 'authorization'],
    ] as const) {
      const response = await get(`${node.url}${path}`, undefined, headers);
      expect(response.status, path).toBe(status);
      expect(response.body).toEqual({ code, message: expect.any(String), path: field });
    }
  });
});
