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
import { compareHashes, internalHashOfNode, KEY_HASH_NIBBLES, keyHashOf, leafHashOf, nibbleAt, RADIX, valueHashOf, valueHashOfText, type Hash } from './hashing.js';
import { buildNode, EMPTY_CHILD, type Child, type InternalNode, type NodeChanges, type StateTreeNodes } from './nodes.js';

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

type Leaf = Extract<Child, { kind: 'leaf' }>;

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
    assert(existing.version < this.version, 'a state tree node is not older than the update writing over it');
    const position = { depth, keyHash: this.writes[lo]!.keyHash };
    const node = this.nodes.node(position, existing.version);
    assert(node !== undefined, `state tree node at depth ${depth} of version ${existing.version} is missing`);
    // Only the slots the writes reach are read as objects; the others stay bytes of the old row.
    const replaced = new Array<Child | undefined>(RADIX);
    let changed = false;
    // The writes share the nibbles above, so they come grouped by the nibble at this depth, in order.
    for (let start = lo; start < hi; ) {
      const slot = nibbleAt(this.writes[start]!.keyHash, depth);
      let end = start + 1;
      while (end < hi && nibbleAt(this.writes[end]!.keyHash, depth) === slot) end++;
      const before = node.child(slot);
      const updated = this.update(before, depth + 1, start, end);
      if (updated !== before) {
        replaced[slot] = updated;
        changed = true;
      }
      start = end;
    }
    if (!changed) return existing;
    this.changes.stale.push({ position, version: existing.version });
    return this.join(depth, position.keyHash, node, replaced);
  }

  /** A subtree that held at most the one leaf `kept`, rebuilt with writes [lo, hi). */
  private build(depth: number, lo: number, hi: number, kept: Leaf | undefined): Child {
    const leaves: Leaf[] = [];
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
  private subtree(depth: number, leaves: readonly Leaf[], lo: number, hi: number): Child {
    assert(depth < KEY_HASH_NIBBLES, 'two distinct keys with one key hash');
    const children: Child[] = new Array<Child>(RADIX).fill(EMPTY_CHILD);
    for (let start = lo; start < hi; ) {
      const slot = nibbleAt(leaves[start]!.keyHash, depth);
      let end = start + 1;
      while (end < hi && nibbleAt(leaves[end]!.keyHash, depth) === slot) end++;
      children[slot] = end - start === 1 ? leaves[start]! : this.subtree(depth + 1, leaves, start, end);
      start = end;
    }
    return this.join(depth, leaves[lo]!.keyHash, undefined, children);
  }

  /**
   * The node over `base`'s children with `replaced` in place of some (undefined: kept), or, when
   * it would hold one leaf and nothing else, that leaf (or nothing, nothing).
   */
  private join(depth: number, keyHash: Hash, base: InternalNode | undefined, replaced: ReadonlyArray<Child | undefined>): Child {
    let onlySlot = -1;
    let count = 0;
    for (let slot = 0; slot < RADIX; slot++) {
      const child = replaced[slot];
      if (child === undefined ? base === undefined || base.isEmpty(slot) : child.kind === 'empty') continue;
      count++;
      onlySlot = slot;
    }
    if (count === 0) return EMPTY_CHILD;
    if (count === 1) {
      const only = replaced[onlySlot] ?? base!.child(onlySlot);
      if (only.kind === 'leaf') return only;
    }
    const node = buildNode(base, replaced);
    this.changes.created.push({ position: { depth, keyHash }, version: this.version, node });
    return { kind: 'internal', hash: internalHashOfNode(node), version: this.version };
  }

  private leaf(keyHash: Hash, valueHash: Hash): Leaf {
    return { kind: 'leaf', hash: leafHashOf(keyHash, valueHash), keyHash, valueHash, valueHeight: this.version };
  }
}
