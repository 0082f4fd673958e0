/**
 * The compact append state of an RFC 9162 log (section 2.1.1 tree hashing): the hashes of
 * the complete subtrees that tile the leaves so far, one per set bit of the size, largest
 * (leftmost) first. That is all appending needs, so a node restarts from O(log n) stored
 * nodes instead of reading the whole tree.
 */
import { assert } from '../assert.js';
import { type Hash, EMPTY_ROOT, isHash, nodeHash } from './hashing.js';
import { type NodeLookup, type NodeWrite, MERKLE_SIZE_MAX, assertSize, nodeKey } from './nodes.js';
import { nodesForRoot } from './planning.js';

export class MerkleFrontier {
  #size: number;
  readonly #nodes: NodeWrite[];
  #cachedRoot: Hash | undefined;

  private constructor(size: number, nodes: NodeWrite[]) {
    this.#size = size;
    this.#nodes = nodes;
  }

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /** Rebuilds the frontier of the first `size` leaves from the store, e.g. after a restart. */
  static fromNodes(size: number, lookup: NodeLookup): MerkleFrontier {
    assertSize(size, 'tree size');
    const nodes = nodesForRoot(size).map((id) => {
      const hash = lookup(id);
      assert(isHash(hash), `stored merkle node ${nodeKey(id)} is not a 32-byte hash`);
      return { id, hash };
    });
    return new MerkleFrontier(size, nodes);
  }

  get size(): number {
    return this.#size;
  }

  /** The frontier's nodes, largest subtree first: exactly the ones `fromNodes` reads back. */
  get nodes(): NodeWrite[] {
    return this.#nodes.map(({ id, hash }) => ({ id: { ...id }, hash }));
  }

  root(): Hash {
    this.#cachedRoot ??= this.#computeRoot();
    return this.#cachedRoot;
  }

  #computeRoot(): Hash {
    const last = this.#nodes.at(-1);
    if (last === undefined) return EMPTY_ROOT;
    let hash = last.hash;
    for (let position = this.#nodes.length - 2; position >= 0; position--) {
      hash = nodeHash(this.#nodes[position]!.hash, hash);
    }
    return hash;
  }

  /**
   * Appends one leaf hash and returns every node it completes, the leaf itself first and the
   * highest last, so the caller can persist them in the same batch as the leaf's data.
   */
  append(leaf: Hash): NodeWrite[] {
    assert(isHash(leaf), 'a merkle leaf must be a 32-byte hash');
    assert(this.#size < MERKLE_SIZE_MAX, 'merkle log is full (2^48 leaves)');
    // Copied so that a caller reusing its buffer cannot change the tree after the fact.
    let level = 0;
    let index = this.#size;
    let hash: Hash = leaf.slice();
    // The caller gets its own NodeId objects: what it does with them never reaches the frontier.
    const writes: NodeWrite[] = [{ id: { level, index }, hash }];
    let left = this.#nodes.at(-1);
    while (left !== undefined && left.id.level === level) {
      this.#nodes.pop();
      level += 1;
      index = left.id.index / 2;
      hash = nodeHash(left.hash, hash);
      writes.push({ id: { level, index }, hash });
      left = this.#nodes.at(-1);
    }
    this.#nodes.push({ id: { level, index }, hash });
    this.#size += 1;
    this.#cachedRoot = undefined;
    return writes;
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.#size, this.nodes);
  }
}
