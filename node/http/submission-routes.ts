/**
 * The submission core of the HTTP API: POST /v1/transactions, GET /v1/transactions/:id and
 * GET /v1/ledger/head. Bodies are parsed strictly (no duplicate keys, bounded) and checked
 * statelessly; bad input gets a 4xx naming the field and changes nothing.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { TransactionService } from '../transactions.js';
import { WAIT_TIMEOUT_MS_MAX } from '../transactions.js';
import { ApiError } from './errors.js';
import { decimalInteger } from './integers.js';
import { jsonBody, rawBody, submissionError } from './json-body.js';

const waitQuery = z.strictObject({
  wait: z.enum(['commit']).optional(),
  timeoutMs: decimalInteger(0, WAIT_TIMEOUT_MS_MAX).optional(),
});
const transactionIdParameter = z.string().regex(/^[0-9a-f]{64}$/, 'expected a transaction id: 64 lowercase hex digits');

export interface SubmissionRoutesOptions {
  transactions: TransactionService;
  store: BlockStore;
  bodyBytesMax: number;
}

function parseQuery(request: Request) {
  const parsed = waitQuery.safeParse(request.query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError(400, 'bad-query', `${issue.path.join('.')}: ${issue.message}`, issue.path.join('.'));
  }
  return parsed.data;
}

export function submissionRoutes(options: SubmissionRoutesOptions): Router {
  const router = Router();
  router.post('/v1/transactions', rawBody(options.bodyBytesMax), async (request, response) => {
    const query = parseQuery(request);
    const submitted = await options.transactions.submit(jsonBody(request, options.bodyBytesMax));
    if (!submitted.ok) throw submissionError(submitted);
    const status = query.wait === 'commit' ? await options.transactions.waitForCommit(submitted.id, query.timeoutMs ?? 10_000) : await options.transactions.status(submitted.id);
    response.status(status.status === 'pending' ? 202 : 200).json(status);
  });

  router.get('/v1/transactions/:id', async (request, response) => {
    const id = transactionIdParameter.safeParse(request.params['id']);
    if (!id.success) throw new ApiError(400, 'bad-id', id.error.issues[0]!.message, 'id');
    const query = parseQuery(request);
    const status = query.wait === 'commit' ? await options.transactions.waitForCommit(id.data, query.timeoutMs ?? 10_000) : await options.transactions.status(id.data);
    if (status.status === 'unknown') throw new ApiError(404, 'not-found', `no transaction ${id.data} is pending or committed here`, 'id');
    response.json(status);
  });

  router.get('/v1/ledger/head', async (_request, response) => {
    const head = options.store.head();
    const block = head.height === 0 ? undefined : await options.store.getBlock(head.height);
    const certificate = head.height === 0 ? undefined : await options.store.getCertificate(head.height);
    response.json({
      height: head.height,
      blockHash: head.blockHash,
      ledger: { logSize: head.logSize, logRoot: head.logRoot, stateRoot: head.stateRoot },
      // The checkpoint an auditor can verify offline: the head header (whose roots are those of
      // the ledger at its ledgerHeight) and the quorum certificate on it.
      checkpoint: block === undefined || certificate === undefined ? null : { header: block.header, certificate },
    });
  });

  return router;
}
