/**
 * The ledger entries (docs/encoding.md section 5) of a range of leaf indices, read back from the
 * committed blocks and their results: what a C2SP entry bundle serves (ledger/tlog/tiles.ts).
 * The store keeps no row per leaf, so the block holding a leaf is found by a binary search over
 * the recorded log size after each height (O(log height) reads per block with transactions),
 * which skips the empty blocks an idle chain writes.
 */
import { assert } from '../assert.js';
import type { Block } from '../model/block.js';
import type { LedgerEntry } from '../model/ledger-entry.js';
import type { TransactionResult } from '../model/result.js';
import { transactionId } from '../model/transaction.js';
import type { LedgerState } from '../verify/block-checks.js';

export interface LogEntryReader {
  head(): LedgerState;
  ledgerState(height: number): Promise<LedgerState | undefined>;
  getBlock(height: number): Promise<Block | undefined>;
  getResults(height: number): Promise<TransactionResult[] | undefined>;
}

/** Leaves read at once: one full entry bundle. */
export const LOG_ENTRIES_PER_READ_MAX = 256;

/** The lowest height in [low, high] whose log size exceeds `leafIndex`: the block holding that leaf. */
async function heightHoldingLeaf(reader: LogEntryReader, leafIndex: number, low: number, high: number): Promise<number> {
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const state = await reader.ledgerState(middle);
    assert(state !== undefined, `no ledger state at committed height ${middle}`);
    if (state.logSize > leafIndex) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The entries of leaves [start, end), which must lie within the log, at most LOG_ENTRIES_PER_READ_MAX of them. */
export async function ledgerEntriesInRange(reader: LogEntryReader, start: number, end: number): Promise<LedgerEntry[]> {
  const head = reader.head();
  assert(Number.isSafeInteger(start) && start >= 0 && start <= end && end <= head.logSize, `leaves [${start}, ${end}) are not within the log of ${head.logSize}`);
  assert(end - start <= LOG_ENTRIES_PER_READ_MAX, `at most ${LOG_ENTRIES_PER_READ_MAX} entries at once`);
  const entries: LedgerEntry[] = [];
  let height = 1;
  while (start + entries.length < end) {
    const leaf = start + entries.length;
    height = await heightHoldingLeaf(reader, leaf, height, head.height);
    const [block, results, before] = await Promise.all([reader.getBlock(height), reader.getResults(height), reader.ledgerState(height - 1)]);
    assert(block !== undefined && results !== undefined && before !== undefined, `block ${height}, its results or the ledger before it is missing`);
    assert(results.length === block.transactions.length, `block ${height} has ${block.transactions.length} transactions and ${results.length} results`);
    for (let position = leaf - before.logSize; position < block.transactions.length && start + entries.length < end; position++) {
      entries.push({ height, position, txId: transactionId(block.transactions[position]!.body), result: results[position]! });
    }
    height += 1;
  }
  return entries;
}
