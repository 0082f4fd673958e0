/**
 * The current state tree (docs/encoding.md, section 9) with a bounded part of it in memory: what
 * the offline verifier rebuilds from the write sets when the whole tree would not fit (a ledger
 * of a million events holds some three million live keys). The same update as every other tree
 * (update.ts), so the same roots and proofs byte for byte; only where the nodes live differs:
 *
 * - the upper levels (depth below `memoryDepth`: at most 1 + 16 + 256 + 4,096 nodes for depth 4),
 *   which nearly every block rewrites, stay in memory for good;
 * - nodes below them that recent blocks wrote or deleted wait in memory (`pending`) until the
 *   caller moves them to its lower store in one batch (`takePending`); until that batch is
 *   written, they are read from `flushing`;
 * - every other node is read from the lower store (the verifier's: a scratch LevelDB).
 *
 * Only the current version is kept: a node is found by its position alone, and a stale one is
 * deleted (or overwritten by the node rebuilt in its place), as in memory-tree.ts.
 */
import { assert } from '../assert.js';
import { toHex } from '../encoding/hex.js';
import type { StateWrite } from '../model/state.js';
import { EMPTY_CHILD, positionKey, type Child, type InternalNode, type NodePosition, type StateTreeNodes } from './nodes.js';
import { proofOfKey, type StateTreeProof } from './proof.js';
import { prepareWrites, updateStateTree } from './update.js';

/** Where nodes below the upper levels are kept between batches: reads are synchronous, as the update's are. */
export interface LowerNodes {
  /** The node stored at the position key (positionKey), or undefined. */
  get(key: string): InternalNode | undefined;
}

/** The changes to move to the lower store in one batch: a node to put, or null to delete. */
export type PendingNodes = Map<string, InternalNode | null>;

export class LayeredStateTree implements StateTreeNodes {
  private readonly upper = new Map<string, InternalNode>();
  private pending: PendingNodes = new Map();
  private flushing: PendingNodes | undefined;
  private rootChild: Child = EMPTY_CHILD;
  private version = -1;

  constructor(
    private readonly lower: LowerNodes,
    /** Nodes at depths below this stay in memory; 0 keeps none there. */
    private readonly memoryDepth: number,
  ) {
    assert(Number.isInteger(memoryDepth) && memoryDepth >= 0 && memoryDepth <= 5, `a layered state tree keeps depths below ${memoryDepth} in memory`);
  }

  node(position: NodePosition): InternalNode | undefined {
    const key = positionKey(position);
    if (position.depth < this.memoryDepth) return this.upper.get(key);
    const waiting = this.pending.get(key) ?? this.flushing?.get(key);
    // null: deleted by a block whose batch is not written yet.
    if (waiting !== undefined) return waiting ?? undefined;
    return this.lower.get(key);
  }

  get root(): string {
    return toHex(this.rootChild.hash);
  }

  /** Applies one height's write set (genesis first) and returns the new root. `valueTexts`: as prepareWrites takes them. */
  apply(writes: readonly StateWrite[], valueTexts?: readonly string[]): string {
    this.version++;
    const update = updateStateTree(this, this.rootChild, this.version, prepareWrites(writes, valueTexts));
    // Stale first: a node rebuilt in place has the same position as the one it replaces.
    for (const stale of update.changes.stale) {
      const key = positionKey(stale.position);
      if (stale.position.depth < this.memoryDepth) this.upper.delete(key);
      else this.pending.set(key, null);
    }
    for (const created of update.changes.created) {
      const key = positionKey(created.position);
      if (created.position.depth < this.memoryDepth) this.upper.set(key, created.node);
      else this.pending.set(key, created.node);
    }
    this.rootChild = update.root;
    return this.root;
  }

  /** Changes waiting for the lower store. */
  get pendingSize(): number {
    return this.pending.size;
  }

  /**
   * The waiting changes, for the caller to write to the lower store in one batch; they are still
   * read from memory until `flushed` says the batch is written. One batch at a time.
   */
  takePending(): PendingNodes {
    assert(this.flushing === undefined, 'a state tree batch was taken before the last one was written');
    this.flushing = this.pending;
    this.pending = new Map();
    return this.flushing;
  }

  /** The batch `takePending` gave is in the lower store. */
  flushed(): void {
    assert(this.flushing !== undefined, 'a state tree batch was reported written that was never taken');
    this.flushing = undefined;
  }

  /** The proof of `key` against the current root (its value is the caller's to give). */
  prove(key: string): StateTreeProof {
    return proofOfKey(this, this.rootChild, key);
  }
}
