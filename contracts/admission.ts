/**
 * Admission (docs/security.md, "Admission"): what a transaction must be before a validator takes
 * it into its mempool, relays it, or votes for a block that carries it. Nothing from an outsider
 * may reach a block: an unregistered signer's transaction would otherwise be refused at
 * execution but stored forever.
 *
 * Two rules, both pure functions over the participants of the executed state:
 * - `admissionRefusal` (mempool and relay): the type has a contract that takes it directly, and
 *   every signer is an active participant signing with an active key, exactly as execution will
 *   check (authorization.ts).
 * - `proposalRefusal` (a follower checking a leader's block): the type, and that every signature
 *   is by a key its signer has registered. Keys are never unregistered (revoking only marks them),
 *   so this holds on every validator that has executed at least as far as the block's ledger
 *   height once it holds on the proposer: honest validators agree, and a Byzantine leader cannot
 *   fill a block with strangers' transactions. Whether the participant and key are still active
 *   is execution's to decide, since governance may change that between admission and commit.
 */
import type { Transaction } from '../ledger/model/transaction.js';
import { checkSigners, type ParticipantLookup } from './authorization.js';
import { typeRefusal } from './executor.js';
import { validateEpcisDocument, type AnyEpcisDocument, type EpcisValidation } from './epcis/index.js';
import { refuse, type Refusal } from './reasons.js';

/** Signers first, then the type: the order execution checks them in, so both give the same code. */
export function admissionRefusal(transaction: Transaction, participantOf: ParticipantLookup): Refusal | undefined {
  const signers = checkSigners(transaction, participantOf);
  if (!signers.ok) return signers;
  return typeRefusal(transaction.body.type);
}

export function proposalRefusal(transaction: Transaction, participantOf: ParticipantLookup): Refusal | undefined {
  for (const signature of transaction.signatures) {
    const participant = participantOf(signature.signer);
    if (participant === undefined) return refuse('unknown-participant', `${signature.signer} is not a participant`);
    if (!participant.keys.some((key) => key.publicKey === signature.publicKey)) return refuse('unknown-key', `the key ${signature.publicKey} was never registered to ${signature.signer}`);
  }
  return typeRefusal(transaction.body.type);
}

/**
 * The stateless EPCIS validation of a direct capture (docs/contracts.md, "Events"), run once at
 * admission: an invalid document is refused there with the rule's code and its path, and a
 * valid one's result is kept for execution (contracts/execution.ts ExecutionMemo).
 */
export function documentCheck(transaction: Transaction): { ok: true; validation?: EpcisValidation<AnyEpcisDocument> } | (Refusal & { path: string }) {
  if (transaction.body.type !== 'epcis.capture') return { ok: true };
  const payload = transaction.body.payload;
  const document = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload['document'] : undefined;
  const validation = validateEpcisDocument(document);
  if (validation.ok) return { ok: true, validation };
  const first = validation.errors[0];
  const path = `body.payload.document${first === undefined || first.path === '' ? '' : `.${first.path}`}`;
  return { ...refuse('invalid-event', first === undefined ? `${path} is not an EPCIS document` : `${path}: ${first.message}`), path };
}
