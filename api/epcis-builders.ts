/**
 * Builders for EPCIS 2.0 documents and events, valid by construction: used by the devnet demo,
 * clients and tests. Event times come from the given clock, so each event is distinct.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';

export const STANDARD_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** The namespace of Custodia's own ilmd members (docs/contracts.md, "Temperature"). */
export const CUSTODIA_CONTEXT = { custodia: 'urn:custodia:epcis:' };

export type Subjects = { epcs?: string[]; lots?: Array<[string, number]> };
type Fields = Record<string, JsonValue>;

export function createEventBuilders(eventTime: () => string) {
  const quantityList = (lots: Array<[string, number]>) => lots.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' }));
  const subjectFields = (subjects: Subjects): Fields => ({
    ...(subjects.epcs === undefined ? {} : { epcList: subjects.epcs }),
    ...(subjects.lots === undefined ? {} : { quantityList: quantityList(subjects.lots) }),
  });
  const objectEvent = (fields: Fields): Fields => ({ type: 'ObjectEvent', eventTime: eventTime(), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields });

  return {
    document(...events: Fields[]): JsonValue {
      return { '@context': [STANDARD_CONTEXT, CUSTODIA_CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: eventTime(), epcisBody: { eventList: events } };
    },
    capture(...events: Fields[]): JsonValue {
      return { document: this.document(...events) };
    },
    objectEvent,
    commissioning(epcs: string[], extra: Fields = {}): Fields {
      return objectEvent({ action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: epcs, ...extra });
    },
    commissionLot(epcClass: string, quantity: number, range?: { minimum: number; maximum: number }, extra: Fields = {}): Fields {
      return objectEvent({
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        quantityList: quantityList([[epcClass, quantity]]),
        ...(range === undefined ? {} : { ilmd: { 'custodia:temperatureRange': range } }),
        ...extra,
      });
    },
    shipping(subjects: Subjects, to: string, extra: Fields = {}): Fields {
      return objectEvent({ bizStep: 'shipping', disposition: 'in_transit', ...subjectFields(subjects), destinationList: [{ type: 'owning_party', destination: to }], ...extra });
    },
    receiving(subjects: Subjects, from: string, extra: Fields = {}): Fields {
      return objectEvent({ bizStep: 'receiving', disposition: 'in_progress', ...subjectFields(subjects), sourceList: [{ type: 'owning_party', source: from }], ...extra });
    },
    temperatureReading(subjects: Subjects, celsius: number, extra: Fields = {}): Fields {
      return objectEvent({ bizStep: 'sensor_reporting', ...subjectFields(subjects), sensorElementList: [{ sensorReport: [{ type: 'Temperature', value: celsius, uom: 'CEL' }] }], ...extra });
    },
    aggregation(action: 'ADD' | 'DELETE', parentID: string, childEPCs: string[]): Fields {
      return { type: 'AggregationEvent', eventTime: eventTime(), eventTimeZoneOffset: '+00:00', action, bizStep: action === 'ADD' ? 'packing' : 'unpacking', parentID, childEPCs };
    },
    transformation(inputs: Array<[string, number]>, outputs: Array<[string, number]>, range?: { minimum: number; maximum: number }): Fields {
      return {
        type: 'TransformationEvent',
        eventTime: eventTime(),
        eventTimeZoneOffset: '+00:00',
        bizStep: 'commissioning',
        inputQuantityList: quantityList(inputs),
        outputQuantityList: quantityList(outputs),
        ...(range === undefined ? {} : { ilmd: { 'custodia:temperatureRange': range } }),
      };
    },
  };
}

export type EventBuilders = ReturnType<typeof createEventBuilders>;

/** Builders whose clock is the current time, one millisecond apart at least. */
export function liveEventBuilders(): EventBuilders {
  let last = 0;
  return createEventBuilders(() => {
    last = Math.max(last + 1, Date.now());
    return new Date(last).toISOString();
  });
}
