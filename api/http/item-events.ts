/**
 * The events that make up one item's or lot's history, from the store's auditor indices: every
 * event naming it (an EPC through the anyEPC index, an EPC class through the epcClass index) and,
 * while it was packed in a container (AggregationEvent ADD until the matching DELETE), the events
 * of that container, since a container moves with everything in it (docs/contracts.md, "Events").
 * Only the immediate container is followed. Both walks are bounded.
 */
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { isClassIdentifier } from '../../contracts/rules/inventory.js';
import { classList, member, strings } from './event-fields.js';
import { canReadEvent, forbidden, type Reader } from './access.js';

/** Events naming one identifier that one history reads; beyond it the history says truncated. */
export const ITEM_EVENTS_MAX = 2000;
/** Containers one history follows. */
const CONTAINERS_MAX = 16;
const STORE_PAGE_EVENTS = 500;

export interface ItemEvent {
  stored: StoredEvent;
  /** The container whose event this is, when the item moved inside it. */
  via?: string;
}

export interface ItemEvents {
  events: ItemEvent[];
  truncated: boolean;
}

/** Children an AggregationEvent names: EPCs and classes. */
function childrenOf(event: JsonValue): string[] {
  return [...strings(member(event, 'childEPCs')), ...classList(member(event, 'childQuantityList'))];
}

async function eventsNaming(store: BlockStore, id: string, limit: number): Promise<{ events: StoredEvent[]; truncated: boolean }> {
  const index = isClassIdentifier(id) ? ('epcClass' as const) : ('anyEpc' as const);
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.queryEvents({ index, value: id, pageSize: STORE_PAGE_EVENTS, ...(cursor === undefined ? {} : { cursor }) });
    if (!page.ok) throw new Error(`event index scan failed: ${page.message}`);
    for (const event of page.events) {
      if (events.length >= limit) return { events, truncated: true };
      events.push(event);
    }
    if (page.nextCursor === undefined) return { events, truncated: false };
    cursor = page.nextCursor;
  }
}

export async function collectItemEvents(store: BlockStore, id: string): Promise<ItemEvents> {
  const direct = await eventsNaming(store, id, ITEM_EVENTS_MAX);
  let truncated = direct.truncated;
  const byReference = new Map<string, ItemEvent>(direct.events.map((stored) => [stored.reference, { stored }]));

  // Where the item was packed: each container with the references at which packing started.
  const packings = new Map<string, string[]>();
  for (const stored of direct.events) {
    if (member(stored.event, 'type') !== 'AggregationEvent' || member(stored.event, 'action') !== 'ADD') continue;
    const parent = member(stored.event, 'parentID');
    if (typeof parent !== 'string' || parent === id || !childrenOf(stored.event).includes(id)) continue;
    packings.set(parent, [...(packings.get(parent) ?? []), stored.reference]);
  }
  for (const [container, starts] of [...packings].slice(0, CONTAINERS_MAX)) {
    const containerEvents = await eventsNaming(store, container, ITEM_EVENTS_MAX);
    truncated ||= containerEvents.truncated;
    for (const start of starts) {
      for (const stored of containerEvents.events) {
        if (stored.reference <= start) continue;
        if (!byReference.has(stored.reference)) byReference.set(stored.reference, { stored, via: container });
        const unpacks =
          member(stored.event, 'type') === 'AggregationEvent' &&
          member(stored.event, 'action') === 'DELETE' &&
          member(stored.event, 'parentID') === container &&
          (childrenOf(stored.event).length === 0 || childrenOf(stored.event).includes(id));
        if (unpacks) break;
      }
    }
  }
  if (packings.size > CONTAINERS_MAX) truncated = true;
  const events = [...byReference.values()].sort((left, right) => (left.stored.reference < right.stored.reference ? -1 : 1));
  return { events, truncated };
}

/**
 * The events of an item this reader may see. Someone who sees everything sees all; anyone else
 * must be a party to at least one of its events, or is refused (whether or not the item exists,
 * so that the refusal says nothing about other parties' goods).
 */
export function visibleItemEvents(reader: Reader, id: string, collected: ItemEvents): ItemEvent[] {
  if (reader.readsEverything) return collected.events;
  const visible = collected.events.filter((entry) => canReadEvent(reader, entry.stored));
  if (visible.length === 0) throw forbidden(`${reader.participant} is not a party to any event of ${id}`, 'epc');
  return visible;
}
