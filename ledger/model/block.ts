/**
 * Blocks (docs/encoding.md, "Block header" and "Block").
 *
 * The header commits to the block's transactions (`txRoot`, an RFC 9162 tree over their ids)
 * and to the ledger as committed when it was proposed: `logSize`, `logRoot` and `stateRoot`
 * describe the ledger after block `ledgerHeight`. Pipelined consensus cannot wait for the
 * parent to commit before proposing, so the header names which committed height its roots are
 * for; honest validators vote only when those roots equal their own ledger at that height,
 * which makes a quorum certificate on the header a signed checkpoint of the whole ledger.
 */
import { z } from 'zod';
import { canonicalize } from '../encoding/canonical-json.js';
import { concatBytes, fromHex, toHex } from '../encoding/hex.js';
import { sha256Text } from '../crypto/sha256.js';
import { leafHash, MerkleFrontier } from '../merkle/index.js';
import { LEDGER_LIMITS } from '../limits.js';
import { chainId, hashHex, identifier, nonNegativeInteger, positiveInteger, unixMilliseconds } from './primitives.js';
import { transactionSchema, type Transaction } from './transaction.js';
import { validatorSchema } from './validator-set.js';

export const blockHeaderSchema = z.strictObject({
  chainId,
  height: positiveInteger,
  round: nonNegativeInteger,
  /** Hash of the parent header; for height 1, the genesis hash. */
  prevHash: hashHex,
  proposer: identifier,
  timestamp: unixMilliseconds,
  txCount: nonNegativeInteger.max(LEDGER_LIMITS.blockTransactionsMax),
  txRoot: hashHex,
  ledgerHeight: nonNegativeInteger,
  logSize: nonNegativeInteger,
  logRoot: hashHex,
  stateRoot: hashHex,
  /**
   * Present only on the last block of a validator-set epoch: the set that certifies every block
   * after it. The quorum certificate on this header is therefore the old set's signed hand-over
   * to the new one, which is how an auditor follows the chain's sets from genesis.
   */
  nextValidators: z.array(validatorSchema).min(1).max(LEDGER_LIMITS.validatorsMax).optional(),
});
export type BlockHeader = z.infer<typeof blockHeaderSchema>;

export const blockSchema = z.strictObject({
  header: blockHeaderSchema,
  transactions: z.array(transactionSchema).max(LEDGER_LIMITS.blockTransactionsMax),
});
export type Block = { header: BlockHeader; transactions: Transaction[] };

export function blockHashBytes(header: BlockHeader): Uint8Array {
  return sha256Text(canonicalize(header));
}

/**
 * The hash of every header object hashed so far. A block's header is hashed a dozen times or more
 * on its way through a validator (proposal, vote, block tree, persist, commit, execution, append),
 * some 6 µs and 4 KB of garbage each time; the header objects themselves are shared along the way.
 * A hashed header is frozen, so the hash kept for it can never go stale: a changed header is a
 * new object (a copy), and changing the object itself throws.
 */
const headerHashes = new WeakMap<BlockHeader, string>();

export function blockHash(header: BlockHeader): string {
  const known = headerHashes.get(header);
  if (known !== undefined) return known;
  const hash = toHex(blockHashBytes(header));
  headerHashes.set(freezeHeader(header), hash);
  return hash;
}

function freezeHeader(header: BlockHeader): BlockHeader {
  if (header.nextValidators !== undefined) {
    for (const validator of header.nextValidators) Object.freeze(validator);
    Object.freeze(header.nextValidators);
  }
  return Object.freeze(header);
}

/**
 * RFC 9162 Merkle tree hash over the block's transactions. A transaction's id covers only its
 * body, so each leaf's data is `id || SHA-256(JCS(signatures))`: the header then commits to the
 * signatures as well, and no one can swap them in a stored block without changing its hash.
 */
export function transactionRoot(transactions: readonly Transaction[], transactionIds: readonly string[]): string {
  return transactionRootOfLeaves(transactions.map((transaction, position) => concatBytes(fromHex(transactionIds[position]!), signaturesDigest(transaction))));
}

/** SHA-256 of the RFC 8785 bytes of a transaction's signatures: the second half of its txRoot leaf. */
export function signaturesDigest(transaction: Transaction): Uint8Array {
  return sha256Text(canonicalize(transaction.signatures));
}

/** The same root from each leaf's data (`id || signaturesDigest`), for a block known by its transactions' references. */
export function transactionRootOfLeaves(leaves: readonly Uint8Array[]): string {
  const frontier = MerkleFrontier.empty();
  for (const leaf of leaves) frontier.append(leafHash(leaf));
  return toHex(frontier.root());
}
