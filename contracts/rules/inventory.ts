/**
 * What the consortium knows about each traced thing: an EPC instance (an SGTIN, an SSCC pallet,
 * ...) or an EPC class with quantities (an LGTIN lot). One record per identifier holds custody
 * (who possesses it, or which quantities each party holds), shipments in transit, aggregation and
 * transformation links, quarantine and recall status, and a declared temperature range.
 *
 * Custody follows the rule of docs/contracts.md: possession changes only through a handover
 * both sides signed; a shipment marks things in transit to the receiver, and the receiver's
 * receiving event completes it.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { refuse, type Refusal } from '../reasons.js';
import { stateKeys, type StateOverlay } from '../state.js';

export interface TemperatureRange {
  minimum: number;
  maximum: number;
}

export interface Shipment {
  from: string;
  to: string;
  /** For classes; instances move whole. */
  quantity?: number;
  eventId: string;
}

export interface TracedRecord {
  id: string;
  kind: 'instance' | 'class';
  commissionedBy: string;
  commissionedIn: string;
  /** Instances: the party in possession. */
  possessor?: string;
  /** Classes: quantity held per party. */
  holdings?: Record<string, number>;
  /** Classes: the unit its quantities are counted in, as commissioned (absent: each, or not given). */
  unit?: string;
  status: 'active' | 'consumed' | 'destroyed';
  inTransit: Shipment[];
  /** The container this instance is packed in (AggregationEvent ADD). */
  parent?: string;
  /**
   * Classes: the containers holding some of the lot (AggregationEvent ADD with childQuantityList),
   * for recalls and traces; a lot can be spread over many. Absent on records written before it
   * was kept, which read as none.
   */
  containers?: string[];
  children: string[];
  /** Inputs it was made from, and outputs made from it (TransformationEvent). */
  derivedFrom: string[];
  derivedInto: string[];
  temperatureRange?: TemperatureRange;
  quarantine?: { eventId: string; reason: string };
  excursions: number;
  recalls: string[];
}

/**
 * Each record's lists are bounded so that no identifier's state grows without limit, and every
 * quantity is bounded so that no sum, difference or product of quantities can leave the doubles
 * that hold them exactly enough, let alone overflow to Infinity (which no state root can encode).
 * Every validator applies the same numbers: changing one is a protocol change.
 */
export const INVENTORY_LIMITS = {
  linksPerRecordMax: 10_000,
  shipmentsInTransitMax: 1000,
  /**
   * The largest quantity an event may name, and the most of one lot any party may hold: 10^12 of
   * the lot's unit (a million tonnes in grams). Quantities are non-negative finite numbers.
   */
  quantityMax: 1e12,
  /**
   * UTF-16 code units of an identifier the rules keep a record of (an EPC, a class, a container):
   * a state key holds it (ledger/model/state.ts STATE_KEY_LENGTH_MAX). GS1 keys are far shorter.
   */
  identifierLengthMax: 448,
} as const;

export async function readRecord(state: StateOverlay, id: string): Promise<TracedRecord | undefined> {
  return state.getTyped<TracedRecord>(recordKey(id));
}

export function writeRecord(state: StateOverlay, record: TracedRecord): void {
  state.set(recordKey(record.id), record as unknown as JsonValue);
}

export function recordKey(id: string): string {
  return isClassIdentifier(id) ? stateKeys.lot(id) : stateKeys.item(id);
}

export function isClassIdentifier(id: string): boolean {
  return id.startsWith('urn:epc:class:') || id.startsWith('urn:epc:idpat:');
}

export function newRecord(id: string, party: string, eventId: string, quantity?: number, unit?: string): TracedRecord {
  const kind = isClassIdentifier(id) ? 'class' : 'instance';
  return {
    id,
    kind,
    commissionedBy: party,
    commissionedIn: eventId,
    ...(kind === 'instance' ? { possessor: party } : { holdings: { [party]: quantity ?? 0 }, containers: [], ...(unit === undefined ? {} : { unit }) }),
    status: 'active',
    inTransit: [],
    children: [],
    derivedFrom: [],
    derivedInto: [],
    excursions: 0,
    recalls: [],
  };
}

/** The containers a thing is in: an instance's parent, a class's containers. */
export function containersOf(record: TracedRecord): string[] {
  return record.kind === 'instance' ? (record.parent === undefined ? [] : [record.parent]) : (record.containers ?? []);
}

/** How much of a class a party holds (instances: 1 if it possesses it). */
export function heldBy(record: TracedRecord, party: string): number {
  if (record.kind === 'instance') return record.possessor === party && record.inTransit.length === 0 ? 1 : 0;
  return record.holdings?.[party] ?? 0;
}

/** Why a quantity named by an event is refused, or undefined when it is within bounds. */
export function quantityRefusal(id: string, quantity: number | undefined): Refusal | undefined {
  if (quantity === undefined) return undefined;
  if (!Number.isFinite(quantity) || quantity < 0 || quantity > INVENTORY_LIMITS.quantityMax) {
    return refuse('quantity-out-of-range', `quantity ${quantity} of ${id} is outside 0 to ${INVENTORY_LIMITS.quantityMax}`);
  }
  return undefined;
}

/**
 * The checks before a party may act on something it holds (ship, pack, transform, destroy):
 * it exists and is active, is neither recalled nor quarantined, and the party holds enough.
 */
