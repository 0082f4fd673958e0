/**
 * Content hash of an EPCIS 2.0 event, an `ni:///sha-256;<hex>?ver=CBV2.0` identifier (RFC 6920
 * naming, with the hex digest and version query GS1 uses) in the spirit of the event hash of
 * CBV 2.0 and GS1's "EPCIS Event Hash Generator": two captures of the same event get the same
 * id even without an eventID, however they are spelled, so duplicates can be refused.
 *
 * This is NOT GS1's algorithm (which builds a pre-hash string in a fixed member order and turns
 * EPC URNs into GS1 Digital Link URIs); ids here will not match GS1's. It is Custodia's own,
 * simpler canonical form, defined exactly as follows:
 *  1. Take the event with its own @context (as eventsOfDocument returns it; the context only
 *     serves to expand prefixes).
 *  2. Leave out @context, eventID, recordTime and errorDeclaration, as GS1's algorithm does:
 *     an id, the time a repository received the event, and a later verdict on it are not its
 *     content. So an event and the declaration that it was in error hash alike, and the
 *     declaration names the event it corrects.
 *  3. Timestamps (eventTime; sensorMetadata time, startTime, endTime; sensorReport time) become
 *     UTC with `Z` and their fraction without trailing zeros, never rounded (time.ts).
 *     eventTimeZoneOffset stays (it is content: the local time zone), `-00:00` read as `+00:00`.
 *  4. Vocabulary values (bizStep, disposition, persistentDisposition, business transaction,
 *     source and destination types, sensor type, exception and component) have compact IRIs
 *     expanded with the declared prefixes, then standard values become their bare CBV or GS1
 *     Web Vocabulary word; custom values stay full URIs.
 *  5. Member names written `prefix:name` are expanded to full IRIs at every depth (extensions,
 *     ilmd, extensions of nested standard objects). Extension values are kept as given.
 *  6. Lists that are sets are sorted: epcList, childEPCs, inputEPCList, outputEPCList,
 *     certificationInfo (a single URI counts as a one-entry list) and persistentDisposition
 *     set/unset by UTF-16 code units; quantity lists, bizTransactionList, sourceList,
 *     destinationList, sensorElementList and each sensorReport list by the RFC 8785 text of
 *     their normalised entries. Empty lists are left out: they say nothing.
 *  7. The result's RFC 8785 (JCS) bytes are hashed with SHA-256; the id is
 *     `ni:///sha-256;` + 64 lowercase hex digits + `?ver=CBV2.0`.
 * Numbers need no step: RFC 8785 writes 10 and 10.0 alike.
 */
