/** Reads each committed block at most once per request: several events usually share one block. */
import type { Block } from '../../ledger/model/block.js';
import type { BlockStore } from '../../ledger/store/block-store.js';

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

