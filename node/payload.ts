/**
 * The block payload the node proposes: the RFC 8785 bytes of the array of transactions. The core
 * treats it as opaque; here it is decoded strictly (duplicate keys, limits), every transaction is
 * checked statelessly, and the result must match the header's txCount and txRoot.
 */
import { canonicalBytes, canonicalize, type JsonValue } from '../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../ledger/encoding/strict-json.js';
import { transactionRoot, type BlockHeader } from '../ledger/model/block.js';
import { checkTransaction, type Transaction } from '../ledger/model/transaction.js';
import { LEDGER_LIMITS } from '../ledger/limits.js';

export interface DecodedPayload {
  transactions: Transaction[];
  ids: string[];
}

export type PayloadCheck = { ok: true; payload: DecodedPayload } | { ok: false; reason: string };

export function encodePayload(transactions: readonly Transaction[]): Uint8Array {
  return canonicalBytes(transactions as unknown as JsonValue);
}

/**
 * Decodes and checks a payload against its header. `verified` remembers ids whose signatures
 * this node already checked (when they reached its mempool), so each signature is verified once.
 */
export function decodePayload(header: BlockHeader, payload: Uint8Array, verified: VerifiedTransactions): PayloadCheck {
  if (payload.length > LEDGER_LIMITS.blockBodyBytesMax + 1024 * 1024) return { ok: false, reason: `payload of ${payload.length} bytes is too large` };
  // Member names are kept as they are: a certified block must decode as it was certified, and
  // what enters a mempool was already refused at the edge if it held a prototype member.
  const parsed = parseStrictJson(new TextDecoder().decode(payload), { bytesMax: LEDGER_LIMITS.blockBodyBytesMax + 1024 * 1024, depthMax: 64, prototypeMembers: 'keep' });
  if (!parsed.ok) return { ok: false, reason: `payload is not strict JSON: ${parsed.error.message}` };
  if (!Array.isArray(parsed.value)) return { ok: false, reason: 'payload is not an array of transactions' };
  if (parsed.value.length !== header.txCount) return { ok: false, reason: `payload has ${parsed.value.length} transactions, header says ${header.txCount}` };
  const transactions: Transaction[] = [];
  const ids: string[] = [];
  for (const [position, candidate] of parsed.value.entries()) {
    const known = verified.lookup(candidate);
    if (known !== undefined) {
      transactions.push(candidate as unknown as Transaction);
      ids.push(known);
      continue;
    }
    const check = checkTransaction(candidate, header.chainId);
    if (!check.ok) return { ok: false, reason: `transaction ${position}: ${check.code}: ${check.message}` };
    verified.remember(candidate, check.id);
    transactions.push(check.transaction);
    ids.push(check.id);
  }
  if (transactionRoot(transactions, ids) !== header.txRoot) return { ok: false, reason: 'txRoot does not match the payload' };
  return { ok: true, payload: { transactions, ids } };
}

/**
 * Transactions whose signatures passed, keyed by their exact canonical text so that a payload
 * carrying the same id with different signatures is checked afresh. Bounded; oldest forgotten first.
 */
export class VerifiedTransactions {
  private readonly entries = new Map<string, string>();

  constructor(private readonly entriesMax = 100_000) {}

  remember(transaction: unknown, id: string): void {
    const key = canonicalize(transaction);
    this.entries.delete(key);
    this.entries.set(key, id);
    while (this.entries.size > this.entriesMax) this.entries.delete(this.entries.keys().next().value!);
  }

  lookup(transaction: unknown): string | undefined {
    try {
      return this.entries.get(canonicalize(transaction));
    } catch {
      return undefined;
    }
  }
}
