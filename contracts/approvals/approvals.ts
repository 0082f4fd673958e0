/**
 * Multi-party approvals (docs/contracts.md, "Approvals"), in the manner of DocuSign's routing
 * orders: a request names an action (any transaction type and payload), the approvers in one or
 * more stages (each needing k of its listed parties or roles), whether the stages go in order,
 * and a deadline in block time. Each approval or rejection is its own transaction signed by one
 * approver. The action executes exactly once, when the last required approval commits, under the
 * rules as they stand then; if they refuse it, the request records that refusal and closes.
 */
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { Contract, Effects, Outcome, TransactionContext } from '../execution.js';
import { Notes } from '../notes.js';
import { hasRole, participantId, readConsortium, readParticipant, ROLES, type Participant } from '../participants.js';
import { refuse, type ReasonCode } from '../reasons.js';
import { parsePayload } from '../rules/payload.js';
import { stateKeys, type StateOverlay, type StateReader } from '../state.js';

export const APPROVAL_LIMITS = {
  stagesMax: 8,
  approversPerStageMax: 32,
  pendingPerPartyMax: 1000,
  /** Items one request is indexed under (what its action is about); a capture naming more is indexed under the first ones. */
  subjectsIndexedMax: 64,
} as const;

const approverSchema = z.union([z.strictObject({ party: participantId }), z.strictObject({ role: z.enum(ROLES) })]);
const stageSchema = z.strictObject({
  required: z.number().int().min(1).max(APPROVAL_LIMITS.approversPerStageMax),
  approvers: z.array(approverSchema).min(1).max(APPROVAL_LIMITS.approversPerStageMax),
});
const requestSchema = z.strictObject({
  action: z.strictObject({ type: z.string().min(1).max(64), payload: z.json() }),
  policy: z.strictObject({ ordered: z.boolean(), stages: z.array(stageSchema).min(1).max(APPROVAL_LIMITS.stagesMax) }),
  deadline: z.number().int().nonnegative(),
});
const decisionSchema = z.strictObject({ requestId: z.string().regex(/^[0-9a-f]{64}$/, 'expected the request transaction id') });
const rejectionSchema = decisionSchema.extend({ reason: z.string().min(1).max(1024) });

export type Approver = z.infer<typeof approverSchema>;
export type ApprovalPolicy = z.infer<typeof requestSchema>['policy'];

export interface ApprovalEntry {
  party: string;
  stage: number;
  txId: string;
  height: number;
  timestamp: number;
}

export interface ApprovalRequest {
  requestId: string;
  requester: string;
  action: { type: string; payload: JsonValue };
  policy: ApprovalPolicy;
  deadline: number;
  createdAt: { height: number; timestamp: number };
  status: 'pending' | 'executed' | 'failed' | 'rejected';
  approvals: ApprovalEntry[];
  rejection?: { party: string; reason: string; txId: string; height: number };
  /** What the rules said when the action ran. */
  outcome?: { status: 'accepted' } | { status: 'rejected'; code: ReasonCode; message: string };
}

export interface ActionResolver {
  /** The contract for an action type, or undefined if there is none. */
  contract(type: string): Contract | undefined;
  /** Whether the type is a governance change (needs the governance threshold of admins). */
  isGovernance(type: string): boolean;
  /** The items (or, for governance, the participants) an action of this type is about, for the store's index. */
  subjects(type: string, payload: JsonValue): string[];
}

export function approvalContracts(actions: ActionResolver): Record<'approval.request' | 'approval.approve' | 'approval.reject', Contract> {
  return {
    'approval.request': (state, context, payload) => createRequest(state, context, payload, actions),
    'approval.approve': (state, context, payload) => approve(state, context, payload, actions),
    'approval.reject': (state, context, payload) => rejectRequest(state, context, payload),
  };
}

