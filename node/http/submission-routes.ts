/**
 * The submission core of the HTTP API: POST /v1/transactions, GET /v1/transactions/:id and
 * GET /v1/ledger/head. Bodies are parsed strictly (no duplicate keys, bounded) and checked
 * statelessly; bad input gets a 4xx naming the field and changes nothing.
 *
 * POST /v1/transactions takes one transaction or a batch: a JSON array of up to
 * SUBMISSION_BATCH_TRANSACTIONS_MAX of them, within the same body limit. Each transaction of a
 * batch is admitted or refused on its own, in order, and the answer is an array in the same
 * order: its status, or `{status: "refused", httpStatus, code, message, path}` with what a
 * single submission of it would have answered. With wait=commit the answer comes once every
 * admitted one is committed or rejected, or at the timeout with the statuses then. When any was
 * refused for load (503: `overloaded`, `mempool-full`, `stopping`), the answer carries the
 * longest Retry-After of those refusals.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { TransactionService, TransactionStatus } from '../transactions.js';
import { WAIT_TIMEOUT_MS_MAX } from '../transactions.js';
import { ApiError } from './errors.js';
import { decimalInteger } from './integers.js';
import { jsonBody, rawBody, submissionError } from './json-body.js';

const waitQuery = z.strictObject({
  wait: z.enum(['commit']).optional(),
  timeoutMs: decimalInteger(0, WAIT_TIMEOUT_MS_MAX).optional(),
});
/** Transactions one request may carry; the body limit (api.bodyBytesMax) applies to the whole batch. */
export const SUBMISSION_BATCH_TRANSACTIONS_MAX = 1000;
/** How long a wait=commit submission waits when the query does not say. */
const WAIT_TIMEOUT_MS_DEFAULT = 10_000;

export type BatchOutcome = TransactionStatus | { status: 'refused'; httpStatus: number; code: string; message: string; path: string };

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
    const body = jsonBody(request, options.bodyBytesMax);
    const waitMs = query.wait === 'commit' ? (query.timeoutMs ?? WAIT_TIMEOUT_MS_DEFAULT) : undefined;
    if (Array.isArray(body)) {
      const { outcomes, retryAfterS } = await submitBatch(options.transactions, body, waitMs);
      // Refusals for load say when to come back, as a single 503 would.
      if (retryAfterS !== undefined) response.setHeader('Retry-After', String(retryAfterS));
      response.status(200).json(outcomes);
      return;
    }
    const submitted = await options.transactions.submit(body);
    if (!submitted.ok) throw submissionError(submitted);
    const status = waitMs !== undefined ? await options.transactions.waitForCommit(submitted.id, waitMs) : await options.transactions.status(submitted.id);
    response.status(status.status === 'pending' ? 202 : 200).json(status);
  });

  router.get('/v1/transactions/:id', async (request, response) => {
    const id = transactionIdParameter.safeParse(request.params['id']);
    if (!id.success) throw new ApiError(400, 'bad-id', id.error.issues[0]!.message, 'id');
    const query = parseQuery(request);
    const status = query.wait === 'commit' ? await options.transactions.waitForCommit(id.data, query.timeoutMs ?? WAIT_TIMEOUT_MS_DEFAULT) : await options.transactions.status(id.data);
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

/**
 * Admits a batch in order, each transaction on its own, then waits (if asked) for all that were
 * admitted; with the longest Retry-After, in seconds, that a refusal for load named.
 */
async function submitBatch(transactions: TransactionService, batch: readonly unknown[], waitMs: number | undefined): Promise<{ outcomes: BatchOutcome[]; retryAfterS: number | undefined }> {
  if (batch.length === 0) throw new ApiError(422, 'empty-batch', 'a batch holds at least one transaction', '');
  if (batch.length > SUBMISSION_BATCH_TRANSACTIONS_MAX) {
    throw new ApiError(413, 'batch-too-large', `a batch holds at most ${SUBMISSION_BATCH_TRANSACTIONS_MAX} transactions; this one holds ${batch.length}`, '');
  }
  const submitted = [];
  for (const input of batch) submitted.push(await transactions.submit(input));
  let retryAfterS: number | undefined;
  const outcomes = await Promise.all(
    submitted.map(async (outcome, index): Promise<BatchOutcome> => {
      if (!outcome.ok) {
        const error = submissionError(outcome);
        const retryAfter = error.status === 503 ? Number(error.headers['Retry-After'] ?? 1) : undefined;
        if (retryAfter !== undefined) retryAfterS = Math.max(retryAfterS ?? 0, retryAfter);
        return { status: 'refused', httpStatus: error.status, code: error.code, message: error.message, path: error.path === '' ? `${index}` : `${index}.${error.path}` };
      }
      return waitMs !== undefined ? transactions.waitForCommit(outcome.id, waitMs) : transactions.status(outcome.id);
    }),
  );
  return { outcomes, retryAfterS };
}
