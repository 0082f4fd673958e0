/**
 * GET /v1/blocks?from=&limit=: a range of committed blocks (headers, hashes, the quorum
 * certificate on each, and their transactions' ids, types and results; never payloads), for the
 * block explorer. Headers and certificates carry no payload, so this is public, like
 * GET /v1/blocks/:height (node/http/block-routes.ts).
 */
import { Router } from 'express';
import { z } from 'zod';
import { blockHash } from '../../ledger/model/block.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { STORE_LIMITS } from '../../ledger/store/block-store.js';
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
];

export function blockListRoutes(context: ValidatorContext): Router {
  const router = Router();
  router.get('/v1/blocks', async (request, response) => {
    const query = parseRequestPart(blockListQuery, request, 'query');
    const head = context.store.head().height;
    const limit = query.limit ?? BLOCKS_PER_PAGE_DEFAULT;
    const from = query.from ?? Math.max(1, head - limit + 1);
    const blocks = await context.store.getBlocks(from, limit);
    const summaries = await Promise.all(
      blocks.map(async (block) => {
        const height = block.header.height;
        const [certificate, results] = await Promise.all([context.store.getCertificate(height), context.store.getResults(height)]);
        if (certificate === undefined || results === undefined) throw new Error(`the store lacks the certificate or results of block ${height}`);
        return {
          height,
          hash: blockHash(block.header),
          header: block.header,
          certificate,
          transactions: block.transactions.map((transaction, position) => ({ id: transactionId(transaction.body), type: transaction.body.type, result: results[position]! })),
        };
      }),
    );
    const last = summaries[summaries.length - 1]?.height;
    response.json({ head, from, blocks: summaries, ...(last !== undefined && last < head ? { next: last + 1 } : {}) } satisfies z.input<typeof blockListResponse>);
  });
  return router;
}
