/**
 * The building blocks of contracts/epcis: timestamps, URIs and compact IRIs, the vocabulary
 * normaliser, @context prefixes, limits, error paths, and that validation never throws.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  declaredPrefixes,
  EPCIS_LIMITS,
  eventsOfDocument,
  normalizeTimestamp,
  normalizeVocabularyValue,
  STANDARD_EPCIS_CONTEXT_URL,
  timestampMilliseconds,
  validateEpcisDocument,
  validateEpcisEvent,
  VOCABULARIES,
  type VocabularyKind,
} from '../../../contracts/epcis/index.js';
import { isAbsoluteUri, readName } from '../../../contracts/epcis/uri.js';
import { isTimeZoneOffset } from '../../../contracts/epcis/time.js';
import { normalizeVocabulary } from '../../../ledger/store/event-index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

const EXAMPLES = join(GS1_DIRECTORY, 'examples');

type Json = any; // tests build arbitrary JSON

function example(relativePath: string): Json {
  return JSON.parse(readFileSync(join(EXAMPLES, relativePath), 'utf8'));
}

function loneEvent(): Json {
  return {
    '@context': [STANDARD_EPCIS_CONTEXT_URL, { acme: 'https://acme.example.com/voc/' }],
    type: 'ObjectEvent',
    eventTime: '2024-05-01T08:00:00.000+02:00',
    eventTimeZoneOffset: '+02:00',
    action: 'ADD',
    bizStep: 'commissioning',
    epcList: ['urn:epc:id:sgtin:0614141.107346.1'],
    ilmd: { 'acme:harvestDate': '2024-04-30' },
  };
}

describe('timestamps', () => {
  it.each([
    ['2005-04-03T20:33:31.116000-06:00', '2005-04-04T02:33:31.116Z'],
    ['2000-01-01T00:30:00+01:00', '1999-12-31T23:30:00Z'],
    ['2024-02-29T23:00:00.5-02:00', '2024-03-01T01:00:00.5Z'],
    ['2019-11-06t14:00:00.000z', '2019-11-06T14:00:00Z'],
    ['1969-12-31T23:59:59.999999999-14:00', '1970-01-01T13:59:59.999999999Z'],
  ])('%s is %s in UTC', (text, utc) => {
    expect(normalizeTimestamp(text)).toBe(utc);
  });

  it.each(['2023-02-29T00:00:00Z', '2005-04-03T24:00:00Z', '2005-04-03T20:33:31', '2005-04-03 20:33:31Z', '2016-12-31T23:59:60Z', '2005-04-03T20:33:31+14:01', '2005-04-03T20:33:31+0100'])(
    '%s is refused',
    (text) => {
      expect(normalizeTimestamp(text)).toBeUndefined();
    },
  );

  it('agree with Date.parse on milliseconds for any instant and zone (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.integer({ min: -56, max: 56 }), (milliseconds, quarterHours) => {
        const offsetMinutes = quarterHours * 15;
        const local = new Date(milliseconds + offsetMinutes * 60_000).toISOString().slice(0, -1);
        if (!/^\d{4}-/.test(local)) return; // outside four-digit years once shifted
        const sign = offsetMinutes < 0 ? '-' : '+';
        const magnitude = Math.abs(offsetMinutes);
        const text = `${local}${sign}${String(Math.floor(magnitude / 60)).padStart(2, '0')}:${String(magnitude % 60).padStart(2, '0')}`;
        expect(timestampMilliseconds(text)).toBe(milliseconds);
        expect(Date.parse(normalizeTimestamp(text)!)).toBe(milliseconds);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('time zone offsets are ±hh:mm within ±14:00', () => {
    for (const good of ['+00:00', '-00:00', '+14:00', '-14:00', '+05:45', '-09:30']) expect(isTimeZoneOffset(good)).toBe(true);
    for (const bad of ['+14:01', 'Z', '+5:00', '+05:60', '05:00', '+0500', '']) expect(isTimeZoneOffset(bad)).toBe(false);
  });
});

describe('URIs and compact IRIs', () => {
  it.each([
    'urn:epc:id:sgtin:0614141.107346.2017',
    'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
    'https://id.gs1.org/01/09520123456788/21/12345',
    'http://transaction.acme.com/po/12345678',
    'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    'example:myField',
    'urn:epc:idpat:sgtin:4012345.066666.*',
  ])('%s is an absolute URI', (text) => expect(isAbsoluteUri(text)).toBe(true));

  it.each(['', 'shipping', 'urn:', '1abc:x', 'http://exa mple.com', 'urn:epc:id:sgtin:é', 'https://x.com/%zz', '/relative/path'])('%j is not', (text) =>
    expect(isAbsoluteUri(text)).toBe(false),
  );

  it('reads urn:, tag: and authority URIs as absolute, other x:y as a prefix and a name', () => {
    expect(readName('urn:epc:id:sgtin:1.2.3')).toEqual({ kind: 'absolute' });
    expect(readName('https://example.com/x')).toEqual({ kind: 'absolute' });
    expect(readName('tag:example.com,2024:x')).toEqual({ kind: 'absolute' });
    expect(readName('example:myField')).toEqual({ kind: 'compact', prefix: 'example', suffix: 'myField' });
    expect(readName('myField')).toEqual({ kind: 'bare' });
  });

  it('takes prefixes from inline context objects and from the standard context, later ones winning', () => {
    const prefixes = declaredPrefixes([
      STANDARD_EPCIS_CONTEXT_URL,
      { example: 'http://ns.example.com/epcis/', notPrefix: 'http://ns.example.com/term', 'rail:x': { '@type': '@id' } },
      { example: 'http://other.example.com/', explicit: { '@id': 'http://explicit.example.com/x', '@prefix': true } },
    ]);
    expect(prefixes.get('cbv')).toBe('https://ref.gs1.org/cbv/');
    expect(prefixes.get('example')).toBe('http://other.example.com/');
    expect(prefixes.get('explicit')).toBe('http://explicit.example.com/x');
    expect(prefixes.has('notPrefix')).toBe(false);
    expect(prefixes.has('rail')).toBe(false);
    expect(declaredPrefixes('https://example.com/some-remote-context.jsonld').size).toBe(0);
  });
});

describe('the vocabulary normaliser', () => {
  it.each(Object.keys(VOCABULARIES) as VocabularyKind[])('turns every spelling of a %s into its word, and leaves custom URIs alone', (kind) => {
    const vocabulary = VOCABULARIES[kind];
    for (const word of vocabulary.words) {
      expect(normalizeVocabularyValue(kind, word)).toBe(word);
      expect(normalizeVocabularyValue(kind, vocabulary.webUriPrefix + word)).toBe(word);
      if (vocabulary.urnPrefix !== undefined) expect(normalizeVocabularyValue(kind, vocabulary.urnPrefix + word)).toBe(word);
    }
    expect(normalizeVocabularyValue(kind, 'https://example.com/voc/thing')).toBe('https://example.com/voc/thing');
    expect(normalizeVocabularyValue(kind, `${vocabulary.webUriPrefix}notAWord`)).toBe(`${vocabulary.webUriPrefix}notAWord`);
  });

  it("agrees with the ledger's index normaliser on business steps and dispositions", () => {
    for (const kind of ['bizStep', 'disposition'] as const) {
      for (const word of VOCABULARIES[kind].words) {
        for (const spelling of [word, VOCABULARIES[kind].urnPrefix + word, VOCABULARIES[kind].webUriPrefix + word]) {
          expect(normalizeVocabularyValue(kind, spelling)).toBe(normalizeVocabulary(kind, spelling));
        }
      }
    }
  });
});

describe('validateEpcisEvent', () => {
  it('accepts a lone event with its own context and prefixes', () => {
    const result = validateEpcisEvent(loneEvent());
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('names every problem in one pass, each with its path and field', () => {
    const event = loneEvent();
    event.eventTime = '2024-05-01';
    event.epcList.push('not a uri');
    event['acme:fine'] = 1;
    event.extra = 1;
    delete event.eventTimeZoneOffset;
    const result = validateEpcisEvent(event);
    expect(result.ok ? [] : result.errors.map((error) => error.path).sort()).toEqual(['epcList[1]', 'eventTime', 'eventTimeZoneOffset', 'extra']);
    expect(result.ok ? [] : result.errors.find((error) => error.path === 'eventTimeZoneOffset')!.message).toBe('eventTimeZoneOffset is required');
  });

  it('accepts a prefix the event does not declare, even one its document would have, with a warning (JSON-LD reads it as a URI scheme)', () => {
    const event = loneEvent();
    event['example:myField'] = 'x';
    const result = validateEpcisEvent(event);
    expect(result.ok).toBe(true);
    expect(result.ok ? result.warnings?.map((warning) => warning.path) : []).toEqual(['["example:myField"]']);
  });

  it('returns errors for any input instead of throwing (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), (value) => {
        const event = validateEpcisEvent(value);
        const document = validateEpcisDocument(value);
        expect(event.ok).toBe(false);
        expect(document.ok).toBe(false);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('refuses values that are not plain JSON inside extensions, and cycles, without throwing', () => {
    const cyclic: Json = { a: 1 };
    cyclic.self = cyclic;
    for (const bad of [cyclic, [1, , 3], Number.NaN, new Date(0), 10n, '\ud800 lone surrogate']) {
      const event = loneEvent();
      event['acme:value'] = bad;
      const result = validateEpcisEvent(event);
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors[0]!.path).toMatch(/^\["acme:value"\]/);
    }
  });
});

describe('limits', () => {
  it('refuse an epcList longer than epcsPerListMax', () => {
    const event = loneEvent();
    event.epcList = Array.from({ length: EPCIS_LIMITS.epcsPerListMax + 1 }, (_, index) => `urn:epc:id:sgtin:0614141.107346.${index}`);
    const result = validateEpcisEvent(event);
    expect(result.ok ? [] : result.errors).toEqual([{ path: 'epcList', message: `epcList must have at most ${EPCIS_LIMITS.epcsPerListMax} entries` }]);
  });

  it('refuse strings longer than stringLengthMax and extension values nested too deep', () => {
    const event = loneEvent();
    event.bizStep = `https://example.com/${'x'.repeat(EPCIS_LIMITS.stringLengthMax)}`;
    let deep: Json = 'bottom';
    for (let level = 0; level <= EPCIS_LIMITS.extensionDepthMax; level++) deep = [deep];
    event['acme:deep'] = deep;
    const result = validateEpcisEvent(event);
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['bizStep', `["acme:deep"]${'[0]'.repeat(EPCIS_LIMITS.extensionDepthMax)}`]);
  });

  it('refuse a document with more than eventsPerDocumentMax events', () => {
    const document = example('Example_9.6.1-ObjectEvent.jsonld');
    const [event] = document.epcisBody.eventList;
    document.epcisBody.eventList = Array.from({ length: EPCIS_LIMITS.eventsPerDocumentMax + 1 }, () => event);
    const result = validateEpcisDocument(document);
    expect(result.ok ? [] : result.errors).toEqual([
      { path: 'epcisBody.eventList', message: `eventList must have at most ${EPCIS_LIMITS.eventsPerDocumentMax} entries` },
    ]);
  });

  it('cap the number of errors reported', () => {
    const event = loneEvent();
    event.epcList = Array.from({ length: 300 }, (_, index) => `bad epc ${index}`);
    const result = validateEpcisEvent(event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(EPCIS_LIMITS.errorsReportedMax + 1);
    expect(result.errors.at(-1)).toEqual({ path: '', message: `and ${300 - EPCIS_LIMITS.errorsReportedMax} more errors` });
  });
});

describe('eventsOfDocument', () => {
  it('gives query document events the document context merged with their own, without repeats', () => {
    const document = example('EPCISQueryDocument.jsonld');
    const events = document.epcisBody.queryResults.resultsBody.eventList;
    events[1]['@context'] = [STANDARD_EPCIS_CONTEXT_URL, { acme: 'https://acme.example.com/' }];
    events[1]['acme:x'] = 1;
    const result = validateEpcisDocument(document);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    const detached = eventsOfDocument(result.value);
    expect(detached.map((event) => event['@context'])).toEqual([
      [STANDARD_EPCIS_CONTEXT_URL, { example: 'http://ns.example.com/epcis/' }],
      [STANDARD_EPCIS_CONTEXT_URL, { example: 'http://ns.example.com/epcis/' }, { acme: 'https://acme.example.com/' }],
    ]);
  });

  it('an event-level prefix does not leak to the other events', () => {
    const document = example('EPCISQueryDocument.jsonld');
    const events = document.epcisBody.queryResults.resultsBody.eventList;
    events[1]['@context'] = { acme: 'https://acme.example.com/' };
    events[0]['acme:x'] = 1;
    const result = validateEpcisDocument(document);
    expect(result.ok).toBe(true);
    expect(result.ok ? result.warnings?.map((warning) => warning.path) : []).toEqual(['epcisBody.queryResults.resultsBody.eventList[0]["acme:x"]']);
  });
});
