/**
 * The FSMA 204 sortable spreadsheet (21 CFR part 1 subpart S: the key data elements of the
 * shipping and receiving critical tracking events, sections 1.1340 and 1.1345) built from EPCIS
 * 2.0 shipping and receiving events: traceability lot code, its source, quantity and unit of
 * measure, product description, ship-from and ship-to locations, dates, and the reference
 * document type and number (bizTransactionList). One row per lot or item per event.
 *
 * CSV per RFC 4180: CRLF line ends, fields quoted when they hold a quote, comma, CR or LF or
 * leading or trailing spaces, quotes doubled. Text that a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR) is prefixed with an apostrophe (OWASP, CSV injection): the
 * ledger holds participants' free text and the file is meant to be opened by a regulator.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { normalizeVocabulary } from '../../ledger/store/event-index.js';
import { gtinOf } from '../../ledger/store/identifiers.js';
import { normalizeVocabularyValue, timestampMilliseconds } from '../../contracts/epcis/index.js';
import { locationOf, member, partyList, partyOf, text } from './event-fields.js';

export const FSMA204_COLUMNS = [
  'Critical Tracking Event',
  'Traceability Lot Code',
  'Traceability Lot Code Source',
  'Product Description',
  'Quantity',
  'Unit of Measure',
  'Ship-From Location',
  'Ship-To Location',
  'Ship Date',
  'Receive Date',
  'Event Time (UTC)',
  'Reference Document Type',
  'Reference Document Number',
  'Event ID',
  'Transaction ID',
] as const;

export type Fsma204Row = Record<(typeof FSMA204_COLUMNS)[number], string | number>;

export interface ShippingEventInput {
  event: JsonValue;
  eventId: string;
  txId: string;
  /** The first signer of the recording transaction: the shipper of a shipment, the receiver of a receipt. */
  recordedBy: string | undefined;
  /** Only rows for these subjects, when given (an export for one lot). */
  subjects?: ReadonlySet<string>;
  /** How a participant id is shown: its name with the id. */
  describeParty: (id: string) => string;
  /** The party that commissioned a lot or item: the traceability lot code source. */
  sourceOf: (id: string) => string | undefined;
  /** The product's description from its maker's master data, if it gave one. */
  productOf: (id: string) => string | undefined;
}

/** The critical tracking event an EPCIS event records, if it is a shipment or a receipt. */
export function criticalTrackingEvent(event: JsonValue): 'Shipping' | 'Receiving' | undefined {
  const bizStep = text(event, 'bizStep');
  if (bizStep === undefined) return undefined;
  const word = normalizeVocabulary('bizStep', bizStep);
  return word === 'shipping' ? 'Shipping' : word === 'receiving' ? 'Receiving' : undefined;
}

/** The maker's description; else the GTIN, which names the product; else the identifier itself. */
function productDescription(identifier: string, fromMasterData: string | undefined): string {
  if (fromMasterData !== undefined) return fromMasterData;
  const gtin = gtinOf(identifier);
  return gtin === undefined ? identifier : `GTIN ${gtin}`;
}

/** Every time in one form: UTC, to the millisecond (`2026-03-01T08:00:00.000Z`), whatever precision and zone the event used. */
function utcTime(text: string): string {
  const milliseconds = timestampMilliseconds(text);
  return milliseconds === undefined ? text : new Date(milliseconds).toISOString();
}

function subjectsOf(event: JsonValue): Array<{ id: string; quantity: number; unit: string }> {
  const subjects: Array<{ id: string; quantity: number; unit: string }> = [];
  const quantities = member(event, 'quantityList');
  if (Array.isArray(quantities)) {
    for (const element of quantities) {
      const epcClass = text(element, 'epcClass');
      const quantity = member(element, 'quantity');
      // EPCIS 2.0: a quantity without uom counts instances.
      if (epcClass !== undefined) subjects.push({ id: epcClass, quantity: typeof quantity === 'number' ? quantity : 0, unit: text(element, 'uom') ?? 'EA' });
    }
  }
  const epcs = member(event, 'epcList');
  if (Array.isArray(epcs)) for (const epc of epcs) if (typeof epc === 'string') subjects.push({ id: epc, quantity: 1, unit: 'EA' });
  return subjects;
}

