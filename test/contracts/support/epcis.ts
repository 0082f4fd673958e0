/** Builders for EPCIS 2.0 documents in contract tests: valid by construction, each event distinct. */
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';

export const STANDARD_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
let minute = 0;

/** Event times count up from one clock so that events differ; a run that must repeat exactly resets it. */
export function resetEventTimes(): void {
  minute = 0;
}

export function epcisDocument(...events: Array<Record<string, JsonValue>>): JsonValue {
  return {
    '@context': [STANDARD_CONTEXT, { custodia: 'urn:custodia:epcis:' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-03-01T08:00:00Z',
    epcisBody: { eventList: events },
  };
}

function nextEventTime(): string {
  minute += 1;
  return new Date(Date.UTC(2026, 2, 1, 8, 0, 0) + minute * 60_000).toISOString();
}

export function objectEvent(fields: Record<string, JsonValue>): Record<string, JsonValue> {
  return { type: 'ObjectEvent', eventTime: nextEventTime(), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields };
}

export function commissioning(epcs: string[], extra: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return objectEvent({ action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: epcs, ...extra });
}

export function commissionLot(epcClass: string, quantity: number, range?: { minimum: number; maximum: number }): Record<string, JsonValue> {
  return objectEvent({
    action: 'ADD',
    bizStep: 'commissioning',
    disposition: 'active',
    quantityList: [{ epcClass, quantity, uom: 'KGM' }],
    ...(range === undefined ? {} : { ilmd: { 'custodia:temperatureRange': range } }),
  });
}

export function shipping(subjects: { epcs?: string[]; lots?: Array<[string, number]> }, to: string, extra: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return objectEvent({
    bizStep: 'shipping',
    disposition: 'in_transit',
    ...(subjects.epcs === undefined ? {} : { epcList: subjects.epcs }),
    ...(subjects.lots === undefined ? {} : { quantityList: subjects.lots.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' })) }),
    destinationList: [{ type: 'owning_party', destination: to }],
    ...extra,
  });
}

export function receiving(subjects: { epcs?: string[]; lots?: Array<[string, number]> }, from: string): Record<string, JsonValue> {
  return objectEvent({
    bizStep: 'receiving',
    disposition: 'in_progress',
    ...(subjects.epcs === undefined ? {} : { epcList: subjects.epcs }),
    ...(subjects.lots === undefined ? {} : { quantityList: subjects.lots.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' })) }),
    sourceList: [{ type: 'owning_party', source: from }],
  });
}

export function temperatureReading(subjects: { epcs?: string[]; lots?: Array<[string, number]> }, celsius: number): Record<string, JsonValue> {
  return objectEvent({
    bizStep: 'sensor_reporting',
    ...(subjects.epcs === undefined ? {} : { epcList: subjects.epcs }),
    ...(subjects.lots === undefined ? {} : { quantityList: subjects.lots.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' })) }),
    sensorElementList: [{ sensorReport: [{ type: 'Temperature', value: celsius, uom: 'CEL' }] }],
  });
}

export function aggregation(action: 'ADD' | 'DELETE', parentID: string, childEPCs: string[]): Record<string, JsonValue> {
  return { type: 'AggregationEvent', eventTime: nextEventTime(), eventTimeZoneOffset: '+00:00', action, bizStep: action === 'ADD' ? 'packing' : 'unpacking', parentID, childEPCs };
}

export function transformation(inputs: Array<[string, number]>, outputs: Array<[string, number]>, range?: { minimum: number; maximum: number }): Record<string, JsonValue> {
  return {
    type: 'TransformationEvent',
    eventTime: nextEventTime(),
    eventTimeZoneOffset: '+00:00',
    bizStep: 'commissioning',
    inputQuantityList: inputs.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' })),
    outputQuantityList: outputs.map(([epcClass, quantity]) => ({ epcClass, quantity, uom: 'KGM' })),
    ...(range === undefined ? {} : { ilmd: { 'custodia:temperatureRange': range } }),
  };
}

export function capture(...events: Array<Record<string, JsonValue>>): JsonValue {
  return { document: epcisDocument(...events) };
}
