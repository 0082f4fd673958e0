/**
 * OpenAPI descriptions of the routes the node itself serves (node/http/submission-routes.ts and
 * node/http/block-routes.ts): submission, transaction status, the ledger head and single blocks.
 * Their request schemas are the ledger's own (transactionSchema); the wait query mirrors the one
 * submission-routes.ts parses with, which that module does not export.
 */
import { z } from 'zod';
import { transactionSchema } from '../../ledger/model/transaction.js';
import { WAIT_TIMEOUT_MS_MAX } from '../../node/transactions.js';
import { decimalInteger } from '../../node/http/integers.js';
import { SUBMISSION_BATCH_TRANSACTIONS_MAX } from '../../node/http/submission-routes.js';
import type { Operation } from './operations.js';
import { blockHeaderSchema, blockSummarySchema, hash, quorumCertificateSchema, transactionResultSchema } from './schemas.js';

export const waitQuery = z.strictObject({
  wait: z.enum(['commit']).optional().describe('answer once the transaction is committed or rejected, or at the timeout with its current status'),
  timeoutMs: decimalInteger(0, WAIT_TIMEOUT_MS_MAX).optional().describe(`how long to wait, ms (default 10000, at most ${WAIT_TIMEOUT_MS_MAX})`),
});

export const transactionStatusSchema = z.union([
  z.object({ id: hash, status: z.literal('pending') }),
  z.object({ id: hash, status: z.enum(['committed', 'rejected']), height: z.number().int(), position: z.number().int(), blockHash: hash, result: transactionResultSchema }),
  z.object({ id: hash, status: z.literal('unknown') }),
]);

export const ledgerHeadSchema = z.object({
  height: z.number().int(),
  blockHash: hash,
  ledger: z.object({ logSize: z.number().int(), logRoot: hash, stateRoot: hash }),
  checkpoint: z.object({ header: blockHeaderSchema, certificate: quorumCertificateSchema }).nullable(),
});

/** One transaction of a batch that was not admitted: what a single submission of it would have answered. */
const batchRefusalSchema = z.object({
  status: z.literal('refused'),
  httpStatus: z.number().int(),
  code: z.string(),
  message: z.string(),
  path: z.string().describe('its index in the batch, then the field: "3.body.signers"'),
});
const batchOutcomesSchema = z.array(z.union([...transactionStatusSchema.options, batchRefusalSchema])).describe('one outcome per transaction of the batch, in its order');

const transactionIdParameters = z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/).describe('the transaction id') });
const heightParameters = z.strictObject({ height: decimalInteger(1).describe('a block height, from 1') });

export const submissionOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/transactions',
    operationId: 'submitTransaction',
    summary: `submit one signed transaction, or a batch of up to ${SUBMISSION_BATCH_TRANSACTIONS_MAX} as an array, each admitted or refused on its own (idempotent: the same body gives the same id and its current status)`,
    tags: ['submission'],
    access: 'signed-transaction',
    query: waitQuery,
    body: { contentType: 'application/json', schema: z.union([transactionSchema, z.array(transactionSchema).min(1).max(SUBMISSION_BATCH_TRANSACTIONS_MAX)]) },
    responses: {
      200: {
        description: 'one transaction: committed or rejected (with wait=commit, or a resubmission); a batch: the outcome of each (Retry-After is set when any was refused for load)',
        schema: z.union([transactionStatusSchema, batchOutcomesSchema]),
      },
      202: { description: 'accepted into the mempool, pending', schema: transactionStatusSchema },
    },
    errors: {
      400: ['bad-query', 'json-syntax', 'json-duplicate-key', 'json-lone-surrogate', 'json-non-finite-number', 'json-too-deep', 'json-too-large', 'json-string-too-long', 'json-array-too-long', 'json-too-many-keys'],
      413: ['too-large', 'body-too-large', 'batch-too-large'],
      422: ['malformed', 'not-canonical', 'wrong-chain', 'unexpected-signer', 'duplicate-signature', 'missing-signature', 'bad-signature', 'empty-batch'],
      503: ['mempool-full', 'overloaded'],
    },
  },
  {
    method: 'get',
    path: '/v1/transactions/{id}',
    operationId: 'transactionStatus',
    summary: 'status of a transaction: pending, committed (height, position, result) or rejected (reason)',
    tags: ['submission'],
    access: 'public',
    params: transactionIdParameters,
    query: waitQuery,
    responses: { 200: { description: 'the status', schema: transactionStatusSchema } },
    errors: { 400: ['bad-id', 'bad-query'], 404: ['not-found'] },
  },
  {
    method: 'get',
    path: '/v1/ledger/head',
    operationId: 'ledgerHead',
    summary: 'the newest block and the quorum-certified checkpoint on it',
    tags: ['ledger'],
    access: 'public',
    responses: { 200: { description: 'the head', schema: ledgerHeadSchema } },
    errors: {},
  },
  {
    method: 'get',
    path: '/v1/blocks/{height}',
    operationId: 'block',
    summary: 'a committed block: header, hash, quorum certificate, transaction ids, types and results',
    tags: ['ledger'],
    access: 'public',
    params: heightParameters,
    responses: { 200: { description: 'the block', schema: blockSummarySchema } },
    errors: { 400: ['bad-height'], 404: ['not-found'] },
  },
];
