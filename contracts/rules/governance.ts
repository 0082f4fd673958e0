/**
 * Governance (docs/contracts.md, "Governance"): adding and removing participants, rotating and
 * revoking keys, and changing the validator set. These run only as the payload of a multi-party
 * approval that at least `thresholds.governance` distinct admins approved (contracts/approvals);
 * submitted directly they are refused with `approval-required`. A validator set change names a
 * future height, so that every honest validator switches at the same block.
 */
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { fromHex } from '../../ledger/encoding/hex.js';
import { checkRegistrableKey } from '../../ledger/crypto/ed25519-reference.js';
import { publicKeyHex } from '../../ledger/model/primitives.js';
import { VALIDATOR_SET_CHANGE_NOTICE_BLOCKS, validatorSchema, ValidatorSet } from '../../ledger/model/validator-set.js';
import { NO_EVENTS, type Outcome, type TransactionContext } from '../execution.js';
import { CONTRACT_LIMITS, participantId, participantSchema, readParticipant, type Participant } from '../participants.js';
import { refuse, type Refusal } from '../reasons.js';
import { stateKeys, type StateOverlay } from '../state.js';
import { Notes } from '../notes.js';
import { parsePayload } from './payload.js';

/** A validator set change must be announced at least this many blocks ahead (the consensus protocol's constant). */
export const VALIDATOR_CHANGE_NOTICE_BLOCKS = VALIDATOR_SET_CHANGE_NOTICE_BLOCKS;

export interface ValidatorSetChange {
  effectiveHeight: number;
  validators: Array<z.infer<typeof validatorSchema>>;
  approvedAtHeight: number;
}

function writeParticipant(state: StateOverlay, participant: Participant): void {
  state.set(stateKeys.participant(participant.id), participant as unknown as JsonValue);
}

async function registerKey(state: StateOverlay, owner: string, publicKey: string): Promise<Refusal | undefined> {
  const check = checkRegistrableKey(fromHex(publicKey));
  if (!check.ok) return refuse('invalid-governance-change', `key ${publicKey}: ${check.message}`);
  const holder = await state.get(stateKeys.key(publicKey));
  if (holder !== undefined) return refuse('invalid-governance-change', `key ${publicKey} is already registered to ${String(holder)}`);
  state.set(stateKeys.key(publicKey), owner);
  return undefined;
}

export async function addParticipant(state: StateOverlay, _context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(z.strictObject({ participant: participantSchema }), payload);
  if (!parsed.ok) return parsed;
  const participant = parsed.value.participant;
  if ((await readParticipant(state, participant.id)) !== undefined) return refuse('invalid-governance-change', `${participant.id} is already a participant`);
  for (const key of participant.keys) {
    const refused = await registerKey(state, participant.id, key.publicKey);
    if (refused !== undefined) return refused;
  }
  writeParticipant(state, participant);
  return NO_EVENTS;
}

export async function removeParticipant(state: StateOverlay, _context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(z.strictObject({ participant: participantId }), payload);
  if (!parsed.ok) return parsed;
  const participant = await readParticipant(state, parsed.value.participant);
  if (participant === undefined || participant.status !== 'active') return refuse('unknown-participant', `${parsed.value.participant} is not an active participant`);
  writeParticipant(state, { ...participant, status: 'removed' });
  return NO_EVENTS;
}

export async function rotateKey(state: StateOverlay, _context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(z.strictObject({ participant: participantId, add: publicKeyHex, revoke: publicKeyHex.optional() }), payload);
  if (!parsed.ok) return parsed;
  const { participant: id, add, revoke } = parsed.value;
  const participant = await readParticipant(state, id);
  if (participant === undefined || participant.status !== 'active') return refuse('unknown-participant', `${id} is not an active participant`);
  if (participant.keys.length >= CONTRACT_LIMITS.keysPerParticipantMax) return refuse('invalid-governance-change', `${id} already has ${participant.keys.length} keys`);
  const refused = await registerKey(state, id, add);
  if (refused !== undefined) return refused;
  let keys = [...participant.keys, { publicKey: add, status: 'active' as const }];
  if (revoke !== undefined) {
    const revoked = revokeIn(keys, id, revoke);
    if (!revoked.ok) return revoked;
    keys = revoked.keys;
  }
  writeParticipant(state, { ...participant, keys });
  return NO_EVENTS;
}

