/**
 * Who signed: each signature of a transaction must be by a key registered to the participant it
 * names, still active, and that participant must be active (docs/contracts.md, "Participants").
 * Unknown participants, unknown keys and revoked keys are refused with distinct reason codes.
 *
 * The rule is one synchronous function over a lookup, so that execution (reading participants
 * from the state) and admission (reading them from the node's in-memory directory) apply the
 * same code.
 */
import type { Transaction } from '../ledger/model/transaction.js';
import { readParticipant, type Participant } from './participants.js';
import { refuse, type Refusal } from './reasons.js';
import type { StateReader } from './state.js';

export type ParticipantLookup = (id: string) => Participant | undefined;

/** The signers as active participants signing with active keys, or the first reason they are not. */
export function checkSigners(transaction: Transaction, participantOf: ParticipantLookup): { ok: true; signers: Participant[] } | Refusal {
  const signers: Participant[] = [];
  for (const id of transaction.body.signers) {
    const participant = participantOf(id);
    if (participant === undefined) return refuse('unknown-participant', `${id} is not a participant`);
    if (participant.status !== 'active') return refuse('participant-inactive', `${id} was removed from the consortium`);
    const signature = transaction.signatures.find((entry) => entry.signer === id);
    const key = participant.keys.find((registered) => registered.publicKey === signature?.publicKey);
    if (key === undefined) return refuse('unknown-key', `the key ${signature?.publicKey ?? '(none)'} is not registered to ${id}`);
    if (key.status !== 'active') return refuse('revoked-key', `the key ${key.publicKey} of ${id} is revoked`);
    signers.push(participant);
  }
  return { ok: true, signers };
}

export async function authorizeSigners(state: StateReader, transaction: Transaction): Promise<{ ok: true; signers: Participant[] } | Refusal> {
  const participants = new Map<string, Participant | undefined>();
  for (const id of transaction.body.signers) participants.set(id, await readParticipant(state, id));
  return checkSigners(transaction, (id) => participants.get(id));
}
