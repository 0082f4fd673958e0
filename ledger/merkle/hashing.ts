/**
 * Merkle tree hashing of RFC 9162 section 2.1.1: leaves and interior nodes are hashed with
 * distinct one-byte prefixes (0x00 and 0x01) so that no leaf can be passed off as a node
 * (second-preimage resistance), and the empty tree hashes to SHA-256 of nothing.
 */
import { assert } from '../assert.js';
import { SHA256_BYTES, sha256 } from '../crypto/sha256.js';

/** A SHA-256 digest, 32 bytes. Treated as immutable once produced. */
export type Hash = Uint8Array;

export const HASH_BYTES = SHA256_BYTES;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** RFC 9162 section 2.1.1: MTH({}) = SHA-256(). */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** RFC 9162 section 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Hash {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** RFC 9162 section 2.1.1: SHA-256(0x01 || MTH(left) || MTH(right)). */
export function nodeHash(left: Hash, right: Hash): Hash {
  // Callers validate untrusted lengths first; a wrong length here would silently change the tree.
  assert(left.length === HASH_BYTES && right.length === HASH_BYTES, 'merkle node children must be 32-byte hashes');
  // One scratch buffer for every node: hashing is synchronous, so no two calls share it at once.
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_BYTES);
  return sha256(NODE_INPUT);
}
const NODE_INPUT = new Uint8Array(1 + 2 * HASH_BYTES);
NODE_INPUT[0] = NODE_PREFIX;

/** True for a 32-byte Uint8Array; used on untrusted input, so it accepts `unknown`. */
export function isHash(value: unknown): value is Hash {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}
