/**
 * Per-request readers of committed blocks: each block, or each transaction's facts, is read at
 * most once per request, since several events or notes of one answer often share them.
 */
import type { Block } from '../../ledger/model/block.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { CommittedFactsFields } from '../../ledger/store/records.js';

export function blockCache(store: BlockStore): (height: number) => Promise<Block> {
  const blocks = new Map<number, Promise<Block | undefined>>();
  return async (height) => {
    let block = blocks.get(height);
    if (block === undefined) blocks.set(height, (block = store.getBlock(height)));
    const found = await block;
    if (found === undefined) throw new Error(`an indexed event points at missing block ${height}`);
    return found;
  };
}

/** What an answer says of the transaction an event or a note came from. */
export interface CommittedFacts {
  /** The timestamp of its block's header, ms since the epoch. */
  recordedAt: number;
  signers: readonly string[];
}

/**
 * The facts of the transaction an indexed event or note came from: those its row records (every
 * row the store writes now records them), else read with its block's header but without the
 * block's other transactions (BlockStore.getTransactionInBlock). A lot's events lie in as many
 * blocks, and reading each block record (some 200 KB on a busy ledger) cost a history answer most
 * of its time on a large ledger (docs/performance.md, "Lot history").
 */
export function committedFactsCache(store: BlockStore): (entry: { txId: string; height: number; position: number } & CommittedFactsFields) => Promise<CommittedFacts> {
  const facts = new Map<string, Promise<CommittedFacts>>();
  const read = async ({ txId, height, position }: { txId: string; height: number; position: number }): Promise<CommittedFacts> => {
    const found = await store.getTransactionInBlock(txId);
    if (found !== undefined && found.location.height === height && found.location.position === position) {
      return { recordedAt: found.header.timestamp, signers: found.transaction.body.signers };
    }
    // An id's recorded place is its first commitment; an entry elsewhere is read from its own block.
    const block = await store.getBlock(height);
    const transaction = block?.transactions[position];
    if (block === undefined || transaction === undefined) throw new Error(`an indexed entry points at missing transaction ${height}:${position}`);
    return { recordedAt: block.header.timestamp, signers: transaction.body.signers };
  };
  return (entry) => {
    if (entry.recordedAt !== undefined && entry.signers !== undefined) return Promise.resolve({ recordedAt: entry.recordedAt, signers: entry.signers });
    let known = facts.get(entry.txId);
    if (known === undefined) facts.set(entry.txId, (known = read(entry)));
    return known;
  };
}
