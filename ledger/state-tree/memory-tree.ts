/**
 * The state tree held in memory, without history: what tests, the contracts' harness and the test
 * chains use (the offline verifier, whose tree may not fit in memory, uses layered-tree.ts). Only
 * the current version's nodes are kept (stale ones are dropped at once), so its memory is a bounded
 * multiple of the live keys: about one node of sixteen children per three keys, some 450 bytes a
 * key in all.
 */
import { toHex } from '../encoding/hex.js';
import type { StateWrite } from '../model/state.js';
import { EMPTY_CHILD, positionKey, type Child, type InternalNode, type NodePosition, type StateTreeNodes } from './nodes.js';
import { proofOfKey, type StateTreeProof } from './proof.js';
import { prepareWrites, updateStateTree } from './update.js';

export class MemoryStateTree implements StateTreeNodes {
  private readonly nodes = new Map<string, InternalNode>();
  private rootChild: Child = EMPTY_CHILD;
  /** The version the last writes were applied under; the genesis state is version 0. */
  private version = -1;

  node(position: NodePosition): InternalNode | undefined {
    return this.nodes.get(positionKey(position));
  }

  /** The root as the block header writes it. */
  get root(): string {
    return toHex(this.rootChild.hash);
  }

  get rootNode(): Child {
    return this.rootChild;
  }

  /** Applies one height's write set (genesis first) and returns the new root. `valueTexts`: as prepareWrites takes them. */
  apply(writes: readonly StateWrite[], valueTexts?: readonly string[]): string {
    this.version++;
    const update = updateStateTree(this, this.rootChild, this.version, prepareWrites(writes, valueTexts));
    // Stale first: a node rebuilt in place has the same position as the one it replaces.
    for (const stale of update.changes.stale) this.nodes.delete(positionKey(stale.position));
    for (const created of update.changes.created) this.nodes.set(positionKey(created.position), created.node);
    this.rootChild = update.root;
    return this.root;
  }

  /** Internal nodes held: for the verifier's memory bound and for tests. */
  get size(): number {
    return this.nodes.size;
  }

  /** The position keys (positionKey) of the nodes held: for tests. */
  positionKeys(): IterableIterator<string> {
    return this.nodes.keys();
  }

  /** The proof of `key` against the current root (its value is the caller's to give). */
  prove(key: string): StateTreeProof {
    return proofOfKey(this, this.rootChild, key);
  }
}

