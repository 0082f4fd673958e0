/**
 * What executing a transaction takes and gives. Contracts are deterministic functions of the
 * state (read through `StateOverlay`), the transaction and the block context: no clock but the
 * block's timestamp, no randomness, no I/O. Signatures were verified statelessly before the block
 * was voted on (ledger/model/transaction.ts checkTransaction); here only who the keys belong to
 * matters.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import type { IndexedEvent, IndexedNote } from '../ledger/store/records.js';
import type { AnyEpcisDocument, EpcisValidation } from './epcis/index.js';
import type { Participant } from './participants.js';
import type { Refusal } from './reasons.js';
import type { StateOverlay } from './state.js';

export interface BlockContext {
  chainId: string;
  height: number;
  /** The block's timestamp (milliseconds since the epoch): the only clock contracts see. */
  timestamp: number;
  /** Results of pure checks this validator already ran on the block's transactions (see ExecutionMemo). */
  memo?: ExecutionMemo;
}

/**
 * Work a validator did once, at admission, that execution would otherwise repeat: the result of
 * a pure function of the transaction, looked up by its id (which hashes the body, so the input is
 * the same), taken once. It changes no outcome: a miss means the contract computes it itself.
 */
export interface ExecutionMemo {
  /** validateEpcisDocument of a direct epcis.capture transaction's document. */
  validatedDocument(txId: string): EpcisValidation<AnyEpcisDocument> | undefined;
}

export interface TransactionContext extends BlockContext {
  txId: string;
  /** Position of the transaction in its block. */
  position: number;
  /** The participants who signed, in the order the transaction names them; all keys registered and active. */
  signers: readonly Participant[];
  /** Set when the contract runs as the action of this approval request (signers are then its requester and approvers). */
  approvalId?: string;
}

/** An accepted transaction's effects beyond its state writes: events and notes for the store's indices. */
export interface Effects {
  ok: true;
  events: IndexedEvent[];
  notes?: IndexedNote[];
}

export type Outcome = Effects | Refusal;

export const NO_EVENTS: Effects = Object.freeze({ ok: true, events: [] }) as Effects;

/** A contract: given the overlay it may write to, the context and the payload, accept or refuse. */
export type Contract = (state: StateOverlay, context: TransactionContext, payload: JsonValue) => Promise<Outcome>;
