/** GET /v1/blocks/:height: a committed block's header, hash, transaction ids and the QC on it. */
import { Router } from 'express';
import { blockHash } from '../../ledger/model/block.js';
import { transactionId } from '../../ledger/model/transaction.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { ApiError } from './errors.js';
import { decimalInteger } from './integers.js';

const heightParameter = decimalInteger(1);

export function blockRoutes(store: BlockStore): Router {
  const router = Router();
  router.get('/v1/blocks/:height', async (request, response) => {
    const height = heightParameter.safeParse(request.params['height']);
    if (!height.success) throw new ApiError(400, 'bad-height', `height: ${height.error.issues[0]!.message}`, 'height');
    const [block, certificate, results] = await Promise.all([store.getBlock(height.data), store.getCertificate(height.data), store.getResults(height.data)]);
    if (block === undefined || certificate === undefined || results === undefined) throw new ApiError(404, 'not-found', `no committed block at height ${height.data}`, 'height');
    response.json({
      height: height.data,
      hash: blockHash(block.header),
      header: block.header,
      certificate,
      transactions: block.transactions.map((transaction, position) => ({ id: transactionId(transaction.body), type: transaction.body.type, result: results[position] })),
    });
  });
  return router;
}
