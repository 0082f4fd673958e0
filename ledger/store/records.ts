/** Shapes of what the store keeps besides blocks, and their JSON byte encoding. */
import type { JsonValue } from '../encoding/canonical-json.js';
import type { TransactionResult } from '../model/result.js';
import type { Transaction } from '../model/transaction.js';

/** One EPCIS event recorded by an accepted transaction, as execution hands it to the store. */
export interface IndexedEvent {
  /** Position of the recording transaction in its block. */
  position: number;
  event: JsonValue;
  /** Parties to the event (signers, owners, source and destination); drives the participant index and read access. */
  participants: readonly string[];
  /** Canonical content hash (an `ni:///sha-256;...` id) computed by contracts/. */
  eventHash?: string;
}

/**
 * The auditors' indices beyond EPCIS events (docs/encoding.md, "Store layout"), written by the
 * store from execution's notes; derived data, in no root:
 * - `change`: a rule-driven change to one item or lot (quarantined, released, recalled,
 *   certified, corrected), keyed by the item, so its history shows it with who signed it;
 * - `approval-subject`: an approval request, keyed by each item its action is about;
 * - `approval-party`: an approval request, keyed by its requester and each approver (a party id,
 *   or `role:<name>`), so approvals are found by subject and by party whatever their age.
 */
export const NOTE_INDEX_NAMES = ['change', 'approval-subject', 'approval-party'] as const;
export type NoteIndexName = (typeof NOTE_INDEX_NAMES)[number];

export const CHANGE_KINDS = ['quarantined', 'released', 'recalled', 'certified', 'corrected'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What a `change` note says. */
export interface ChangeNote {
  kind: ChangeKind;
  /** In the signer's words where there are any (a reason, a certificate's kind), else the rule's. */
  detail: string;
  /** The recall, the certificate's document hash, or the event that caused or corrected it. */
  reference?: string;
  /** The approval request whose action made the change, when one did. */
  approvalId?: string;
}

/** What an `approval-*` note says. */
export interface ApprovalNote {
  requestId: string;
}

/** One note of an accepted transaction, as execution hands it to the store. */
export interface IndexedNote {
  /** Position of the transaction in its block. */
  position: number;
  index: NoteIndexName;
  key: string;
  note: ChangeNote | ApprovalNote;
}

export interface StoredNote extends CommittedFactsFields {
  /** height:position:index, as for events; the last part counts the transaction's notes. */
  reference: string;
  height: number;
  position: number;
  txId: string;
  index: NoteIndexName;
  key: string;
  note: ChangeNote | ApprovalNote;
}

/**
 * What an event's or a note's row records of its transaction's commit, so that an item's history
 * reads no block (docs/performance.md, "Lot history"): the block header's timestamp (ms since the
 * epoch) and the transaction's signers, as the block that holds it says. Like the rest of the row,
 * derived at append and in no root; a row written before they were recorded lacks both, and its
 * reader takes them from the block.
 */
export interface CommittedFactsFields {
  recordedAt?: number;
  signers?: string[];
}

export interface StoredEvent extends CommittedFactsFields {
  reference: string;
  height: number;
  position: number;
  eventIndex: number;
  txId: string;
  participants: string[];
  eventHash?: string;
  event: JsonValue;
}

/** Where a committed transaction lives; a later duplicate of the same id never moves it. */
export interface TransactionLocation {
  height: number;
  position: number;
  leafIndex: number;
}

export interface TransactionRecord extends TransactionLocation {
  txId: string;
  blockHash: string;
  transaction: Transaction;
  result: TransactionResult;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRecord(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The UTF-8 bytes of a record already written as JSON text (canonical text is JSON). */
export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

export function decodeRecord<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}
