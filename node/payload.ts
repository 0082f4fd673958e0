/**
 * The block payload the node proposes, in one of two forms (docs/consensus.md, "Payloads"). The
 * core treats it as opaque bytes; the header's txCount and txRoot bind either form.
 *
 * - References, what proposals carry: the byte 0x00, then for each transaction its 32-byte id
 *   and the 32-byte SHA-256 of its signatures' RFC 8785 bytes, exactly the data of its txRoot
 *   leaf (ledger/model/block.ts). Transactions reach every validator once, when they are
 *   relayed at admission; a proposal names them, as Aptos' Quorum Store and Narwhal separate
 *   dissemination from ordering. The root is checked from the references alone, so a certified
 *   header fixes the block's transactions and signatures even before their bodies arrive.
 * - Full: the RFC 8785 bytes of the array of transactions (what committed-responses, served from
 *   the ledger, carry). Decoded strictly (duplicate keys, limits), every transaction checked
 *   statelessly; a JSON text never starts with 0x00, so the two forms cannot be confused.
 */
import { canonicalBytes, type JsonValue } from '../ledger/encoding/canonical-json.js';
import { fromHex, toHex } from '../ledger/encoding/hex.js';
import { parseStrictJson } from '../ledger/encoding/strict-json.js';
import { signaturesDigest, transactionRootOfLeaves, type BlockHeader } from '../ledger/model/block.js';
import { checkTransactionShape, verifyTransactionSignatures, type Transaction } from '../ledger/model/transaction.js';
import { LEDGER_LIMITS } from '../ledger/limits.js';

export const REFERENCE_PAYLOAD_TAG = 0x00;
const ID_BYTES = 32;
const DIGEST_BYTES = 32;
export const TRANSACTION_REFERENCE_BYTES = ID_BYTES + DIGEST_BYTES;

/**
 * A transaction as a block names it: its id and the digest of its signatures. `key` (their 128
 * hex digits) tells apart two transactions with one body but different signatures.
 */
export interface TransactionReference {
  id: string;
  key: string;
  /** id || signatures digest: the transaction's txRoot leaf data. */
  leaf: Uint8Array;
}

export interface DecodedPayload {
  transactions: Transaction[];
  ids: string[];
}

export type PayloadCheck = { ok: true; payload: DecodedPayload } | { ok: false; reason: string };
export type ReferencesCheck = { ok: true; references: TransactionReference[] } | { ok: false; reason: string };

export function referenceOf(id: string, transaction: Transaction): TransactionReference {
  const leaf = new Uint8Array(TRANSACTION_REFERENCE_BYTES);
  leaf.set(fromHex(id), 0);
  leaf.set(signaturesDigest(transaction), ID_BYTES);
  return { id, key: toHex(leaf), leaf };
}

export function isReferencePayload(payload: Uint8Array): boolean {
  return payload.length > 0 && payload[0] === REFERENCE_PAYLOAD_TAG;
}

export function encodeReferencePayload(references: readonly TransactionReference[]): Uint8Array {
  const payload = new Uint8Array(1 + references.length * TRANSACTION_REFERENCE_BYTES);
  payload[0] = REFERENCE_PAYLOAD_TAG;
  for (const [position, reference] of references.entries()) payload.set(reference.leaf, 1 + position * TRANSACTION_REFERENCE_BYTES);
  return payload;
}

/** The references of a reference payload, checked against the header's txCount and txRoot. */
export function decodeReferencePayload(header: BlockHeader, payload: Uint8Array): ReferencesCheck {
  if (!isReferencePayload(payload)) return { ok: false, reason: 'not a reference payload' };
  const expectedBytes = 1 + header.txCount * TRANSACTION_REFERENCE_BYTES;
  if (payload.length !== expectedBytes) return { ok: false, reason: `reference payload of ${payload.length} bytes; the header's ${header.txCount} transactions need ${expectedBytes}` };
  const references: TransactionReference[] = [];
  for (let position = 0; position < header.txCount; position++) {
    const start = 1 + position * TRANSACTION_REFERENCE_BYTES;
    const leaf = payload.slice(start, start + TRANSACTION_REFERENCE_BYTES);
    references.push({ id: toHex(leaf.subarray(0, ID_BYTES)), key: toHex(leaf), leaf });
  }
  if (transactionRootOfLeaves(references.map((reference) => reference.leaf)) !== header.txRoot) return { ok: false, reason: 'txRoot does not match the references' };
  return { ok: true, references };
}

