/**
 * Committed blocks a validator's ledger lost while it was down (issue 13): LevelDB keeps its
 * latest writes in a write-ahead log until they are compacted into tables, and a log damaged by
 * a crash or a disk is recovered only up to the damage, silently dropping the blocks after it.
 * The consensus store's mark of the height last executed (node/consensus-store.ts) says how far
 * the ledger had been; a ledger below it names what recovery dropped. The validator goes on:
 * consensus fetches the dropped blocks from its peers and verifies them as any others.
 */

export type DroppedBlocks =
  /** The ledger holds what was executed (or no mark was recorded). */
  | { kind: 'none' }
  /** The ledger store was created empty on this start (moved aside or removed): the whole chain is fetched again. */
  | { kind: 'ledger-new'; markHeight: number }
  /** LevelDB recovery dropped committed blocks fromHeight..toHeight. */
  | { kind: 'dropped'; fromHeight: number; toHeight: number; count: number };

export function droppedBlocks(ledgerHeight: number, markHeight: number, ledgerCreatedOnOpen: boolean): DroppedBlocks {
  if (markHeight <= ledgerHeight) return { kind: 'none' };
  if (ledgerCreatedOnOpen) return { kind: 'ledger-new', markHeight };
  return { kind: 'dropped', fromHeight: ledgerHeight + 1, toHeight: markHeight, count: markHeight - ledgerHeight };
}