export async function revokeKey(state: StateOverlay, _context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(z.strictObject({ participant: participantId, publicKey: publicKeyHex }), payload);
  if (!parsed.ok) return parsed;
  const participant = await readParticipant(state, parsed.value.participant);
  if (participant === undefined) return refuse('unknown-participant', `${parsed.value.participant} is not a participant`);
  const revoked = revokeIn(participant.keys, participant.id, parsed.value.publicKey);
  if (!revoked.ok) return revoked;
  writeParticipant(state, { ...participant, keys: revoked.keys });
  return NO_EVENTS;
}

function revokeIn(keys: Participant['keys'], owner: string, publicKey: string): { ok: true; keys: Participant['keys'] } | Refusal {
  const key = keys.find((candidate) => candidate.publicKey === publicKey);
  if (key === undefined) return refuse('unknown-key', `${publicKey} is not a key of ${owner}`);
  if (key.status === 'revoked') return refuse('revoked-key', `${publicKey} of ${owner} is already revoked`);
  const remaining = keys.map((candidate) => (candidate.publicKey === publicKey ? { ...candidate, status: 'revoked' as const } : candidate));
  if (!remaining.some((candidate) => candidate.status === 'active')) return refuse('invalid-governance-change', `revoking ${publicKey} would leave ${owner} without an active key`);
  return { ok: true, keys: remaining };
}

export async function setValidators(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(z.strictObject({ validators: z.array(validatorSchema).min(1), effectiveHeight: z.number().int().positive() }), payload);
  if (!parsed.ok) return parsed;
  const { validators, effectiveHeight } = parsed.value;
  if (effectiveHeight < context.height + VALIDATOR_CHANGE_NOTICE_BLOCKS) {
    return refuse('invalid-governance-change', `effectiveHeight ${effectiveHeight} must be at least ${VALIDATOR_CHANGE_NOTICE_BLOCKS} blocks after ${context.height}`);
  }
  // One change at a time: a second one approved while the first is pending could reorder the
  // hand-overs consensus has already planned for (docs/consensus.md, "Validator-set epochs").
  const scheduled = (await state.get(stateKeys.validatorSetChange())) as ValidatorSetChange | undefined;
  if (scheduled !== undefined && scheduled.effectiveHeight > context.height) {
    return refuse('invalid-governance-change', `a validator set change is already scheduled for height ${scheduled.effectiveHeight}`);
  }
  const set = ValidatorSet.create(validators);
  if (!set.ok) return refuse('invalid-governance-change', `payload.${set.path}: ${set.message}`);
  if (set.set.size < 4) return refuse('invalid-governance-change', 'a validator set needs at least 4 validators to tolerate a fault');
  const change: ValidatorSetChange = { effectiveHeight, validators, approvedAtHeight: context.height };
  state.set(stateKeys.validatorSetChange(), change as unknown as JsonValue);
  return NO_EVENTS;
}

/** `certificate.record`: a certificate document's hash and metadata (a lab result, an organic certificate). */
export async function recordCertificate(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(
    z.strictObject({
      documentHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the document as 64 lowercase hex digits'),
      kind: z.string().min(1).max(128),
      subject: z.string().min(1).max(512),
      validUntil: z.number().int().nonnegative().optional(),
      metadata: z.record(z.string().max(128), z.string().max(1024)).optional(),
    }),
    payload,
  );
  if (!parsed.ok) return parsed;
  const key = stateKeys.certificate(parsed.value.documentHash);
  if ((await state.get(key)) !== undefined) return refuse('duplicate-event', `certificate ${parsed.value.documentHash} is already recorded`);
  state.set(key, { ...parsed.value, recordedBy: context.signers.map((signer) => signer.id), height: context.height } as unknown as JsonValue);
  const notes = new Notes(context);
  notes.change(parsed.value.subject, { kind: 'certified', detail: parsed.value.kind, reference: parsed.value.documentHash });
  return { ok: true, events: [], notes: notes.list };
}