import { canonicalize, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { declaredPrefixes, expandName, NO_PREFIXES, type PrefixMap } from './context.js';
import type { EpcisEvent } from './events.js';
import { isPlainObject } from './json-data.js';
import { normalizeTimestamp, normalizeTimeZoneOffset } from './time.js';
import { normalizeVocabularyValue, type VocabularyKind } from './vocabulary.js';

export const EVENT_HASH_PREFIX = 'ni:///sha-256;';
export const EVENT_HASH_SUFFIX = '?ver=CBV2.0';
export const EVENT_HASH_PATTERN = /^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/;

/** Returns the normalised value, or undefined to leave the member out. */
type Normaliser = (value: JsonValue, prefixes: PrefixMap) => JsonValue | undefined;

function expandedName(name: string, prefixes: PrefixMap): string {
  const expansion = expandName(name, prefixes);
  return expansion.ok ? expansion.iri : name;
}

/** Expands member names at every depth; a nested @context widens the prefixes for its object. */
function expandNames(value: JsonValue, prefixes: PrefixMap): JsonValue {
  if (Array.isArray(value)) return value.map((item) => expandNames(item, prefixes));
  if (!isPlainObject(value)) return value;
  return normaliseObject(value, prefixes, {});
}

function normaliseObject(value: Record<string, JsonValue>, inherited: PrefixMap, members: Readonly<Record<string, Normaliser>>): JsonValue {
  const context = value['@context'];
  const prefixes = context === undefined ? inherited : declaredPrefixes(context, inherited);
  const result: Record<string, JsonValue> = {};
  for (const [name, member] of Object.entries(value)) {
    if (name === '@context' || member === undefined) continue;
    const normaliser = Object.hasOwn(members, name) ? members[name] : undefined;
    if (normaliser === undefined) {
      result[expandedName(name, prefixes)] = expandNames(member, prefixes);
      continue;
    }
    const normalised = normaliser(member, prefixes);
    if (normalised !== undefined) result[name] = normalised;
  }
  return result;
}

const omit: Normaliser = () => undefined;

const timestamp: Normaliser = (value) => (typeof value === 'string' ? (normalizeTimestamp(value) ?? value) : value);

const timeZoneOffset: Normaliser = (value) => (typeof value === 'string' ? normalizeTimeZoneOffset(value) : value);

function vocabulary(kind: VocabularyKind): Normaliser {
  return (value, prefixes) => (typeof value === 'string' ? normalizeVocabularyValue(kind, expandedName(value, prefixes)) : value);
}

function object(members: Readonly<Record<string, Normaliser>>): Normaliser {
  return (value, prefixes) => (isPlainObject(value) ? normaliseObject(value, prefixes, members) : value);
}

/** A set of strings: entries normalised, then sorted by UTF-16 code units (no locale). */
function stringSet(entry: Normaliser): Normaliser {
  return (value, prefixes) => {
    const entries = (Array.isArray(value) ? value : [value]).map((item) => entry(item, prefixes) ?? item);
    return entries.length === 0 ? undefined : entries.sort();
  };
}

/** A set of objects: entries normalised, then sorted by their canonical text. */
function objectSet(entry: Normaliser): Normaliser {
  return (value, prefixes) => {
    if (!Array.isArray(value)) return value;
    if (value.length === 0) return undefined;
    const keyed = value.map((item) => {
      const normalised = entry(item, prefixes) ?? item;
      return { normalised, key: canonicalize(normalised) };
    });
    keyed.sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
    return keyed.map(({ normalised }) => normalised);
  };
}

const asGiven: Normaliser = (value) => value;

const identifierSet = stringSet(asGiven);

const quantitySet = objectSet(object({}));

const sensorElementSet = objectSet(
  object({
    sensorMetadata: object({ time: timestamp, startTime: timestamp, endTime: timestamp }),
    sensorReport: objectSet(
      object({
        type: vocabulary('measurementType'),
        exception: vocabulary('sensorAlertType'),
        component: vocabulary('component'),
        time: timestamp,
      }),
    ),
  }),
);

const sourceOrDestinationSet = objectSet(object({ type: vocabulary('sourceDestinationType') }));

const EVENT_MEMBERS: Readonly<Record<string, Normaliser>> = {
  eventID: omit,
  recordTime: omit,
  errorDeclaration: omit,
  eventTime: timestamp,
  eventTimeZoneOffset: timeZoneOffset,
  certificationInfo: identifierSet,
  epcList: identifierSet,
  childEPCs: identifierSet,
  inputEPCList: identifierSet,
  outputEPCList: identifierSet,
  quantityList: quantitySet,
  childQuantityList: quantitySet,
  inputQuantityList: quantitySet,
  outputQuantityList: quantitySet,
  bizStep: vocabulary('bizStep'),
  disposition: vocabulary('disposition'),
  persistentDisposition: object({ set: stringSet(vocabulary('disposition')), unset: stringSet(vocabulary('disposition')) }),
  bizTransactionList: objectSet(object({ type: vocabulary('bizTransactionType') })),
  sourceList: sourceOrDestinationSet,
  destinationList: sourceOrDestinationSet,
  sensorElementList: sensorElementSet,
};

/** The canonical content of an event (steps 1 to 6 above), as JSON. */
export function canonicalEventContent(event: EpcisEvent): JsonValue {
  return normaliseObject(event as Record<string, JsonValue>, NO_PREFIXES, EVENT_MEMBERS);
}

/** The content hash id of an event whose canonical content (step 7's RFC 8785 text) is `canonicalText`. */
export function eventHashOfCanonicalContent(canonicalText: string): string {
  return `${EVENT_HASH_PREFIX}${toHex(sha256(utf8(canonicalText)))}${EVENT_HASH_SUFFIX}`;
}

/** The event's content hash id, `ni:///sha-256;<hex>?ver=CBV2.0`. Give it a validated event. */
export function eventContentHash(event: EpcisEvent): string {
  return eventHashOfCanonicalContent(canonicalize(canonicalEventContent(event)));
}
