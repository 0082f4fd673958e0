/**
 * The background scrub's walk (issue 13, "Damage is found and named"): old blocks are read by
 * nobody for months, so damage to them would stay hidden until a peer or an auditor asks. The
 * scrub re-verifies the stored chain one height at a time, 1 to the head and then from 1 again,
 * with the checks the store runs on its tail when it opens (BlockStore.checkStoredHeight). This
 * is the walk only; the pace, at most `scrubBlocksPerSecond` and at most `scrubBusyPercentMax` of
 * the time, is kept by the node's scheduler (node/store-scrubber.ts), which waits between heights
 * so that no step stalls the process.
 */
import type { StoreDamage } from './checked-reads.js';

/** What the scrub walks: the committed head and one height's checks. */
export interface ScrubTarget {
  headHeight(): number;
  checkHeight(height: number): Promise<StoreDamage | undefined>;
}

/** Blocks the scrub re-verifies per second unless configured otherwise; 0 turns it off. */
export const DEFAULT_SCRUB_BLOCKS_PER_SECOND = 20;
/** The most a validator may be configured to scrub per second: each block costs its certificate's signatures. */
export const SCRUB_BLOCKS_PER_SECOND_MAX = 1000;
/**
 * The share of wall time, percent, the scrub may spend checking unless configured otherwise:
 * after a height that took d ms it waits at least d × (100 − p) / p ms. A height's cost grows with
 * its block (its transactions' hashes, its state tree rows), so a block rate alone let a busy
 * chain's scrub take an eighth of a validator's CPU (docs/performance.md, "Levers").
 */
export const DEFAULT_SCRUB_BUSY_PERCENT_MAX = 1;
/** The bounds of `store.scrubBusyPercentMax`. */
export const SCRUB_BUSY_PERCENT_MIN = 0.1;
export const SCRUB_BUSY_PERCENT_MAX = 100;

export type ScrubStep =
  /** Nothing committed yet. */
  | { kind: 'idle' }
  | { kind: 'checked'; height: number; passCompleted: boolean }
  | { kind: 'damaged'; height: number; damage: StoreDamage; passCompleted: boolean };

export class StoreScrub {
  private nextHeight = 1;
  private completedPasses = 0;

  constructor(private readonly target: ScrubTarget) {}

  /** Full passes over 1..head completed so far. */
  get passes(): number {
    return this.completedPasses;
  }

  /** Re-verifies the next height; after the head, the walk starts again from 1. */
  async step(): Promise<ScrubStep> {
    const head = this.target.headHeight();
    if (head < 1) return { kind: 'idle' };
    // The head never moves down while the store is open, but a new walk begins at 1 after it.
    if (this.nextHeight > head) this.nextHeight = 1;
    const height = this.nextHeight;
    const damage = await this.target.checkHeight(height);
    const passCompleted = height >= head;
    this.nextHeight = height + 1;
    if (passCompleted) this.completedPasses += 1;
    return damage === undefined ? { kind: 'checked', height, passCompleted } : { kind: 'damaged', height, damage, passCompleted };
  }
}