/** The rows of one shipping or receiving event (none for other events). */
export function fsma204Rows(input: ShippingEventInput): Fsma204Row[] {
  const kind = criticalTrackingEvent(input.event);
  if (kind === undefined) return [];
  const sources = partyList(input.event, 'sourceList');
  const destinations = partyList(input.event, 'destinationList');
  const sourceLocation = sources.find((entry) => entry.type === 'location')?.id;
  const destinationLocation = destinations.find((entry) => entry.type === 'location')?.id;
  const bizLocation = locationOf(input.event, 'bizLocation');
  const showParty = (id: string | undefined) => (id === undefined ? undefined : input.describeParty(id));
  const shipFrom = sourceLocation ?? showParty(partyOf(sources)) ?? (kind === 'Shipping' ? (bizLocation ?? showParty(input.recordedBy)) : undefined);
  const shipTo = destinationLocation ?? showParty(partyOf(destinations)) ?? (kind === 'Receiving' ? (bizLocation ?? showParty(input.recordedBy)) : undefined);
  const eventTime = text(input.event, 'eventTime') ?? '';
  // The date as the event states it, in its own time zone: what a paper record would show.
  const localDate = /^\d{4}-\d{2}-\d{2}/.exec(eventTime)?.[0] ?? '';
  const documents = member(input.event, 'bizTransactionList');
  const references = Array.isArray(documents)
    ? documents.flatMap((entry) => {
        const number = text(entry, 'bizTransaction');
        const type = text(entry, 'type');
        return number === undefined ? [] : [{ type: type === undefined ? '' : normalizeVocabularyValue('bizTransactionType', type), number }];
      })
    : [];
  return subjectsOf(input.event)
    .filter((subject) => input.subjects === undefined || input.subjects.has(subject.id))
    .map((subject) => {
      const source = input.sourceOf(subject.id);
      return {
        'Critical Tracking Event': kind,
        'Traceability Lot Code': subject.id,
        'Traceability Lot Code Source': source === undefined ? '' : input.describeParty(source),
        'Product Description': productDescription(subject.id, input.productOf(subject.id)),
        Quantity: subject.quantity,
        'Unit of Measure': subject.unit,
        'Ship-From Location': shipFrom ?? '',
        'Ship-To Location': shipTo ?? '',
        'Ship Date': kind === 'Shipping' ? localDate : '',
        'Receive Date': kind === 'Receiving' ? localDate : '',
        'Event Time (UTC)': utcTime(eventTime),
        'Reference Document Type': references.map((reference) => reference.type).join('; '),
        'Reference Document Number': references.map((reference) => reference.number).join('; '),
        'Event ID': input.eventId,
        'Transaction ID': input.txId,
      };
    });
}

/** Sorted by time, then lot code, then event: the order an investigator reads in. */
export function sortRows(rows: Fsma204Row[]): Fsma204Row[] {
  const key = (row: Fsma204Row) => [String(row['Event Time (UTC)']), String(row['Traceability Lot Code']), String(row['Event ID'])];
  return [...rows].sort((left, right) => {
    const [a, b] = [key(left), key(right)];
    for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return a[index]! < b[index]! ? -1 : 1;
    return 0;
  });
}

export function csvField(value: string | number): string {
  let field = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(field)) field = `'${field}`;
  return /[",\r\n]/.test(field) || field !== field.trim() ? `"${field.replace(/"/g, '""')}"` : field;
}

export function toCsv(rows: readonly Fsma204Row[]): string {
  return csvTable(FSMA204_COLUMNS, rows);
}

/** An RFC 4180 table: a header row of the columns, then each row's fields in column order. */
export function csvTable<Column extends string>(columns: readonly Column[], rows: ReadonlyArray<Record<Column, string | number>>): string {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => columns.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
