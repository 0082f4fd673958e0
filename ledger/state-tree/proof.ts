/**
 * Proofs of one key against a state root (docs/encoding.md, section 16), in the form of Diem's and
 * Aptos' SparseMerkleProof (types/src/proof/definition.rs): the sibling hashes along the key
 * hash's path, and, when the path ends at another key's leaf, that leaf. One form proves three
 * things:
 *
 * - presence: the path ends at the key's own leaf, whose hash the verifier makes from the key and
 *   the value it was given, so the value is proven too;
 * - absence, by an empty subtree: the path ends where nothing is;
 * - absence, by another leaf: the path ends at a leaf of another key that shares the path's bits,
 *   so the key would have to be where that leaf is.
 *
 * The verifier recomputes the root from the bottom up and compares. A shorter or longer path than
 * the tree's cannot lead to the same root without a SHA-256 collision or a preimage of the empty
 * hash, since leaves, internal nodes and the empty subtree hash differently. Runs in the browser.
 */
import { assert } from '../assert.js';
import type { JsonValue } from '../encoding/canonical-json.js';
import { fromHex, isHex, toHex } from '../encoding/hex.js';
import { bitAt, commonPrefixBits, compareHashes, EMPTY_SUBTREE, HASH_BYTES, internalHashOf, KEY_HASH_BITS, keyHashOf, leafHashOf, valueHashOf, type Hash } from './hashing.js';
import type { Child, StateTreeNodes } from './nodes.js';

/** The proof as JSON: siblings from the root down (siblings[i] is at depth i + 1), and the other key's leaf ending an absence proof. */
export interface StateTreeProof {
  siblings: string[];
  leaf?: { keyHash: string; valueHash: string };
}

export type StateTreePath =
  | { ok: true; siblings: Hash[]; terminal: Extract<Child, { kind: 'leaf' | 'empty' }> }
  | { ok: false; depth: number; version: number };

/** Walks from `root` down the key hash's path; a node not stored is reported, not thrown. */
export function pathOf(nodes: StateTreeNodes, root: Child, keyHash: Hash): StateTreePath {
  const siblings: Hash[] = [];
  let child = root;
  while (child.kind === 'internal') {
    const depth = siblings.length;
    assert(depth < KEY_HASH_BITS, 'a state tree path deeper than its key hash');
    const node = nodes.node({ depth, keyHash }, child.version);
    if (node === undefined) return { ok: false, depth, version: child.version };
    const right = bitAt(keyHash, depth) === 1;
    siblings.push(right ? node.left.hash : node.right.hash);
    child = right ? node.right : node.left;
  }
  return { ok: true, siblings, terminal: child };
}

/** The JSON proof of a path to `keyHash`: the terminal leaf is written only when it is another key's. */
export function proofOfPath(path: Extract<StateTreePath, { ok: true }>, keyHash: Hash): StateTreeProof {
  const siblings = path.siblings.map(toHex);
  const { terminal } = path;
  if (terminal.kind === 'leaf' && compareHashes(terminal.keyHash, keyHash) !== 0) {
    return { siblings, leaf: { keyHash: toHex(terminal.keyHash), valueHash: toHex(terminal.valueHash) } };
  }
  return { siblings };
}

export type StateTreeVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks that under `root` the key holds `value`, or, for `value` null, that it is absent. The
 * proof is untrusted input: every field is checked before use.
 */
export function verifyStateTreeProof(key: string, value: JsonValue | null, proof: StateTreeProof, root: Hash): StateTreeVerdict {
  const fail = (reason: string): StateTreeVerdict => ({ ok: false, reason });
  if (proof.siblings.length > KEY_HASH_BITS) return fail(`the path has ${proof.siblings.length} siblings; a key hash has ${KEY_HASH_BITS} bits`);
  if (!proof.siblings.every((sibling) => isHex(sibling, HASH_BYTES))) return fail('a sibling is not a 32-byte hash');
  const keyHash = keyHashOf(key);
  const depth = proof.siblings.length;
  let current: Hash;
  if (value !== null) {
    if (proof.leaf !== undefined) return fail('a proof of a present key names no other leaf');
    let valueHash: Hash;
    try {
      valueHash = valueHashOf(value);
    } catch (error) {
      return fail(`the value has no canonical form: ${error instanceof Error ? error.message : String(error)}`);
    }
    current = leafHashOf(keyHash, valueHash);
  } else if (proof.leaf !== undefined) {
    if (!isHex(proof.leaf.keyHash, HASH_BYTES) || !isHex(proof.leaf.valueHash, HASH_BYTES)) return fail("the other leaf's hashes are not 32-byte hashes");
    const other = fromHex(proof.leaf.keyHash);
    const shared = commonPrefixBits(other, keyHash);
    if (shared === KEY_HASH_BITS) return fail('the leaf the path ends at is the key’s own: the key is present');
    if (shared < depth) return fail(`the other leaf shares ${shared} bits with the key's hash, fewer than the path's ${depth}: it cannot be on the key's path`);
    current = leafHashOf(other, fromHex(proof.leaf.valueHash));
  } else {
    current = EMPTY_SUBTREE;
  }
  for (let level = depth - 1; level >= 0; level--) {
    const sibling = fromHex(proof.siblings[level]!);
    current = bitAt(keyHash, level) === 1 ? internalHashOf(sibling, current) : internalHashOf(current, sibling);
  }
  if (compareHashes(current, root) !== 0) return fail(`the path leads to ${toHex(current)}, not the root ${toHex(root)}`);
  return { ok: true };
}
