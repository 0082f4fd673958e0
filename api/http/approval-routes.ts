/**
 * Multi-party approvals (docs/contracts.md, "Approvals"): GET /v1/approvals?pendingFor=PARTY
 * lists the requests waiting on a party's signature (by name or through one of its roles);
 * GET /v1/approvals/:id gives a request's status at the current block time and its signature
 * trail (the request, each approval and any rejection, with the transaction and its signatures).
 * A participant reads its own pending list, and the requests it made or may sign; auditors and
 * regulators read all.
 */
import { Router } from 'express';
import { z } from 'zod';
import { transactionSignatureSchema } from '../../ledger/model/transaction.js';
import { approvalTrail, pendingApprovalsFor, statusAt, type ApprovalRequest } from '../../contracts/approvals/approvals.js';
import { participantId } from '../../contracts/participants.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { forbidden, readerOf, stateReader, type ReadAccess, type Reader } from './access.js';
import { blockCache } from './block-cache.js';
import type { Operation } from './operations.js';
import { hash } from './schemas.js';
import { parseRequestPart, transactionIdParameter } from './validation.js';

export const pendingQuery = z.strictObject({ pendingFor: participantId.describe('the participant whose signature the requests wait on') });
export const approvalParameters = z.strictObject({ id: transactionIdParameter.describe('the request id: the id of its approval.request transaction') });

const approverSchema = z.union([z.object({ party: z.string() }), z.object({ role: z.string() })]);
export const approvalRequestSchema = z.object({
  requestId: hash,
  requester: z.string(),
  action: z.object({ type: z.string(), payload: z.json() }),
  policy: z.object({ ordered: z.boolean(), stages: z.array(z.object({ required: z.number().int(), approvers: z.array(approverSchema) })) }),
  deadline: z.number().int(),
  createdAt: z.object({ height: z.number().int(), timestamp: z.number().int() }),
  status: z.enum(['pending', 'executed', 'failed', 'rejected', 'expired']).describe('as of the current block time: a pending request past its deadline is expired'),
  approvals: z.array(z.object({ party: z.string(), stage: z.number().int(), txId: hash, height: z.number().int(), timestamp: z.number().int() })),
  rejection: z.object({ party: z.string(), reason: z.string(), txId: hash, height: z.number().int() }).optional(),
  outcome: z.union([z.object({ status: z.literal('accepted') }), z.object({ status: z.literal('rejected'), code: z.string(), message: z.string() })]).optional(),
});

export const pendingResponse = z.object({ party: z.string(), at: z.number().int().describe('the block time the statuses are taken at'), approvals: z.array(approvalRequestSchema) });

export const approvalResponse = approvalRequestSchema.extend({
  at: z.number().int(),
  trail: z.array(
    z.object({
      kind: z.enum(['request', 'approval', 'rejection']),
      party: z.string(),
      txId: hash,
      height: z.number().int(),
      timestamp: z.number().int(),
      stage: z.number().int().optional(),
      reason: z.string().optional(),
      signatures: z.array(transactionSignatureSchema),
    }),
  ),
});

const readErrors = ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'];

export const approvalOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/approvals',
    operationId: 'pendingApprovals',
    summary: 'approval requests waiting on a party',
    description: 'A participant may list only its own; auditors and regulators any.',
    tags: ['approvals'],
    access: 'read',
    query: pendingQuery,
    responses: { 200: { description: 'the pending requests', schema: pendingResponse } },
    errors: { 400: ['bad-query'], 401: readErrors, 403: ['not-a-party'] },
  },
  {
    method: 'get',
    path: '/v1/approvals/{id}',
    operationId: 'approval',
    summary: 'an approval request: its status and signature trail',
    description: 'Readable by its requester, its approvers (by party or role), auditors and regulators.',
    tags: ['approvals'],
    access: 'read',
    params: approvalParameters,
    responses: { 200: { description: 'the request and its trail', schema: approvalResponse } },
    errors: { 400: ['bad-parameter'], 401: readErrors, 403: ['not-a-party'], 404: ['not-found'] },
  },
];

function mayRead(reader: Reader, request: ApprovalRequest): boolean {
  if (reader.readsEverything || request.requester === reader.participant) return true;
  if (request.approvals.some((entry) => entry.party === reader.participant)) return true;
  return request.policy.stages.some((stage) => stage.approvers.some((approver) => ('party' in approver ? approver.party === reader.participant : reader.roles.includes(approver.role))));
}

export function approvalRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const { store } = context;
  const state = stateReader(store);

  /** The time contracts see: the newest block's timestamp (genesis time before the first block). */
  const blockTime = async (): Promise<number> => {
    const head = store.head();
    if (head.height === 0) return context.genesis.genesisTime;
    return (await store.getBlock(head.height))?.header.timestamp ?? context.genesis.genesisTime;
  };

  router.get('/v1/approvals', access.require, async (request, response) => {
    const { pendingFor } = parseRequestPart(pendingQuery, request, 'query');
    const reader = readerOf(response);
    if (!reader.readsEverything && reader.participant !== pendingFor) throw forbidden(`${reader.participant} may list only its own pending approvals`, 'pendingFor');
    const at = await blockTime();
    const pending = await pendingApprovalsFor(state, pendingFor, at);
    response.json({ party: pendingFor, at, approvals: pending.map((entry) => ({ ...entry, status: statusAt(entry, at) })) } satisfies z.input<typeof pendingResponse>);
  });

  router.get('/v1/approvals/:id', access.require, async (request, response) => {
    const { id } = parseRequestPart(approvalParameters, request, 'params');
    parseRequestPart(z.strictObject({}), request, 'query');
    const approval = await approvalTrail(state, id);
    if (approval === undefined) throw new ApiError(404, 'not-found', `no approval request ${id}`, 'id');
    const reader = readerOf(response);
    if (!mayRead(reader, approval)) throw forbidden(`${reader.participant} neither made nor may sign request ${id}`, 'id');
    const at = await blockTime();
    const blockAt = blockCache(store);
    const signaturesOf = async (txId: string) => (await store.getTransaction(txId))?.transaction.signatures ?? [];
    const trail: z.input<typeof approvalResponse>['trail'] = [
      { kind: 'request', party: approval.requester, txId: approval.requestId, height: approval.createdAt.height, timestamp: approval.createdAt.timestamp, signatures: await signaturesOf(approval.requestId) },
    ];
    for (const entry of approval.approvals) {
      trail.push({ kind: 'approval', party: entry.party, txId: entry.txId, height: entry.height, timestamp: entry.timestamp, stage: entry.stage, signatures: await signaturesOf(entry.txId) });
    }
    if (approval.rejection !== undefined) {
      const { party, txId, height, reason } = approval.rejection;
      trail.push({ kind: 'rejection', party, txId, height, timestamp: (await blockAt(height)).header.timestamp, reason, signatures: await signaturesOf(txId) });
    }
    response.json({ ...approval, status: statusAt(approval, at), at, trail } satisfies z.input<typeof approvalResponse>);
  });

  return router;
}
