/**
 * Hashing of the state tree (docs/encoding.md, section 9): a sparse Merkle tree of radix 16 over
 * SHA-256 of the state keys, the physical shape of Diem's and Aptos' Jellyfish Merkle tree (Gao et
 * al., "Jellyfish Merkle Tree", 2021: internal nodes of 16 children, one per nibble of the key
 * hash, and a subtree of one key stored as that key's leaf), hashed flat: an internal node is one
 * SHA-256 over its 16 children, as Ethereum's branch nodes are, rather than Jellyfish's binary
 * tree inside each node, so that a changed node costs one hash call, not fifteen. Leaves and
 * internal nodes carry RFC 6962 / RFC 9162 section 2.1.1's one-byte prefixes, and an empty
 * subtree has an explicit hash (Diem's SPARSE_MERKLE_PLACEHOLDER_HASH):
 *
 *   keyHash   = H(UTF-8(key))
 *   valueHash = H(canonical(value))                     (RFC 8785 bytes)
 *   leaf      = H(0x00 || keyHash || valueHash)
 *   internal  = H(0x01 || child_0 || ... || child_15)   (513 bytes)
 *   empty     = 32 zero bytes                           (no SHA-256 preimage is known)
 *
 * Nibble i of a key hash (i = 0 the high half of byte 0) chooses the child at depth i. Runs in
 * Node and in the browser (the sha256 twin).
 */
import { canonicalize, type JsonValue } from '../encoding/canonical-json.js';
import { sha256, sha256Text } from '../crypto/sha256.js';

export type Hash = Uint8Array;

export const HASH_BYTES = 32;
/** Children of an internal node: one per value of a nibble. */
export const RADIX = 16;
/** Nibbles in a key hash: the deepest a leaf can sit. */
export const KEY_HASH_NIBBLES = 64;
export const EMPTY_SUBTREE: Hash = new Uint8Array(HASH_BYTES);

export function keyHashOf(key: string): Hash {
  return sha256Text(key);
}

export function valueHashOf(value: JsonValue): Hash {
  return sha256Text(canonicalize(value));
}

/** The value hash from the value's canonical text, when the caller already has it (the store does). */
export function valueHashOfText(canonicalText: string): Hash {
  return sha256Text(canonicalText);
}

const LEAF_INPUT = new Uint8Array(1 + 2 * HASH_BYTES);
LEAF_INPUT[0] = 0x00;

export function leafHashOf(keyHash: Hash, valueHash: Hash): Hash {
  // One scratch buffer: hashing is synchronous, so no two calls share it at once.
  LEAF_INPUT.set(keyHash, 1);
  LEAF_INPUT.set(valueHash, 1 + HASH_BYTES);
  return sha256(LEAF_INPUT);
}

const INTERNAL_INPUT = new Uint8Array(1 + RADIX * HASH_BYTES);
INTERNAL_INPUT[0] = 0x01;

/** H(0x01 || the 16 children's hashes in nibble order). */
export function internalHashOf(children: ReadonlyArray<Hash>): Hash {
  for (let slot = 0; slot < RADIX; slot++) INTERNAL_INPUT.set(children[slot]!, 1 + slot * HASH_BYTES);
  return sha256(INTERNAL_INPUT);
}

/** A node that can copy its children's hashes out (nodes.ts's InternalNode: its row holds them). */
export interface HashesCopier {
  /** Copies the hash of the child in `slot` into `out` at `at` (zeros when the slot is empty). */
  copyHash(slot: number, out: Uint8Array, at: number): void;
}

/** internalHashOf a node's children, copied straight from where the node holds them. */
export function internalHashOfNode(node: HashesCopier): Hash {
  for (let slot = 0; slot < RADIX; slot++) node.copyHash(slot, INTERNAL_INPUT, 1 + slot * HASH_BYTES);
  return sha256(INTERNAL_INPUT);
}

/** Nibble `index` of a key hash, the high half of each byte first. */
export function nibbleAt(keyHash: Hash, index: number): number {
  const byte = keyHash[index >> 1]!;
  return (index & 1) === 0 ? byte >> 4 : byte & 15;
}

/** How many leading nibbles two key hashes share (64 when equal). */
export function commonPrefixNibbles(left: Hash, right: Hash): number {
  for (let byte = 0; byte < HASH_BYTES; byte++) {
    const differ = left[byte]! ^ right[byte]!;
    if (differ !== 0) return byte * 2 + (differ >> 4 === 0 ? 1 : 0);
  }
  return KEY_HASH_NIBBLES;
}

export function compareHashes(left: Hash, right: Hash): number {
  for (let byte = 0; byte < HASH_BYTES; byte++) {
    const difference = left[byte]! - right[byte]!;
    if (difference !== 0) return difference;
  }
  return 0;
}
