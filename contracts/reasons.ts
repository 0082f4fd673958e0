/**
 * Why the consortium's rules refuse a transaction: one machine-readable code per rule, recorded
 * in the block's results (ledger/model/result.ts) with a message naming the EPC or party.
 */
import { rejected } from '../ledger/model/result.js';

export const REASON_CODES = [
  // transactions and signatures
  'duplicate-transaction',
  'unknown-transaction-type',
  'malformed-payload',
  'unknown-participant',
  'participant-inactive',
  'unknown-key',
  'revoked-key',
  'wrong-role',
  /**
   * The contract threw instead of accepting or refusing: a bug, caught at the transaction
   * boundary so that the block still executes the same everywhere; the writes are discarded.
   */
  'execution-failed',
  // events
  'invalid-event',
  'duplicate-event',
  'not-own-company-prefix',
  'already-commissioned',
  'unknown-item',
  'not-in-possession',
  'insufficient-quantity',
  'no-matching-shipment',
  'item-unavailable',
  'quarantined',
  'recalled',
  'not-original-submitter',
  'unknown-event',
  'not-quarantined',
  'recall-scope-too-large',
  /** A quantity, or what a party would hold after a change, outside 0 to INVENTORY_LIMITS.quantityMax. */
  'quantity-out-of-range',
  /** A record's list (shipments in transit, contents, transformation links) is full. */
  'record-limit-reached',
  /** An identifier longer than INVENTORY_LIMITS.identifierLengthMax. */
  'identifier-too-long',
  // approvals and governance
  'approval-required',
  'unknown-request',
  'not-an-approver',
  'already-approved',
  'stage-not-open',
  'request-closed',
  'request-expired',
  'invalid-approval-policy',
  'invalid-governance-change',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** A refusal: the rule's code and a message that names what it is about. */
export interface Refusal {
  ok: false;
  code: ReasonCode;
  message: string;
}

export function refuse(code: ReasonCode, message: string): Refusal {
  return { ok: false, code, message };
}

export function refusalResult(refusal: Refusal) {
  return rejected(refusal.code, refusal.message);
}
