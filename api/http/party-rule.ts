/**
 * The party rule beyond one item (docs/security.md, "Read access"): in a trace graph or a
 * recall's scope, a reader who does not read everything sees the custody record only of things
 * whose history it could read (it is a party to one of their events, item-events.ts); of the
 * others it sees that they are there, of which kind, and, since a recall is a public safety
 * notice, which recalls reach them. So a trace never shows what the item's history refuses.
 */
import { z } from 'zod';
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { TracedRecord } from '../../contracts/rules/inventory.js';
import { canReadEvent, type Reader } from './access.js';
import { collectItemEvents } from './item-events.js';

/** Items one request checks the reader's part in; the rest are shown redacted. */
export const PARTY_CHECKS_PER_REQUEST_MAX = 256;

export const redactedRecordSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['instance', 'class']),
    redacted: z.literal(true).describe('the reader is not a party to this item: its custody is not shown'),
    recalls: z.array(z.string()),
  })
  .describe('an item the reader is not a party to');
export type RedactedRecord = z.infer<typeof redactedRecordSchema>;

export function redacted(record: Pick<TracedRecord, 'id' | 'kind' | 'recalls'>): RedactedRecord {
  return { id: record.id, kind: record.kind, redacted: true, recalls: record.recalls };
}

/** The ids among `ids` whose history this reader may read; `known` are already known to be readable. */
export async function readableItems(store: BlockStore, reader: Reader, ids: readonly string[], known: readonly string[] = []): Promise<Set<string>> {
  if (reader.readsEverything) return new Set(ids);
  const readable = new Set(known);
  let checks = 0;
  for (const id of ids) {
    if (readable.has(id)) continue;
    if (checks++ >= PARTY_CHECKS_PER_REQUEST_MAX) break;
    const { events } = await collectItemEvents(store, id);
    if (events.some((entry) => canReadEvent(reader, entry.stored))) readable.add(id);
  }
  return readable;
}
