/**
 * One block's writes applied to the state tree in one pass (docs/encoding.md, section 9), as
 * Jellyfish Merkle's batch update does (Gao et al. 2021, section 3.2): the writes, sorted by key
 * hash, descend the tree together, so each changed node is read once, rebuilt once and hashed
 * once, and a subtree no write reaches is never read. Pure: nodes come from a reader (the store's
 * rows, or memory), and what to write and what became stale is returned, for the caller to put in
 * the block's batch.
 *
 * Total on a canonical write set (each key once; deleting an absent key changes nothing). The
 * tree's shape depends only on the set of keys and values, never on the order of writes or on
 * the history that led to it: a subtree holding one key is that key's leaf, and a node exists
 * only above two or more keys.
 */
import { assert } from '../assert.js';
import type { StateWrite } from '../model/state.js';
import { bitAt, compareHashes, internalHashOf, KEY_HASH_BITS, keyHashOf, leafHashOf, valueHashOf, valueHashOfText, type Hash } from './hashing.js';
import { EMPTY_CHILD, type Child, type NodeChanges, type StateTreeNodes } from './nodes.js';

export interface PreparedWrite {
  keyHash: Hash;
  /** null deletes the key. */
  valueHash: Hash | null;
}

/**
 * The writes as the tree takes them: hashed and sorted by key hash. `valueTexts`, when given, are
 * the values' canonical texts in write order (the block checks made them), so nothing is
 * canonicalised twice.
 */
export function prepareWrites(writes: readonly StateWrite[], valueTexts?: readonly string[]): PreparedWrite[] {
  const prepared = writes.map((write, index): PreparedWrite => ({
    keyHash: keyHashOf(write.key),
    valueHash: write.value === null ? null : valueTexts === undefined ? valueHashOf(write.value) : valueHashOfText(valueTexts[index]!),
  }));
  prepared.sort((left, right) => compareHashes(left.keyHash, right.keyHash));
  for (let index = 1; index < prepared.length; index++) {
    assert(compareHashes(prepared[index - 1]!.keyHash, prepared[index]!.keyHash) !== 0, 'two writes of one block have the same key hash');
  }
  return prepared;
}

export interface TreeUpdate {
  root: Child;
  changes: NodeChanges;
}

/** Applies `writes` (prepareWrites) to the tree whose root is `root`, writing new nodes under `version`. */
export function updateStateTree(nodes: StateTreeNodes, root: Child, version: number, writes: readonly PreparedWrite[]): TreeUpdate {
  const updater = new Updater(nodes, version, writes);
  return { root: updater.update(root, 0, 0, writes.length), changes: updater.changes };
}

class Updater {
  readonly changes: NodeChanges = { created: [], stale: [] };

  constructor(
    private readonly nodes: StateTreeNodes,
    private readonly version: number,
    private readonly writes: readonly PreparedWrite[],
  ) {}

  /** The subtree at `depth` holding `existing`, after writes [lo, hi), which all lie under it. */
  update(existing: Child, depth: number, lo: number, hi: number): Child {
    if (lo === hi) return existing;
    if (existing.kind !== 'internal') return this.build(depth, lo, hi, existing.kind === 'leaf' ? existing : undefined);
    assert(existing.version < this.version, `state tree node of version ${existing.version} is not older than the update's ${this.version}`);
    const position = { depth, keyHash: this.writes[lo]!.keyHash };
    const node = this.nodes.node(position, existing.version);
    assert(node !== undefined, `state tree node at depth ${depth} of version ${existing.version} is missing`);
    const middle = this.firstRight(depth, lo, hi);
    const left = this.update(node.left, depth + 1, lo, middle);
    const right = this.update(node.right, depth + 1, middle, hi);
    if (left === node.left && right === node.right) return existing;
    this.changes.stale.push({ position, version: existing.version });
    return this.join(depth, position.keyHash, left, right);
  }

  /** The first write in [lo, hi) whose bit at `depth` is 1: they share the bits above, so the zeros come first. */
  private firstRight(depth: number, lo: number, hi: number): number {
    let low = lo;
    let high = hi;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (bitAt(this.writes[middle]!.keyHash, depth) === 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** A subtree that held at most the one leaf `kept`, rebuilt with writes [lo, hi). */
  private build(depth: number, lo: number, hi: number, kept: Extract<Child, { kind: 'leaf' }> | undefined): Child {
    const leaves: Array<Extract<Child, { kind: 'leaf' }>> = [];
    let pending = kept;
    for (let index = lo; index < hi; index++) {
      const write = this.writes[index]!;
      if (pending !== undefined) {
        const order = compareHashes(pending.keyHash, write.keyHash);
        if (order < 0) {
          leaves.push(pending);
          pending = undefined;
        } else if (order === 0) {
          // Rewriting the value it holds changes nothing, so the leaf (and its value's height) stays.
          if (write.valueHash !== null) leaves.push(compareHashes(pending.valueHash, write.valueHash) === 0 ? pending : this.leaf(write.keyHash, write.valueHash));
          pending = undefined;
          continue;
        }
      }
      if (write.valueHash !== null) leaves.push(this.leaf(write.keyHash, write.valueHash));
    }
    if (pending !== undefined) leaves.push(pending);
    if (leaves.length === 0) return EMPTY_CHILD;
    if (leaves.length === 1) return leaves[0]!;
    return this.subtree(depth, leaves, 0, leaves.length);
  }

  /** The subtree at `depth` of two or more leaves [lo, hi), sorted by key hash. */
  private subtree(depth: number, leaves: ReadonlyArray<Extract<Child, { kind: 'leaf' }>>, lo: number, hi: number): Child {
    assert(depth < KEY_HASH_BITS, 'two distinct keys with one key hash');
    let middle = lo;
    while (middle < hi && bitAt(leaves[middle]!.keyHash, depth) === 0) middle++;
    const side = (from: number, to: number): Child => (to - from === 0 ? EMPTY_CHILD : to - from === 1 ? leaves[from]! : this.subtree(depth + 1, leaves, from, to));
    return this.join(depth, leaves[lo]!.keyHash, side(lo, middle), side(middle, hi));
  }

  /** The node over two subtrees, or, when it would hold one leaf and nothing else, that leaf. */
  private join(depth: number, keyHash: Hash, left: Child, right: Child): Child {
    if (left.kind === 'empty' && right.kind !== 'internal') return right;
    if (right.kind === 'empty' && left.kind !== 'internal') return left;
    const node = { left, right };
    this.changes.created.push({ position: { depth, keyHash }, version: this.version, node });
    return { kind: 'internal', hash: internalHashOf(left.hash, right.hash), version: this.version };
  }

  private leaf(keyHash: Hash, valueHash: Hash): Extract<Child, { kind: 'leaf' }> {
    return { kind: 'leaf', hash: leafHashOf(keyHash, valueHash), keyHash, valueHash, valueHeight: this.version };
  }
}
