/**
 * Proofs an auditor checks offline with nothing but the validators' public keys
 * (docs/encoding.md sections 5-7; RFC 9162 sections 2.1.3 and 2.1.4):
 *
 * - GET /v1/proofs/transactions/:id (docs/encoding.md section 12, checked by
 *   ledger/verify/proof.ts): the transaction, its ledger entry, the entry's RFC 9162
 *   inclusion proof and the quorum-certified block header (checkpoint) whose logSize and logRoot
 *   the proof leads to. The checkpoint is the head block when its header already covers the
 *   transaction (header.ledgerHeight >= the transaction's height); right after a commit it does
 *   not yet (a header carries the ledger as of an earlier height), and the answer is 409
 *   not-yet-checkpointed: retry a moment later. When the validator set has changed, the proof
 *   also carries the hand-overs below the checkpoint (each epoch's last block with its
 *   certificate), so that it checks from the genesis keys alone. A proof reveals the transaction, so it follows
 *   the party rule: auditors and regulators, the transaction's signers and the parties to its
 *   events.
 * - GET /v1/proofs/consistency?from=M&to=N: that the log of N entries extends the log of M.
 *   Only hashes: public.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { transactionSchema } from '../../ledger/model/transaction.js';
import { TRANSACTION_PROOF_FORMAT } from '../../ledger/verify/proof.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { eventReference } from '../../ledger/store/keys.js';
import type { TransactionRecord } from '../../ledger/store/records.js';
import { EPCIS_LIMITS } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { canReadEvent, forbidden, readerOf, type ReadAccess, type Reader } from './access.js';
import type { Operation } from './operations.js';
import { blockHeaderSchema, hash, quorumCertificateSchema, transactionResultSchema } from './schemas.js';
import { noQuery, parseRequestPart, positiveIntegerParameter, transactionIdParameter } from './validation.js';

/** What a client waits before asking again for a proof that is not yet checkpointed. */
const CHECKPOINT_RETRY_SECONDS = 1;

export const transactionProofParameters = z.strictObject({ id: transactionIdParameter.describe('the transaction id') });
export const consistencyQuery = z.strictObject({
  from: positiveIntegerParameter().describe('the older log size M (at least 1)'),
  to: positiveIntegerParameter().describe('the newer log size N (M to the current log size)'),
});

export const transactionProofResponse = z.object({
  format: z.literal(TRANSACTION_PROOF_FORMAT),
  chainId: z.string(),
  transaction: transactionSchema,
  entry: z.object({ height: z.number().int(), position: z.number().int(), txId: hash, result: transactionResultSchema }),
  inclusion: z.object({
    leafIndex: z.number().int(),
    logSize: z.number().int().describe('equals checkpoint.header.logSize'),
    path: z.array(hash).describe('RFC 9162 inclusion path from the entry’s leaf to checkpoint.header.logRoot'),
  }),
  checkpoint: z.object({ header: blockHeaderSchema, certificate: quorumCertificateSchema }),
  epochChanges: z
    .array(z.object({ header: blockHeaderSchema, certificate: quorumCertificateSchema }))
    .describe('the blocks below the checkpoint that ended a validator-set epoch (their headers carry nextValidators), oldest first, each certified by the outgoing set; empty while the genesis set is unchanged'),
});

export const consistencyResponse = z.object({
  from: z.number().int(),
  to: z.number().int(),
  fromRoot: hash,
  toRoot: hash,
  path: z.array(hash).describe('RFC 9162 consistency proof'),
});

export const readErrors = ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'];

export const proofOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/proofs/transactions/{id}',
    operationId: 'transactionProof',
    summary: 'a committed transaction with its Merkle inclusion proof and the certified checkpoint that commits it',
    description:
      'Check offline: the ledger entry’s leaf hash, the inclusion path to checkpoint.header.logRoot at logSize, and the quorum certificate on the header’s hash against the validator set of its epoch, reached from the genesis validator keys through epochChanges (each hand-over certified by the set before it).',
    tags: ['proofs'],
    access: 'read',
    params: transactionProofParameters,
    responses: { 200: { description: 'the proof document', schema: transactionProofResponse } },
    errors: { 400: ['bad-parameter'], 401: readErrors, 403: ['not-a-party'], 404: ['not-found'], 409: ['not-yet-checkpointed'] },
  },
  {
    method: 'get',
    path: '/v1/proofs/consistency',
    operationId: 'consistencyProof',
    summary: 'an RFC 9162 consistency proof between two log sizes',
    tags: ['proofs'],
    access: 'public',
    query: consistencyQuery,
    responses: { 200: { description: 'the proof with both roots', schema: consistencyResponse } },
    errors: { 400: ['bad-query'], 409: ['beyond-log'] },
  },
];