async function createRequest(state: StateOverlay, context: TransactionContext, payload: JsonValue, actions: ActionResolver): Promise<Outcome> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed;
  const { action, policy, deadline } = parsed.value;
  if (action.type.startsWith('approval.') || actions.contract(action.type) === undefined) {
    return refuse('invalid-approval-policy', `payload.action.type ${action.type} cannot be approved`);
  }
  if (deadline <= context.timestamp) return refuse('invalid-approval-policy', `payload.deadline ${deadline} is not after the block time ${context.timestamp}`);
  for (const [index, stage] of policy.stages.entries()) {
    const parties = stage.approvers.filter((approver) => 'party' in approver).length;
    const onlyParties = parties === stage.approvers.length;
    if (onlyParties && stage.required > parties) {
      return refuse('invalid-approval-policy', `payload.policy.stages.${index}.required: ${stage.required} approvals from ${parties} parties`);
    }
    for (const approver of stage.approvers) {
      if ('party' in approver && (await readParticipant(state, approver.party))?.status !== 'active') {
        return refuse('unknown-participant', `approver ${approver.party} is not an active participant`);
      }
    }
  }
  const request: ApprovalRequest = {
    requestId: context.txId,
    requester: context.signers[0]!.id,
    action: { type: action.type, payload: action.payload as JsonValue },
    policy,
    deadline,
    createdAt: { height: context.height, timestamp: context.timestamp },
    status: 'pending',
    approvals: [],
  };
  state.set(stateKeys.approval(request.requestId), request as unknown as JsonValue);
  for (const holder of holdersOf(request)) {
    const list = await stillPending(state, holder, context.timestamp);
    if (list.length >= APPROVAL_LIMITS.pendingPerPartyMax) return refuse('invalid-approval-policy', `${holder} already has ${list.length} pending requests`);
    state.set(stateKeys.pendingApprovals(holder), [...list, request.requestId]);
  }
  const notes = new Notes(context);
  const subjects = [...new Set(actions.subjects(action.type, request.action.payload))].slice(0, APPROVAL_LIMITS.subjectsIndexedMax);
  for (const subject of subjects) notes.approval('approval-subject', subject, { requestId: request.requestId });
  for (const party of new Set([request.requester, ...holdersOf(request)])) notes.approval('approval-party', party, { requestId: request.requestId });
  return { ok: true, events: [], notes: notes.list };
}

function holdersOf(request: ApprovalRequest): Set<string> {
  return new Set(request.policy.stages.flatMap((stage) => stage.approvers.map(pendingKeyOf)));
}

/** A holder's pending list without the requests that closed or expired, which drop out lazily. */
async function stillPending(state: StateOverlay, holder: string, timestamp: number): Promise<string[]> {
  const list = ((await state.get(stateKeys.pendingApprovals(holder))) as string[] | undefined) ?? [];
  const kept: string[] = [];
  for (const id of list) {
    const request = await state.getTyped<ApprovalRequest>(stateKeys.approval(id));
    if (request !== undefined && statusAt(request, timestamp) === 'pending') kept.push(id);
  }
  return kept;
}

/** Takes a closed request off its approvers' pending lists. */
async function closeRequest(state: StateOverlay, request: ApprovalRequest): Promise<void> {
  for (const holder of holdersOf(request)) {
    const list = ((await state.get(stateKeys.pendingApprovals(holder))) as string[] | undefined) ?? [];
    state.set(stateKeys.pendingApprovals(holder), list.filter((id) => id !== request.requestId));
  }
}

async function openRequest(state: StateOverlay, context: TransactionContext, requestId: string): Promise<ApprovalRequest | ReturnType<typeof refuse>> {
  const request = await state.getTyped<ApprovalRequest>(stateKeys.approval(requestId));
  if (request === undefined) return refuse('unknown-request', `no approval request ${requestId}`);
  if (request.status !== 'pending') return refuse('request-closed', `request ${requestId} is ${request.status}`);
  if (context.timestamp > request.deadline) return refuse('request-expired', `request ${requestId} expired at ${request.deadline}`);
  if (context.signers.length !== 1) return refuse('malformed-payload', 'an approval or rejection is signed by exactly one approver');
  return request;
}

async function approve(state: StateOverlay, context: TransactionContext, payload: JsonValue, actions: ActionResolver): Promise<Outcome> {
  const parsed = parsePayload(decisionSchema, payload);
  if (!parsed.ok) return parsed;
  const request = await openRequest(state, context, parsed.value.requestId);
  if ('ok' in request) return request;
  const approver = context.signers[0]!;
  if (request.approvals.some((entry) => entry.party === approver.id)) return refuse('already-approved', `${approver.id} already approved ${request.requestId}`);
  const stage = stageFor(request, approver);
  if (typeof stage !== 'number') return stage;
  request.approvals = [...request.approvals, { party: approver.id, stage, txId: context.txId, height: context.height, timestamp: context.timestamp }];

  let effects: Effects = { ok: true, events: [] };
  if (request.policy.stages.every((_, index) => stageComplete(request, index))) {
    effects = await runAction(state, context, request, actions);
    await closeRequest(state, request);
  }
  state.set(stateKeys.approval(request.requestId), request as unknown as JsonValue);
  return effects;
}

/** The stage this approver's approval counts for, or why it cannot approve now. */
function stageFor(request: ApprovalRequest, approver: Participant): number | ReturnType<typeof refuse> {
  const matching = request.policy.stages.map((stage, index) => ({ stage, index })).filter(({ stage }) => stage.approvers.some((entry) => matches(entry, approver)));
  if (matching.length === 0) return refuse('not-an-approver', `${approver.id} is not an approver of ${request.requestId}`);
  if (request.policy.ordered) {
    const current = request.policy.stages.findIndex((_, index) => !stageComplete(request, index));
    const mine = matching.find(({ index }) => index === current);
    return mine?.index ?? refuse('stage-not-open', `${approver.id} approves stage ${matching[0]!.index + 1} of ${request.requestId}, which opens after stage ${current + 1}`);
  }
  const open = matching.find(({ index }) => !stageComplete(request, index));
  return open?.index ?? refuse('already-approved', `every stage ${approver.id} belongs to in ${request.requestId} is complete`);
}

