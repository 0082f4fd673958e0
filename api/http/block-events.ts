/**
 * The EPCIS events one executed block recorded, in block order (docs/encoding.md, "Store
 * layout": event references are height:position:index). Refused transactions record none. Shared
 * by the commit stream and the EPCIS binding's subscriptions, which both follow blocks as they
 * execute.
 */
import type { Block } from '../../ledger/model/block.js';
import type { TransactionResult } from '../../ledger/model/result.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { eventReference } from '../../ledger/store/keys.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { EPCIS_LIMITS } from '../../contracts/epcis/index.js';

export async function eventsOfBlock(store: BlockStore, height: number, block: Pick<Block, 'transactions'>, results: readonly TransactionResult[]): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let position = 0; position < block.transactions.length; position++) {
    if (results[position]?.status !== 'accepted') continue;
    for (let index = 0; index < EPCIS_LIMITS.eventsPerDocumentMax; index++) {
      const stored = await store.getEvent(eventReference(height, position, index));
      if (stored === undefined) break;
      events.push(stored);
    }
  }
  return events;
}

/** The events block `height` recorded, or undefined when the store has no such block (yet). */
export async function eventsAtHeight(store: BlockStore, height: number): Promise<StoredEvent[] | undefined> {
  const [block, results] = await Promise.all([store.getBlock(height), store.getResults(height)]);
  if (block === undefined || results === undefined) return undefined;
  return eventsOfBlock(store, height, block, results);
}