/** Whether the reader may see this transaction: it signed it, or is a party to an event it recorded. */
export async function canReadTransaction(store: BlockStore, reader: Reader, record: TransactionRecord): Promise<boolean> {
  if (reader.readsEverything || record.transaction.body.signers.includes(reader.participant)) return true;
  for (let index = 0; index < EPCIS_LIMITS.eventsPerDocumentMax; index++) {
    const event = await store.getEvent(eventReference(record.height, record.position, index));
    if (event === undefined) return false;
    if (canReadEvent(reader, event)) return true;
  }
  return false;
}

/**
 * The committed transaction a proof route is asked about (`:id`, no query), once the reader may
 * see it: 404 when there is none, 403 when the reader is no party to it.
 */
export async function provableTransaction(store: BlockStore, request: Request, response: Response): Promise<TransactionRecord> {
  const { id } = parseRequestPart(transactionProofParameters, request, 'params');
  parseRequestPart(noQuery, request, 'query');
  const record = await store.getTransaction(id);
  if (record === undefined) throw new ApiError(404, 'not-found', `no committed transaction ${id}`, 'id');
  if (!(await canReadTransaction(store, readerOf(response), record))) throw forbidden(`${readerOf(response).participant} neither signed transaction ${id} nor is a party to its events`, 'id');
  return record;
}

/**
 * A committed transaction's proof document as `GET /v1/proofs/transactions/:id` answers it: its
 * RFC 9162 inclusion proof against the log the head block's header commits to, with that header
 * and its certificate; 'not-yet-checkpointed' while no certified header covers it. The proof is
 * built from the place and result the transaction's record holds (one read of the log's nodes);
 * `custodia bench storage` times this very function.
 */
export async function transactionProof(store: BlockStore, record: TransactionRecord, chainId: string): Promise<z.input<typeof transactionProofResponse> | 'not-yet-checkpointed'> {
  const head = store.head();
  const [block, certificate] = head.height === 0 ? [undefined, undefined] : await Promise.all([store.getBlock(head.height), store.getCertificate(head.height)]);
  if (block === undefined || certificate === undefined || block.header.ledgerHeight < record.height) return 'not-yet-checkpointed';
  const [inclusion, epochChanges] = await Promise.all([store.inclusionProofOf(record, block.header.logSize), store.epochChanges(block.header.height)]);
  if (inclusion === undefined || inclusion.logRoot !== block.header.logRoot) throw new Error(`the store cannot prove ${record.txId} against the header of block ${head.height}`);
  return {
    format: TRANSACTION_PROOF_FORMAT,
    chainId,
    transaction: record.transaction,
    entry: inclusion.entry,
    inclusion: { leafIndex: inclusion.leafIndex, logSize: inclusion.logSize, path: inclusion.proof },
    checkpoint: { header: block.header, certificate },
    epochChanges,
  };
}

export function proofRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const { store } = context;

  router.get('/v1/proofs/transactions/:id', access.require, async (request, response) => {
    const record = await provableTransaction(store, request, response);
    const proof = await transactionProof(store, record, context.config.chainId);
    if (proof === 'not-yet-checkpointed') {
      throw new ApiError(409, 'not-yet-checkpointed', `transaction ${record.txId} committed at height ${record.height}; no certified header covers it yet; retry in a moment`, 'id', {
        'Retry-After': String(CHECKPOINT_RETRY_SECONDS),
      });
    }
    response.json(proof satisfies z.input<typeof transactionProofResponse>);
  });

  router.get('/v1/proofs/consistency', async (request, response) => {
    const { from, to } = parseRequestPart(consistencyQuery, request, 'query');
    if (to < from) throw new ApiError(400, 'bad-query', `to: must be at least from (${from})`, 'to');
    const logSize = store.head().logSize;
    if (to > logSize) throw new ApiError(409, 'beyond-log', `to: the log holds ${logSize} entries`, 'to');
    const [fromRoot, toRoot, path] = await Promise.all([store.logRoot(from), store.logRoot(to), store.consistencyProof(from, to)]);
    response.json({ from, to, fromRoot, toRoot, path } satisfies z.input<typeof consistencyResponse>);
  });

  return router;
}
