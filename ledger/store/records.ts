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

export interface StoredEvent {
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

export function decodeRecord<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}
