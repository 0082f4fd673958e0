/**
 * Auditor indices over EPCIS 2.0 events (EPCIS 2.0 section 8.2.7, the query parameters an
 * audit needs). The store writes one index row per (index, value, event), so each query is
 * one ordered range scan. Values are taken as recorded; CBV URIs are shortened to their bare
 * word (`urn:epcglobal:cbv:bizstep:shipping` and `shipping` are the same step).
 */
import type { JsonValue } from '../encoding/canonical-json.js';

export const EVENT_INDEX_NAMES = [
  'anyEpc',
  'epc',
  'parentId',
  'inputEpc',
  'outputEpc',
  'epcClass',
  'bizStep',
  'disposition',
  'bizLocation',
  'readPoint',
  'participant',
  'eventType',
  'eventId',
  'eventHash',
] as const;
export type EventIndexName = (typeof EVENT_INDEX_NAMES)[number];

/** Event time has its own index, ordered by time rather than by value. */
export const TIME_INDEX_NAME = 'eventTime';

export interface IndexEntry {
  index: EventIndexName;
  value: string;
}

const CBV_PREFIXES: Record<string, string> = {
  bizStep: 'urn:epcglobal:cbv:bizstep:',
  disposition: 'urn:epcglobal:cbv:disp:',
};
const CBV_WEB_PREFIXES: Record<string, string> = {
  bizStep: 'https://ref.gs1.org/cbv/BizStep-',
  disposition: 'https://ref.gs1.org/cbv/Disp-',
};

/** The bare CBV word for a bizStep or disposition given as a word, a CBV URN or a GS1 web URI. */
export function normalizeVocabulary(kind: 'bizStep' | 'disposition', value: string): string {
  for (const prefix of [CBV_PREFIXES[kind]!, CBV_WEB_PREFIXES[kind]!]) {
    if (value.startsWith(prefix)) return value.slice(prefix.length);
  }
  return value;
}

function stringField(event: Record<string, JsonValue>, field: string): string | undefined {
  const value = event[field];
  return typeof value === 'string' ? value : undefined;
}

function stringList(event: Record<string, JsonValue>, field: string): string[] {
  const value = event[field];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function quantityClasses(event: Record<string, JsonValue>, field: string): string[] {
  const value = event[field];
  if (!Array.isArray(value)) return [];
  const classes: string[] = [];
  for (const element of value) {
    if (element !== null && typeof element === 'object' && !Array.isArray(element) && typeof element['epcClass'] === 'string') {
      classes.push(element['epcClass']);
    }
  }
  return classes;
}

function locationId(event: Record<string, JsonValue>, field: string): string | undefined {
  const value = event[field];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value['id'] === 'string') return value['id'];
  return undefined;
}

/** The index rows of one event, without duplicates, in a deterministic order. */
export function eventIndexEntries(event: JsonValue, participants: readonly string[], eventHash?: string): IndexEntry[] {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return [];
  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  const add = (index: EventIndexName, value: string | undefined) => {
    if (value === undefined || value === '') return;
    const key = `${index}\u0000${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ index, value });
  };

  const epcList = stringList(event, 'epcList');
  const childEpcs = stringList(event, 'childEPCs');
  const parentId = stringField(event, 'parentID');
  const inputEpcs = stringList(event, 'inputEPCList');
  const outputEpcs = stringList(event, 'outputEPCList');
  for (const epc of [...epcList, ...childEpcs]) add('epc', epc);
  add('parentId', parentId);
  for (const epc of inputEpcs) add('inputEpc', epc);
  for (const epc of outputEpcs) add('outputEpc', epc);
  for (const epc of [...epcList, ...childEpcs, ...inputEpcs, ...outputEpcs]) add('anyEpc', epc);
  add('anyEpc', parentId);
  for (const field of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    for (const epcClass of quantityClasses(event, field)) add('epcClass', epcClass);
  }
  const bizStep = stringField(event, 'bizStep');
  if (bizStep !== undefined) add('bizStep', normalizeVocabulary('bizStep', bizStep));
  const disposition = stringField(event, 'disposition');
  if (disposition !== undefined) add('disposition', normalizeVocabulary('disposition', disposition));
  add('bizLocation', locationId(event, 'bizLocation'));
  add('readPoint', locationId(event, 'readPoint'));
  for (const participant of participants) add('participant', participant);
  add('eventType', stringField(event, 'type'));
  add('eventId', stringField(event, 'eventID'));
  add('eventHash', eventHash);
  return entries;
}

/** Milliseconds since the epoch of an EPCIS eventTime (RFC 3339 with offset), or undefined. */
export function eventTimeMilliseconds(event: JsonValue): number | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const text = event['eventTime'];
  if (typeof text !== 'string') return undefined;
  const milliseconds = Date.parse(text);
  return Number.isFinite(milliseconds) ? milliseconds : undefined;
}
