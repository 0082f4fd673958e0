/**
 * A cache of what the ledger application derived from recent blocks' payloads (their decoded
 * transactions, their references), by block hash, oldest dropped first. Bounded twice: by blocks,
 * and by the transactions the entries hold together. A bound in blocks alone held up to 1,024
 * blocks of up to 2,000 transactions each: under overload, when blocks are few and large, a
 * validator's memory grew by about 1.5 MB a second for ten minutes (docs/performance.md,
 * "Overload"). An entry dropped early costs a decode again, never a wrong answer.
 */
import { assert } from '../ledger/assert.js';

export interface BlockPayloadCacheLimits {
  blocksMax: number;
  transactionsMax: number;
}

export class BlockPayloadCache<Entry> {
  private readonly entries = new Map<string, { entry: Entry; transactions: number }>();
  private transactionsHeld = 0;

  constructor(
    private readonly limits: BlockPayloadCacheLimits,
    private readonly transactionsOf: (entry: Entry) => number,
  ) {
    assert(Number.isSafeInteger(limits.blocksMax) && limits.blocksMax >= 1 && Number.isSafeInteger(limits.transactionsMax) && limits.transactionsMax >= 1, 'block payload cache limits');
  }

  get(blockHash: string): Entry | undefined {
    return this.entries.get(blockHash)?.entry;
  }

  set(blockHash: string, entry: Entry): void {
    this.delete(blockHash);
    const transactions = this.transactionsOf(entry);
    this.entries.set(blockHash, { entry, transactions });
    this.transactionsHeld += transactions;
    // The newest entry stays even alone above the transaction bound: the block being checked needs it.
    while (this.entries.size > 1 && (this.entries.size > this.limits.blocksMax || this.transactionsHeld > this.limits.transactionsMax)) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  /** Blocks and transactions held (for tests and metrics). */
  get size(): { blocks: number; transactions: number } {
    return { blocks: this.entries.size, transactions: this.transactionsHeld };
  }

  private delete(blockHash: string): void {
    const held = this.entries.get(blockHash);
    if (held === undefined) return;
    this.entries.delete(blockHash);
    this.transactionsHeld -= held.transactions;
  }
}
