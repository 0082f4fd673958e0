/**
 * Event content hashes (contracts/epcis/event-hash.ts): the same event spelled differently hashes
 * alike; any change of meaning hashes differently; documents that list an event twice are refused.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalEventContent,
  EVENT_HASH_PATTERN,
  eventContentHash,
  eventsOfDocument,
  validateEpcisDocument,
  validateEpcisEvent,
  type EpcisEvent,
} from '../../../contracts/epcis/index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

const EXAMPLES = join(GS1_DIRECTORY, 'examples');

type Json = any; // variants reach into arbitrary JSON

function exampleEvents(relativePath: string): EpcisEvent[] {
  const result = validateEpcisDocument(JSON.parse(readFileSync(join(EXAMPLES, relativePath), 'utf8')));
  if (!result.ok) throw new Error(`example ${relativePath} is invalid: ${JSON.stringify(result.errors)}`);
  return eventsOfDocument(result.value);
}

/** A rich event: AssociationEvent with children, quantities, transactions, sources, sensors and an extension. */
function richEvent(): Json {
  const event: Json = structuredClone(exampleEvents('Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld')[0]);
  event.certificationInfo = 'https://cert.example.com/organic/123';
  return event;
}

function valid(event: Json): EpcisEvent {
  const result = validateEpcisEvent(event);
  if (!result.ok) throw new Error(`variant is invalid: ${JSON.stringify(result.errors)}`);
  return result.value;
}

function hash(event: Json): string {
  return eventContentHash(valid(event));
}