export function encodePayload(transactions: readonly Transaction[]): Uint8Array {
  return canonicalBytes(transactions as unknown as JsonValue);
}

/**
 * Decodes and checks a full payload against its header. `verified` holds the references whose
 * signatures this node already checked (when they reached its mempool), so each is verified once.
 */
export function decodePayload(header: BlockHeader, payload: Uint8Array, verified: VerifiedTransactions): PayloadCheck {
  if (isReferencePayload(payload)) return { ok: false, reason: 'a reference payload holds no transactions to decode' };
  if (payload.length > LEDGER_LIMITS.blockBodyBytesMax + 1024 * 1024) return { ok: false, reason: `payload of ${payload.length} bytes is too large` };
  // Member names are kept as they are: a certified block must decode as it was certified, and
  // what enters a mempool was already refused at the edge if it held a prototype member.
  const parsed = parseStrictJson(new TextDecoder().decode(payload), { bytesMax: LEDGER_LIMITS.blockBodyBytesMax + 1024 * 1024, depthMax: 64, prototypeMembers: 'keep' });
  if (!parsed.ok) return { ok: false, reason: `payload is not strict JSON: ${parsed.error.message}` };
  if (!Array.isArray(parsed.value)) return { ok: false, reason: 'payload is not an array of transactions' };
  if (parsed.value.length !== header.txCount) return { ok: false, reason: `payload has ${parsed.value.length} transactions, header says ${header.txCount}` };
  const transactions: Transaction[] = [];
  const ids: string[] = [];
  const leaves: Uint8Array[] = [];
  for (const [position, candidate] of parsed.value.entries()) {
    const shape = checkTransactionShape(candidate, header.chainId);
    if (!shape.ok) return { ok: false, reason: `transaction ${position}: ${shape.code}: ${shape.message}` };
    const reference = referenceOf(toHex(shape.idBytes), shape.transaction);
    if (!verified.has(reference)) {
      const refused = verifyTransactionSignatures(shape);
      if (refused !== undefined) return { ok: false, reason: `transaction ${position}: ${refused.code}: ${refused.message}` };
      verified.remember(reference);
    }
    transactions.push(shape.transaction);
    ids.push(reference.id);
    leaves.push(reference.leaf);
  }
  if (transactionRootOfLeaves(leaves) !== header.txRoot) return { ok: false, reason: 'txRoot does not match the payload' };
  return { ok: true, payload: { transactions, ids } };
}

/**
 * References whose signatures passed, by transaction id. A payload carrying the same id with
 * other signatures is checked afresh (only the latest signatures of an id are kept). Entries are
 * forgotten when their transaction executes, or leaves the mempool otherwise, so the set holds
 * what is pending rather than every transaction seen; bounded, oldest forgotten first, for
 * references that never reach a block.
 */
export class VerifiedTransactions {
  /** The reference key (id and signatures digest) whose signatures passed, by id. */
  private readonly keys = new Map<string, string>();

  constructor(private readonly entriesMax = 100_000) {}

  remember(reference: Pick<TransactionReference, 'id' | 'key'>): void {
    this.keys.delete(reference.id);
    this.keys.set(reference.id, reference.key);
    while (this.keys.size > this.entriesMax) this.keys.delete(this.keys.keys().next().value!);
  }

  has(reference: Pick<TransactionReference, 'id' | 'key'>): boolean {
    return this.keys.get(reference.id) === reference.key;
  }

  /** The transaction no longer needs its check remembered: it executed, or left the mempool. */
  forget(id: string): void {
    this.keys.delete(id);
  }

  get size(): number {
    return this.keys.size;
  }
}
