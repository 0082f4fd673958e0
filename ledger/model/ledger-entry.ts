/**
 * Entries of the ledger-wide Merkle log (docs/encoding.md, "Ledger entry"): one per committed
 * transaction, in block order, carrying the transaction id and its result, so an inclusion
 * proof shows both that a transaction was committed and what the rules decided about it.
 */
import { canonicalBytes } from '../encoding/canonical-json.js';
import { leafHash, type Hash } from '../merkle/index.js';
import type { TransactionResult } from './result.js';

export interface LedgerEntry {
  height: number;
  /** Position of the transaction within its block. */
  position: number;
  txId: string;
  result: TransactionResult;
}

export function ledgerEntryBytes(entry: LedgerEntry): Uint8Array {
  return canonicalBytes({ height: entry.height, position: entry.position, txId: entry.txId, result: entry.result });
}

export function ledgerEntryLeafHash(entry: LedgerEntry): Hash {
  return leafHash(ledgerEntryBytes(entry));
}