/** The same instant written in another time zone, with extra trailing zeros in the fraction. */
function atOffset(timestamp: string, offsetMinutes: number, extraZeros: number): string {
  const local = new Date(Date.parse(timestamp) + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const magnitude = Math.abs(offsetMinutes);
  const zone = `${sign}${String(Math.floor(magnitude / 60)).padStart(2, '0')}:${String(magnitude % 60).padStart(2, '0')}`;
  return `${local}${'0'.repeat(extraZeros)}${zone}`;
}

function reorderDeep(value: Json, order: (keys: string[]) => string[]): Json {
  if (Array.isArray(value)) return value.map((item) => reorderDeep(item, order));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(order(Object.keys(value)).map((key) => [key, reorderDeep(value[key], order)]));
}

describe('eventContentHash', () => {
  it('is an ni URI with a SHA-256 hex digest and the CBV 2.0 version', () => {
    expect(hash(richEvent())).toMatch(EVENT_HASH_PATTERN);
  });

  it('leaves out @context, eventID, recordTime and errorDeclaration, and normalises time and vocabulary', () => {
    const event = richEvent();
    event.bizStep = 'urn:epcglobal:cbv:bizstep:installing';
    const content = canonicalEventContent(valid(event)) as Record<string, unknown>;
    for (const member of ['@context', 'eventID', 'recordTime', 'errorDeclaration']) expect(content).not.toHaveProperty(member);
    expect(content['eventTime']).toBe('2019-11-06T13:00:00Z');
    expect(content['bizStep']).toBe('installing');
    expect(content).toHaveProperty(['http://ns.example.com/epcis/myField'], 'Example of a vendor/user extension');
    expect(content['certificationInfo']).toEqual(['https://cert.example.com/organic/123']);
  });

  it('is the same however an equal event is spelled (property)', () => {
    const original = hash(richEvent());
    const spellings = {
      bizStep: ['installing', 'urn:epcglobal:cbv:bizstep:installing', 'https://ref.gs1.org/cbv/BizStep-installing', 'cbv:BizStep-installing'],
      disposition: ['in_progress', 'urn:epcglobal:cbv:disp:in_progress', 'https://ref.gs1.org/cbv/Disp-in_progress'],
      transactionType: ['inv', 'urn:epcglobal:cbv:btt:inv', 'https://ref.gs1.org/cbv/BTT-inv'],
      sourceType: ['possessing_party', 'urn:epcglobal:cbv:sdt:possessing_party', 'https://ref.gs1.org/cbv/SDT-possessing_party'],
      measurementType: ['AbsoluteHumidity', 'https://gs1.org/voc/AbsoluteHumidity', 'gs1:AbsoluteHumidity'],
    };
    fc.assert(
      fc.property(
        fc.record({
          bizStep: fc.constantFrom(...spellings.bizStep),
          disposition: fc.constantFrom(...spellings.disposition),
          transactionType: fc.constantFrom(...spellings.transactionType),
          sourceType: fc.constantFrom(...spellings.sourceType),
          measurementType: fc.constantFrom(...spellings.measurementType),
          offsetQuarterHours: fc.integer({ min: -56, max: 56 }),
          extraZeros: fc.integer({ min: 0, max: 3 }),
          reverseLists: fc.boolean(),
          keyOrderSeed: fc.integer({ min: 0, max: 1000 }),
          eventId: fc.constantFrom(undefined, 'urn:uuid:fd338495-0e6d-41dd-afee-a862ecd32518', 'ni:///sha-256;00?ver=CBV2.0'),
          recordTime: fc.constantFrom(undefined, '2030-01-01T00:00:00Z'),
          declared: fc.boolean(),
          expandExtensionName: fc.boolean(),
          certificationAsList: fc.boolean(),
        }),
        (variant) => {
          const event = richEvent();
          event.bizStep = variant.bizStep;
          event.disposition = variant.disposition;
          event.bizTransactionList[0].type = variant.transactionType;
          event.sourceList[0].type = variant.sourceType;
          event.sensorElementList[0].sensorReport[0].type = variant.measurementType;
          event.eventTime = atOffset(event.eventTime, variant.offsetQuarterHours * 15, variant.extraZeros);
          if (variant.reverseLists) {
            event.childEPCs.reverse();
            event.bizTransactionList.reverse();
          }
          if (variant.eventId === undefined) delete event.eventID;
          else event.eventID = variant.eventId;
          if (variant.recordTime !== undefined) event.recordTime = variant.recordTime;
          if (variant.declared) event.errorDeclaration = { declarationTime: '2031-01-01T00:00:00Z', reason: 'incorrect_data' };
          if (variant.expandExtensionName) {
            event['http://ns.example.com/epcis/myField'] = event['example:myField'];
            delete event['example:myField'];
          }
          if (variant.certificationAsList) event.certificationInfo = [event.certificationInfo];
          // Any member order, at every depth.
          let seed = variant.keyOrderSeed;
          const shuffled = reorderDeep(event, (keys) =>
            keys
              .map((key) => ({ key, rank: (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) }))
              .sort((left, right) => left.rank - right.rank)
              .map(({ key }) => key),
          );
          expect(hash(shuffled)).toBe(original);
        },
      ),
      { seed: 4242, numRuns: 150 },
    );
  });

  it('is the same when a prefix is declared on the event rather than the document', () => {
    const event = richEvent();
    event['@context'] = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'http://ns.example.com/epcis/' }];
    event['ex:myField'] = event['example:myField'];
    delete event['example:myField'];
    expect(hash(event)).toBe(hash(richEvent()));
  });

  const changes: Array<[string, (event: Json) => void]> = [
    ['eventTime one millisecond later', (event) => (event.eventTime = '2019-11-06T14:00:00.001+01:00')],
    ['eventTime one microsecond later', (event) => (event.eventTime = '2019-11-06T14:00:00.000001+01:00')],
    ['eventTime the same wall clock in another zone', (event) => (event.eventTime = '2019-11-06T14:00:00.000+02:00')],
    ['eventTimeZoneOffset', (event) => (event.eventTimeZoneOffset = '+02:00')],
    ['action', (event) => (event.action = 'OBSERVE')],
    ['type', (event) => (event.type = 'AggregationEvent')],
    ['bizStep', (event) => (event.bizStep = 'removing')],
    ['bizStep to a custom URI', (event) => (event.bizStep = 'https://example.com/steps/installing')],
    ['disposition', (event) => (event.disposition = 'active')],
    ['disposition removed', (event) => delete event.disposition],
    ['parentID', (event) => (event.parentID = 'urn:epc:id:grai:4012345.55555.98766')],
    ['a child changed', (event) => (event.childEPCs[0] = 'urn:epc:id:giai:4000001.99999')],
    ['a child added', (event) => event.childEPCs.push('urn:epc:id:giai:4000001.12347')],
    ['a child removed', (event) => event.childEPCs.pop()],
    ['a quantity', (event) => (event.childQuantityList[0].quantity = 5)],
    ['a unit added', (event) => (event.childQuantityList[0].uom = 'KGM')],
    ['an epcClass', (event) => (event.childQuantityList[0].epcClass = 'urn:epc:class:lgtin:4023333.002000.998878')],
    ['readPoint', (event) => (event.readPoint.id = 'urn:epc:id:sgln:4012345.00001.1')],
    ['bizLocation removed', (event) => delete event.bizLocation],
    ['a business transaction type', (event) => (event.bizTransactionList[0].type = 'po')],
    ['a business transaction identifier', (event) => (event.bizTransactionList[1].bizTransaction = 'http://transaction.acme.com/po/12345679')],
    ['a business transaction removed', (event) => event.bizTransactionList.pop()],
    ['a source type', (event) => (event.sourceList[0].type = 'owning_party')],
    ['a destination', (event) => (event.destinationList[0].destination = 'urn:epc:id:pgln:4012345.00001')],
    ['a sensor reading', (event) => (event.sensorElementList[0].sensorReport[0].minValue = 12.0)],
    ['a sensor type', (event) => (event.sensorElementList[0].sensorReport[0].type = 'RelativeHumidity')],
    ['a sensor time window', (event) => (event.sensorElementList[0].sensorMetadata.endTime = '2019-11-06T13:58:00.000+01:00')],
    ['certificationInfo', (event) => (event.certificationInfo = 'https://cert.example.com/organic/124')],
    ['an extension value', (event) => (event['example:myField'] = 'another value')],
    ['an extension name', (event) => (event['example:otherField'] = event['example:myField']) && delete event['example:myField']],
    ['an extension added', (event) => (event['example:note'] = 'x')],
    [
      'the namespace a prefix stands for',
      (event) => (event['@context'] = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.other.example.com/' }]),
    ],
  ];

  it.each(changes)('changes when %s changes', (_name, change) => {
    const event = richEvent();
    change(event);
    expect(hash(event)).not.toBe(hash(richEvent()));
  });

  it('differs for every one of those changes from every other', () => {
    const hashes = changes.map(([, change]) => {
      const event = richEvent();
      change(event);
      return hash(event);
    });
    expect(new Set(hashes).size).toBe(changes.length);
  });
});

