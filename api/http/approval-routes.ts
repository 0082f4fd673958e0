/**
 * Multi-party approvals (docs/contracts.md, "Approvals"): GET /v1/approvals?pendingFor=PARTY
 * lists the requests waiting on a party's signature (by name or through one of its roles);
 * ?subject=EPC lists the requests whose action is about an item or lot, and ?party=ID those a
 * party made or may sign, whatever their age or status, from the store's indices (never a window
 * of recent blocks), a page at a time; GET /v1/approvals/:id gives a request's status at the
 * current block time and its signature trail (the request, each approval and any rejection,
 * with the transaction and its signatures). A participant reads its own lists, and the requests
 * it made or may sign; auditors and regulators read all.
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
import { identifierParameter, noQuery, parseRequestPart, transactionIdParameter } from './validation.js';

/** Requests one page lists by subject or party. */
export const APPROVALS_PER_PAGE = 100;
const noteReference = z.string().regex(/^[0-9a-f]{16}:[0-9a-f]{4}:[0-9a-f]{4}$/, 'expected the next value of a previous page');
const partyOrRole = z.union([participantId, z.string().regex(/^role:[a-z]+$/, 'expected a participant id or role:NAME')]);

export const pendingQuery = z
  .strictObject({
    pendingFor: participantId.optional().describe('the participant whose signature the requests wait on'),
    subject: identifierParameter.optional().describe('requests whose action is about this item or lot (for governance: this participant), of any status'),
    party: partyOrRole.optional().describe('requests this party made or may sign (a participant id, or role:NAME), of any status'),
    after: noteReference.optional().describe('with subject or party: the `next` of the previous page'),
  })
  .refine((query) => [query.pendingFor, query.subject, query.party].filter((value) => value !== undefined).length === 1, { message: 'give one of pendingFor, subject or party', path: ['pendingFor'] })
  .refine((query) => query.after === undefined || query.pendingFor === undefined, { message: 'after goes with subject or party', path: ['after'] });
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

export const pendingResponse = z.object({
  party: z.string().optional().describe('pendingFor or party, as asked'),
  subject: z.string().optional(),
  at: z.number().int().describe('the block time the statuses are taken at'),
  approvals: z.array(approvalRequestSchema),
  next: noteReference.optional().describe('the after of the next page, when there may be more'),
});

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
    summary: 'approval requests waiting on a party, about an item, or involving a party',
    description:
      'pendingFor: what waits on the party now. subject and party: every request about the item, or made or signable by the party, oldest first, in pages (next). ' +
      'A participant may list only what waits on it or involves it (or one of its roles); asked by subject, it sees the requests it may read. Auditors and regulators see all.',
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
    const { pendingFor, subject, party, after } = parseRequestPart(pendingQuery, request, 'query');
    const reader = readerOf(response);
    const at = await blockTime();
    if (pendingFor !== undefined) {
      if (!reader.readsEverything && reader.participant !== pendingFor) throw forbidden(`${reader.participant} may list only its own pending approvals`, 'pendingFor');
      const pending = await pendingApprovalsFor(state, pendingFor, at);
      response.json({ party: pendingFor, at, approvals: pending.map((entry) => ({ ...entry, status: statusAt(entry, at) })) } satisfies z.input<typeof pendingResponse>);
      return;
    }
    if (party !== undefined && !reader.readsEverything && party !== reader.participant && !reader.roles.some((role) => party === `role:${role}`)) {
      throw forbidden(`${reader.participant} may list only the approvals involving itself or its roles`, 'party');
    }
    const notes = await store.notesUnder(subject !== undefined ? 'approval-subject' : 'approval-party', (subject ?? party)!, APPROVALS_PER_PAGE, after);
    const approvals: z.input<typeof pendingResponse>['approvals'] = [];
    for (const note of notes) {
      const found = await approvalTrail(state, (note.note as { requestId: string }).requestId);
      if (found !== undefined && mayRead(reader, found)) approvals.push({ ...found, status: statusAt(found, at) });
    }
    const last = notes[notes.length - 1];
    response.json({
      ...(subject === undefined ? { party: party! } : { subject }),
      at,
      approvals,
      ...(notes.length === APPROVALS_PER_PAGE && last !== undefined ? { next: last.reference } : {}),
    } satisfies z.input<typeof pendingResponse>);
  });

  router.get('/v1/approvals/:id', access.require, async (request, response) => {
    const { id } = parseRequestPart(approvalParameters, request, 'params');
    parseRequestPart(noQuery, request, 'query');
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
