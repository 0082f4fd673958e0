/**
 * GET /v1/block-events?from=&limit=: the EPCIS events a range of consecutive committed blocks
 * recorded, block by block, that the reader may read (the party rule: auditors and regulators see
 * all; anyone else only events to which it is a party), with each block's time. It is how a
 * participant gateway follows new blocks for its own subscriptions (tools/gateway/block-feed.ts;
 * docs/epcis.md, "Participant gateway"): one signed read per poll says the head and brings the
 * new blocks' events, and a range read catches up after an outage without skipping a height.
 *
 * Bounded: at most BLOCK_EVENTS_BLOCKS_MAX blocks per answer, and blocks stop being added once
 * BLOCK_EVENTS_BYTES_MAX of events are in it (the first block is always whole); `next` says
 * where the range continues.
 */
import { Router } from 'express';
import { z } from 'zod';
import { blockHash } from '../../ledger/model/block.js';
import { STORE_LIMITS } from '../../ledger/store/block-store.js';
import type { ValidatorContext } from '../../node/validator.js';
import { canReadEvent, readerOf, type ReadAccess } from './access.js';
import { eventsOfBlock } from './block-events.js';
import type { Operation } from './operations.js';
import { hash } from './schemas.js';
import { parseRequestPart, positiveIntegerParameter } from './validation.js';

export const BLOCK_EVENTS_BLOCKS_MAX = STORE_LIMITS.blocksPerRangeMax;
const BLOCK_EVENTS_BLOCKS_DEFAULT = 20;
/** Blocks read from the store per step of a range. */
const BLOCKS_READ_AT_ONCE = 8;
/** Bytes of events (as JSON) past which no further block is added to an answer. */
export const BLOCK_EVENTS_BYTES_MAX = 4 * 1024 * 1024;

export const blockEventsQuery = z.strictObject({
  from: positiveIntegerParameter().optional().describe('the first height (default: the newest `limit` blocks)'),
  limit: positiveIntegerParameter(BLOCK_EVENTS_BLOCKS_MAX).optional().describe(`blocks to return, 1 to ${BLOCK_EVENTS_BLOCKS_MAX} (default ${BLOCK_EVENTS_BLOCKS_DEFAULT})`),
});

export const blockEventSchema = z.object({
  reference: z.string().describe('height:position:index'),
  txId: hash,
  eventHash: z.string().optional().describe('the event\'s content hash (ni:///sha-256;...)'),
  event: z.record(z.string(), z.unknown()).describe('the EPCIS event as recorded'),
});

export const blockEventsResponse = z.object({
  head: z.number().int().describe('the height of the newest committed block'),
  from: z.number().int(),
  blocks: z
    .array(z.object({ height: z.number().int(), hash, timestamp: z.number().int().describe('the block time, ms'), events: z.array(blockEventSchema) }))
    .describe('consecutive blocks from `from`, in height order; each with the events the reader may read, in block order'),
  next: z.number().int().optional().describe('the from of the following range, when there are more blocks'),
});

export const blockEventOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/block-events',
    operationId: 'blockEvents',
    summary: 'the events of a range of committed blocks that the reader may read, block by block',
    description:
      `At most ${BLOCK_EVENTS_BLOCKS_MAX} blocks, and no block is added once ${BLOCK_EVENTS_BYTES_MAX / (1024 * 1024)} MiB of events are in the answer. ` +
      'Participants other than auditors and regulators see only events to which they are a party; every block of the range is listed, with no events when it has none for the reader.',
    tags: ['streams'],
    access: 'read',
    query: blockEventsQuery,
    responses: { 200: { description: 'the blocks, in height order', schema: blockEventsResponse } },
    errors: { 400: ['bad-query'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'] },
  },
];

export function blockEventRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  router.get('/v1/block-events', access.require, async (request, response) => {
    const query = parseRequestPart(blockEventsQuery, request, 'query');
    const reader = readerOf(response);
    const { store } = context;
    const head = store.head().height;
    const limit = query.limit ?? BLOCK_EVENTS_BLOCKS_DEFAULT;
    const from = query.from ?? Math.max(1, head - limit + 1);
    const blocks: z.input<typeof blockEventsResponse>['blocks'] = [];
    let bytes = 0;
    // Blocks are read a few at a time, so that a range which reaches the byte budget early does
    // not first read (and hold) all of its blocks.
    reading: for (let start = from; start < from + limit && start <= head; start += BLOCKS_READ_AT_ONCE) {
      for (const block of await store.getBlocks(start, Math.min(BLOCKS_READ_AT_ONCE, from + limit - start))) {
        if (blocks.length > 0 && bytes > BLOCK_EVENTS_BYTES_MAX) break reading;
        const height = block.header.height;
        const results = await store.getResults(height);
        if (results === undefined) throw new Error(`the store lacks the results of block ${height}`);
        const events = (await eventsOfBlock(store, height, block, results))
          .filter((stored) => canReadEvent(reader, stored))
          .map((stored) => ({ reference: stored.reference, txId: stored.txId, ...(stored.eventHash === undefined ? {} : { eventHash: stored.eventHash }), event: stored.event as Record<string, unknown> }));
        bytes += JSON.stringify(events).length;
        blocks.push({ height, hash: blockHash(block.header), timestamp: block.header.timestamp, events });
      }
    }
    const last = blocks[blocks.length - 1]?.height ?? from - 1;
    response.json({ head, from, blocks, ...(last < head ? { next: last + 1 } : {}) } satisfies z.input<typeof blockEventsResponse>);
  });
  return router;
}