describe('a document listing events', () => {
  const base = (): Json => JSON.parse(readFileSync(join(EXAMPLES, 'Example_9.6.1-ObjectEvent.jsonld'), 'utf8'));

  it('may hold an event and the declaration that it was in error', () => {
    const document = base();
    const declaration = structuredClone(document.epcisBody.eventList[0]);
    delete declaration.eventID;
    declaration.errorDeclaration = { declarationTime: '2006-01-01T00:00:00Z', reason: 'incorrect_data' };
    document.epcisBody.eventList.push(declaration);
    const result = validateEpcisDocument(document);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    const [original, , declared] = eventsOfDocument(result.value);
    expect(eventContentHash(declared!)).toBe(eventContentHash(original!));
  });

  it('may not hold one event twice, even spelled differently and without eventIDs', () => {
    const document = base();
    for (const event of document.epcisBody.eventList) delete event.eventID;
    const copy = structuredClone(document.epcisBody.eventList[1]);
    copy.bizStep = 'urn:epcglobal:cbv:bizstep:receiving';
    copy.eventTime = '2005-04-05T02:33:31.116Z';
    document.epcisBody.eventList.push(copy);
    const result = validateEpcisDocument(document);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['epcisBody.eventList[2]']);
    expect(result.ok ? '' : result.errors[0]!.message).toMatch(/^eventList\[2\] has the same content as eventList\[1\] \(content hash ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0\)/);
  });
});
