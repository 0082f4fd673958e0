/**
 * Hashing of the state tree (docs/encoding.md, section 9): a binary sparse Merkle tree over
 * SHA-256 of the state keys, hashed as RFC 6962 / RFC 9162 section 2.1.1 hashes its log, with a
 * one-byte prefix that tells leaves (0x00) from internal nodes (0x01), and an explicit hash for
 * an empty subtree as Diem's and Aptos' sparse Merkle trees have (SPARSE_MERKLE_PLACEHOLDER_HASH):
 *
 *   keyHash   = H(UTF-8(key))
 *   valueHash = H(canonical(value))                     (RFC 8785 bytes)
 *   leaf      = H(0x00 || keyHash || valueHash)
 *   internal  = H(0x01 || left || right)
 *   empty     = 32 zero bytes                           (no SHA-256 preimage is known)
 *
 * Bit i of a key hash (i = 0 the most significant bit of byte 0) chooses the right child at
 * depth i. Runs in Node and in the browser (the sha256 twin).
 */
import { canonicalBytes, type JsonValue } from '../encoding/canonical-json.js';
import { utf8 } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';
import { nodeHash } from '../merkle/hashing.js';

export type Hash = Uint8Array;

export const HASH_BYTES = 32;
/** Bits in a key hash: the deepest a leaf can sit. */
export const KEY_HASH_BITS = 256;
export const EMPTY_SUBTREE: Hash = new Uint8Array(HASH_BYTES);

export function keyHashOf(key: string): Hash {
  return sha256(utf8(key));
}

export function valueHashOf(value: JsonValue): Hash {
  return sha256(canonicalBytes(value));
}

/** The value hash from the value's canonical text, when the caller already has it (the store does). */
export function valueHashOfText(canonicalText: string): Hash {
  return sha256(utf8(canonicalText));
}

const LEAF_INPUT = new Uint8Array(1 + 2 * HASH_BYTES);
LEAF_INPUT[0] = 0x00;

export function leafHashOf(keyHash: Hash, valueHash: Hash): Hash {
  // One scratch buffer: hashing is synchronous, so no two calls share it at once.
  LEAF_INPUT.set(keyHash, 1);
  LEAF_INPUT.set(valueHash, 1 + HASH_BYTES);
  return sha256(LEAF_INPUT);
}

export function internalHashOf(left: Hash, right: Hash): Hash {
  return nodeHash(left, right);
}

/** Bit `index` of a key hash, most significant first: 0 goes left, 1 right. */
export function bitAt(keyHash: Hash, index: number): 0 | 1 {
  return ((keyHash[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

/** How many leading bits two key hashes share (256 when equal). */
export function commonPrefixBits(left: Hash, right: Hash): number {
  for (let byte = 0; byte < HASH_BYTES; byte++) {
    const differ = left[byte]! ^ right[byte]!;
    if (differ !== 0) return byte * 8 + Math.clz32(differ) - 24;
  }
  return KEY_HASH_BITS;
}

export function compareHashes(left: Hash, right: Hash): number {
  for (let byte = 0; byte < HASH_BYTES; byte++) {
    const difference = left[byte]! - right[byte]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

export function isEmptyHash(hash: Hash): boolean {
  for (let byte = 0; byte < HASH_BYTES; byte++) if (hash[byte] !== 0) return false;
  return true;
}
