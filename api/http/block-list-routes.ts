/**
 * GET /v1/blocks?from=&limit=: a range of committed blocks (headers, hashes, the quorum
 * certificate on each, and their transactions' ids, types and results; never payloads), for the
 * block explorer. GET /v1/blocks-with-transactions?before=: the blocks that carry transactions,
 * newest first, from the store's index, whatever their height and however many empty blocks lie
 * between. Headers and certificates carry no payload, so both are public, like
 * GET /v1/blocks/:height (node/http/block-routes.ts).
 */
import { Router } from 'express';
import { z } from 'zod';
import { blockHash, type Block } from '../../ledger/model/block.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { AUDITOR_INDEX_LIMITS } from '../../ledger/store/auditor-indices.js';
import { STORE_LIMITS, type BlockStore } from '../../ledger/store/block-store.js';
import type { ValidatorContext } from '../../node/validator.js';
import type { Operation } from './operations.js';
import { blockSummarySchema } from './schemas.js';
import { parseRequestPart, positiveIntegerParameter } from './validation.js';

export const BLOCKS_PER_PAGE_MAX = STORE_LIMITS.blocksPerRangeMax;
export const BLOCKS_PER_PAGE_DEFAULT = 20;

export const blockListQuery = z.strictObject({
  from: positiveIntegerParameter().optional().describe('the first height (default: the newest `limit` blocks)'),
  limit: positiveIntegerParameter(BLOCKS_PER_PAGE_MAX).optional().describe(`blocks to return, 1 to ${BLOCKS_PER_PAGE_MAX} (default ${BLOCKS_PER_PAGE_DEFAULT})`),
});

export const blockListResponse = z.object({
  head: z.number().int().describe('the height of the newest committed block'),
  from: z.number().int(),
  blocks: z.array(blockSummarySchema),
  next: z.number().int().optional().describe('the from of the following range, when there are more blocks'),
});

export const busyBlocksQuery = z.strictObject({
  before: positiveIntegerParameter().optional().describe('only blocks below this height (default: all); the `before` of the previous page'),
  limit: positiveIntegerParameter(AUDITOR_INDEX_LIMITS.blocksPerPageMax).optional().describe(`blocks to return, 1 to ${AUDITOR_INDEX_LIMITS.blocksPerPageMax} (default ${BLOCKS_PER_PAGE_DEFAULT})`),
});

export const busyBlocksResponse = z.object({
  head: z.number().int().describe('the height of the newest committed block'),
  blocks: z.array(blockSummarySchema).describe('newest first'),
  before: z.number().int().optional().describe('the before of the next page, when there are more'),
});

export const blockListOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/blocks',
    operationId: 'listBlocks',
    summary: 'a range of committed blocks with their certificates',
    tags: ['ledger'],
    access: 'public',
    query: blockListQuery,
    responses: { 200: { description: 'the blocks, in height order', schema: blockListResponse } },
    errors: { 400: ['bad-query'] },
  },
  {
    method: 'get',
    path: '/v1/blocks-with-transactions',
    operationId: 'listBlocksWithTransactions',
    summary: 'the committed blocks that carry transactions, newest first',
    tags: ['ledger'],
    access: 'public',
    query: busyBlocksQuery,
    responses: { 200: { description: 'the blocks, newest first', schema: busyBlocksResponse } },
    errors: { 400: ['bad-query'] },
  },
];

async function summaryOf(store: BlockStore, block: Block): Promise<z.input<typeof blockSummarySchema>> {
  const height = block.header.height;
  const [certificate, results] = await Promise.all([store.getCertificate(height), store.getResults(height)]);
  if (certificate === undefined || results === undefined) throw new Error(`the store lacks the certificate or results of block ${height}`);
  return {
    height,
    hash: blockHash(block.header),
    header: block.header,
    certificate,
    transactions: block.transactions.map((transaction, position) => ({ id: transactionId(transaction.body), type: transaction.body.type, result: results[position]! })),
  };
}

export function blockListRoutes(context: ValidatorContext): Router {
  const router = Router();
  router.get('/v1/blocks', async (request, response) => {
    const query = parseRequestPart(blockListQuery, request, 'query');
    const head = context.store.head().height;
    const limit = query.limit ?? BLOCKS_PER_PAGE_DEFAULT;
    const from = query.from ?? Math.max(1, head - limit + 1);
    const blocks = await context.store.getBlocks(from, limit);
    const summaries = await Promise.all(blocks.map((block) => summaryOf(context.store, block)));
    const last = summaries[summaries.length - 1]?.height;
    response.json({ head, from, blocks: summaries, ...(last !== undefined && last < head ? { next: last + 1 } : {}) } satisfies z.input<typeof blockListResponse>);
  });

  router.get('/v1/blocks-with-transactions', async (request, response) => {
    const query = parseRequestPart(busyBlocksQuery, request, 'query');
    const head = context.store.head().height;
    const limit = query.limit ?? BLOCKS_PER_PAGE_DEFAULT;
    // One more than asked: whether there is a next page.
    const heights = await context.store.busyBlocksBefore(query.before ?? head + 1, limit + 1);
    const shown = heights.slice(0, limit);
    const summaries = [];
    for (const height of shown) {
      const block = await context.store.getBlock(height);
      if (block === undefined) throw new Error(`the store indexes block ${height} but lacks it`);
      summaries.push(await summaryOf(context.store, block));
    }
    const lowest = shown[shown.length - 1];
    response.json({ head, blocks: summaries, ...(heights.length > limit && lowest !== undefined ? { before: lowest } : {}) } satisfies z.input<typeof busyBlocksResponse>);
  });
  return router;
}
