/**
 * Proofs of one key against a state root (docs/encoding.md, section 16), in the form of Diem's and
 * Aptos' SparseMerkleProof (types/src/proof/definition.rs) for a tree of radix 16: for each node
 * on the key hash's path, its other children (those not empty, with a mask saying which), and,
 * when the path ends at another key's leaf, that leaf. One form proves three things:
 *
 * - presence: the path ends at the key's own leaf, whose hash the verifier makes from the key and
 *   the value it was given, so the value is proven too;
 * - absence, by an empty subtree: the path ends where nothing is;
 * - absence, by another leaf: the path ends at a leaf of another key that shares the path's nibbles,
 *   so the key would have to be where that leaf is.
 *
 * The verifier recomputes the root from the bottom up and compares. A shorter or longer path than
 * the tree's cannot lead to the same root without a SHA-256 collision or a preimage of the empty
 * hash, since leaves, internal nodes and the empty subtree hash differently. Runs in the browser.
 */
import { assert } from '../assert.js';
import type { JsonValue } from '../encoding/canonical-json.js';
import { fromHex, isHex, toHex } from '../encoding/hex.js';
import { commonPrefixNibbles, compareHashes, EMPTY_SUBTREE, HASH_BYTES, internalHashOf, KEY_HASH_NIBBLES, keyHashOf, leafHashOf, nibbleAt, RADIX, valueHashOf, type Hash } from './hashing.js';
import type { Child, StateTreeNodes } from './nodes.js';

/**
 * One node on the path, from the root down: `mask` has bit 15 - s set for each child s other
 * than the path's own that is not empty, and `hashes` are those children's hashes in slot order.
 */
export interface StateTreeProofLevel {
  mask: number;
  hashes: string[];
}

/** The proof as JSON: the path's nodes from the root down, and the other key's leaf ending an absence proof. */
export interface StateTreeProof {
  levels: StateTreeProofLevel[];
  leaf?: { keyHash: string; valueHash: string };
}

export type StateTreePath =
  | { ok: true; levels: StateTreeProofLevel[]; terminal: Extract<Child, { kind: 'leaf' | 'empty' }> }
  | { ok: false; depth: number; version: number };

/** Walks from `root` down the key hash's path; a node not stored is reported, not thrown. */
export function pathOf(nodes: StateTreeNodes, root: Child, keyHash: Hash): StateTreePath {
  const levels: StateTreeProofLevel[] = [];
  let child = root;
  while (child.kind === 'internal') {
    const depth = levels.length;
    assert(depth < KEY_HASH_NIBBLES, 'a state tree path deeper than its key hash');
    const node = nodes.node({ depth, keyHash }, child.version);
    if (node === undefined) return { ok: false, depth, version: child.version };
    const own = nibbleAt(keyHash, depth);
    let mask = 0;
    const hashes: string[] = [];
    for (let slot = 0; slot < RADIX; slot++) {
      if (slot === own || node.isEmpty(slot)) continue;
      mask |= 0x8000 >> slot;
      hashes.push(toHex(node.child(slot).hash));
    }
    levels.push({ mask, hashes });
    child = node.child(own);
  }
  return { ok: true, levels, terminal: child };
}

/** The JSON proof of a path to `keyHash`: the terminal leaf is written only when it is another key's. */
export function proofOfPath(path: Extract<StateTreePath, { ok: true }>, keyHash: Hash): StateTreeProof {
  const { terminal, levels } = path;
  if (terminal.kind === 'leaf' && compareHashes(terminal.keyHash, keyHash) !== 0) {
    return { levels, leaf: { keyHash: toHex(terminal.keyHash), valueHash: toHex(terminal.valueHash) } };
  }
  return { levels };
}

/** The proof of `key` against `root` in a tree whose nodes are all at hand (memory-tree.ts, layered-tree.ts): a missing node is a broken invariant. */
export function proofOfKey(nodes: StateTreeNodes, root: Child, key: string): StateTreeProof {
  const keyHash = keyHashOf(key);
  const path = pathOf(nodes, root, keyHash);
  if (!path.ok) throw new Error(`state tree node at depth ${path.depth} is missing`);
  return proofOfPath(path, keyHash);
}

export type StateTreeVerdict = { ok: true } | { ok: false; reason: string };

const EMPTY_HEX = toHex(EMPTY_SUBTREE);

function popCount(mask: number): number {
  let count = 0;
  for (let bits = mask; bits !== 0; bits &= bits - 1) count++;
  return count;
}

/**
 * Checks that under `root` the key holds `value`, or, for `value` null, that it is absent. The
 * proof is untrusted input: every field is checked before use.
 */
export function verifyStateTreeProof(key: string, value: JsonValue | null, proof: StateTreeProof, root: Hash): StateTreeVerdict {
  const fail = (reason: string): StateTreeVerdict => ({ ok: false, reason });
  const { levels } = proof;
  if (levels.length > KEY_HASH_NIBBLES) return fail(`the path has ${levels.length} levels; a key hash has ${KEY_HASH_NIBBLES} nibbles`);
  const keyHash = keyHashOf(key);
  for (const [depth, level] of levels.entries()) {
    if (!Number.isInteger(level.mask) || level.mask < 0 || level.mask > 0xffff) return fail(`level ${depth}: the mask is not 16 bits`);
    if ((level.mask & (0x8000 >> nibbleAt(keyHash, depth))) !== 0) return fail(`level ${depth}: the mask names the path's own child`);
    if (level.hashes.length !== popCount(level.mask)) return fail(`level ${depth}: ${level.hashes.length} hashes for the ${popCount(level.mask)} children the mask names`);
    if (!level.hashes.every((hash) => isHex(hash, HASH_BYTES))) return fail(`level ${depth}: a hash is not 32 bytes of hex`);
    // An empty child is left out of the mask, never listed: one proof per path.
    if (level.hashes.some((hash) => hash === EMPTY_HEX)) return fail(`level ${depth}: a child listed as present has the empty hash`);
  }
  const depth = levels.length;
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
    const shared = commonPrefixNibbles(other, keyHash);
    if (shared === KEY_HASH_NIBBLES) return fail('the leaf the path ends at is the key’s own: the key is present');
    if (shared < depth) return fail(`the other leaf shares ${shared} nibbles with the key's hash, fewer than the path's ${depth}: it cannot be on the key's path`);
    current = leafHashOf(other, fromHex(proof.leaf.valueHash));
  } else {
    current = EMPTY_SUBTREE;
  }
  const children: Hash[] = new Array<Hash>(RADIX);
  for (let level = depth - 1; level >= 0; level--) {
    const { mask, hashes } = levels[level]!;
    const own = nibbleAt(keyHash, level);
    let next = 0;
    for (let slot = 0; slot < RADIX; slot++) {
      if (slot === own) children[slot] = current;
      else children[slot] = (mask & (0x8000 >> slot)) === 0 ? EMPTY_SUBTREE : fromHex(hashes[next++]!);
    }
    current = internalHashOf(children);
  }
  if (compareHashes(current, root) !== 0) return fail(`the path leads to ${toHex(current)}, not the root ${toHex(root)}`);
  return { ok: true };
}