function stageComplete(request: ApprovalRequest, index: number): boolean {
  return request.approvals.filter((entry) => entry.stage === index).length >= request.policy.stages[index]!.required;
}

function matches(approver: Approver, participant: Participant): boolean {
  return 'party' in approver ? approver.party === participant.id : hasRole(participant, approver.role);
}

/**
 * Runs the approved action once, as if signed by the requester and every approver, under the
 * rules of this block. Its writes count only if the rules accept it; either way the request
 * closes with the outcome recorded.
 */
/** The action's events and notes when it ran, none when the rules refused it. */
async function runAction(state: StateOverlay, context: TransactionContext, request: ApprovalRequest, actions: ActionResolver): Promise<Effects> {
  const signers: Participant[] = [];
  for (const id of [request.requester, ...request.approvals.map((entry) => entry.party)]) {
    const participant = await readParticipant(state, id);
    if (participant !== undefined && participant.status === 'active' && !signers.some((signer) => signer.id === id)) signers.push(participant);
  }
  const contract = actions.contract(request.action.type)!;
  let outcome: Outcome;
  if (actions.isGovernance(request.action.type)) {
    const consortium = await readConsortium(state);
    const adminApprovals = new Set(request.approvals.map((entry) => entry.party).filter((party) => consortium.admins.includes(party))).size;
    outcome =
      adminApprovals < consortium.thresholds.governance
        ? refuse('approval-required', `${request.action.type} needs ${consortium.thresholds.governance} admin approvals, has ${adminApprovals}`)
        : await runForked(state, contract, { ...context, txId: request.requestId, signers, approvalId: request.requestId }, request.action.payload);
  } else {
    outcome = await runForked(state, contract, { ...context, txId: request.requestId, signers, approvalId: request.requestId }, request.action.payload);
  }
  request.status = outcome.ok ? 'executed' : 'failed';
  request.outcome = outcome.ok ? { status: 'accepted' } : { status: 'rejected', code: outcome.code, message: outcome.message };
  return outcome.ok ? outcome : { ok: true, events: [] };
}

async function runForked(state: StateOverlay, contract: Contract, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const fork = state.fork();
  const outcome = await contract(fork, context, payload);
  if (outcome.ok) fork.commitTo(state);
  return outcome;
}

async function rejectRequest(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(rejectionSchema, payload);
  if (!parsed.ok) return parsed;
  const request = await openRequest(state, context, parsed.value.requestId);
  if ('ok' in request) return request;
  const approver = context.signers[0]!;
  if (!request.policy.stages.some((stage) => stage.approvers.some((entry) => matches(entry, approver)))) {
    return refuse('not-an-approver', `${approver.id} is not an approver of ${request.requestId}`);
  }
  request.status = 'rejected';
  request.rejection = { party: approver.id, reason: parsed.value.reason, txId: context.txId, height: context.height };
  state.set(stateKeys.approval(request.requestId), request as unknown as JsonValue);
  await closeRequest(state, request);
  return { ok: true, events: [] };
}

/** Role approvers are listed under `role:<role>`, parties under their id. */
function pendingKeyOf(approver: Approver): string {
  return 'party' in approver ? approver.party : `role:${approver.role}`;
}

/** The request as of a block time: a pending request past its deadline reads as expired. */
export function statusAt(request: ApprovalRequest, timestamp: number): ApprovalRequest['status'] | 'expired' {
  return request.status === 'pending' && timestamp > request.deadline ? 'expired' : request.status;
}

/** Requests still waiting on this party's approval (directly or through one of its roles) at a block time. */
export async function pendingApprovalsFor(state: StateReader, party: string, timestamp: number): Promise<ApprovalRequest[]> {
  const participant = await readParticipant(state, party);
  if (participant === undefined) return [];
  const holders = [party, ...participant.roles.map((role) => `role:${role}`)];
  const ids = new Set<string>();
  for (const holder of holders) for (const id of ((await state.get(stateKeys.pendingApprovals(holder))) as string[] | undefined) ?? []) ids.add(id);
  const pending: ApprovalRequest[] = [];
  for (const id of [...ids].sort()) {
    const request = (await state.get(stateKeys.approval(id))) as ApprovalRequest | undefined;
    if (request === undefined || statusAt(request, timestamp) !== 'pending' || request.approvals.some((entry) => entry.party === party)) continue;
    const stage = stageFor(request, participant);
    if (typeof stage === 'number') pending.push(request);
  }
  return pending;
}

/** The full trail of a request: who asked, each approval with its transaction, any rejection, the outcome. */
export async function approvalTrail(state: StateReader, requestId: string): Promise<ApprovalRequest | undefined> {
  return (await state.get(stateKeys.approval(requestId))) as ApprovalRequest | undefined;
}