export function checkUsable(record: TracedRecord | undefined, id: string, party: string, quantity: number | undefined, action: string): Refusal | undefined {
  if (record === undefined) return refuse('unknown-item', `${id} was never commissioned`);
  if (record.recalls.length > 0) return refuse('recalled', `${id} is recalled (${record.recalls.join(', ')}) and cannot be ${action}`);
  if (record.status !== 'active') return refuse('item-unavailable', `${id} is ${record.status}`);
  if (record.quarantine !== undefined) return refuse('quarantined', `${id} is quarantined (${record.quarantine.reason}) and cannot be ${action}`);
  if (record.kind === 'instance') {
    if (record.possessor !== party) return refuse('not-in-possession', `${id} is held by ${record.possessor}, not ${party}`);
    if (record.inTransit.length > 0) return refuse('not-in-possession', `${id} is in transit to ${record.inTransit[0]!.to}`);
    return undefined;
  }
  const needed = quantity ?? 0;
  const held = heldBy(record, party);
  if (held < needed || held === 0) return refuse('insufficient-quantity', `${party} holds ${held} of ${id}, needs ${needed}`);
  return undefined;
}

/** Starts a shipment: things leave the sender's hands and are in transit to the receiver. */
export function ship(record: TracedRecord, from: string, to: string, quantity: number | undefined, eventId: string): Refusal | undefined {
  if (record.inTransit.length >= INVENTORY_LIMITS.shipmentsInTransitMax) {
    return refuse('record-limit-reached', `${record.id} already has ${record.inTransit.length} shipments in transit`);
  }
  if (record.kind === 'instance') {
    record.inTransit = [...record.inTransit, { from, to, eventId }];
    return undefined;
  }
  const moved = quantity ?? record.holdings?.[from] ?? 0;
  const refused = adjustHolding(record, from, -moved);
  if (refused !== undefined) return refused;
  record.inTransit = [...record.inTransit, { from, to, quantity: moved, eventId }];
  return undefined;
}

/**
 * Completes shipments to `to`: the receiver takes possession. Returns a refusal when nothing (or
 * not enough) is in transit to it.
 */
export function receive(record: TracedRecord, id: string, to: string, quantity: number | undefined): Refusal | undefined {
  if (record.recalls.length > 0) return refuse('recalled', `${id} is recalled (${record.recalls.join(', ')}) and cannot be received`);
  const incoming = record.inTransit.filter((shipment) => shipment.to === to);
  if (incoming.length === 0) return refuse('no-matching-shipment', `no shipment of ${id} is in transit to ${to}`);
  if (record.kind === 'instance') {
    record.possessor = to;
    record.inTransit = record.inTransit.filter((shipment) => shipment.to !== to);
    return undefined;
  }
  const available = incoming.reduce((sum, shipment) => sum + (shipment.quantity ?? 0), 0);
  let wanted = quantity ?? available;
  if (wanted > available) return refuse('no-matching-shipment', `${to} receives ${wanted} of ${id} but ${available} is in transit to it`);
  const refused = adjustHolding(record, to, wanted);
  if (refused !== undefined) return refused;
  const remaining: Shipment[] = [];
  for (const shipment of record.inTransit) {
    if (shipment.to !== to || wanted === 0) {
      remaining.push(shipment);
      continue;
    }
    const taken = Math.min(wanted, shipment.quantity ?? 0);
    wanted -= taken;
    if ((shipment.quantity ?? 0) > taken) remaining.push({ ...shipment, quantity: (shipment.quantity ?? 0) - taken });
  }
  record.inTransit = remaining;
  return undefined;
}

/** Possession passes at once (a handover both parties signed in one transaction). */
export function handOver(record: TracedRecord, from: string, to: string, quantity: number | undefined): Refusal | undefined {
  if (record.kind === 'instance') {
    record.possessor = to;
    return undefined;
  }
  const moved = quantity ?? record.holdings?.[from] ?? 0;
  return adjustHolding(record, from, -moved) ?? adjustHolding(record, to, moved);
}

/** Takes a quantity out of use (consumed by a transformation or destroyed). */
export function consume(record: TracedRecord, party: string, quantity: number | undefined, status: 'consumed' | 'destroyed'): Refusal | undefined {
  if (record.kind === 'instance') {
    record.status = status;
    return undefined;
  }
  const refused = adjustHolding(record, party, -(quantity ?? record.holdings?.[party] ?? 0));
  if (refused !== undefined) return refused;
  if (Object.keys(record.holdings ?? {}).length === 0 && record.inTransit.length === 0) record.status = status;
  return undefined;
}

/**
 * Changes what a party holds of a lot. The result must stay a finite quantity in bounds: a
 * change that would leave them is refused and changes nothing, so no holding can ever reach
 * Infinity, NaN or a negative amount. Zero (either sign) removes the holding.
 */
export function adjustHolding(record: TracedRecord, party: string, delta: number): Refusal | undefined {
  const held = record.holdings?.[party] ?? 0;
  const next = held + delta;
  if (!Number.isFinite(next) || next < 0 || next > INVENTORY_LIMITS.quantityMax) {
    return refuse('quantity-out-of-range', `${party} would hold ${next} of ${record.id}, outside 0 to ${INVENTORY_LIMITS.quantityMax}`);
  }
  const holdings = { ...(record.holdings ?? {}) };
  if (next === 0) delete holdings[party];
  else holdings[party] = next;
  record.holdings = holdings;
  return undefined;
}

/** Adds a link to a record's list once; refused when the list is full, so that no link is ever silently lost to a trace or recall. */
export function addLink(record: TracedRecord, list: 'children' | 'containers' | 'derivedFrom' | 'derivedInto', id: string): Refusal | undefined {
  const links = record[list] ?? [];
  if (links.includes(id)) return undefined;
  if (links.length >= INVENTORY_LIMITS.linksPerRecordMax) return refuse('record-limit-reached', `${record.id} already has ${links.length} ${list} links`);
  record[list] = [...links, id];
  return undefined;
}
