/**
 * The mapping rules of docs/epcis-xml.md, one by one: EPCIS 1.2 wrappers and vocabulary,
 * query documents, header identifiers and master data, extension values (xsi:type, xsi:nil,
 * attributes, repetition), namespace prefixes, refusals of what has no EPCIS meaning, the
 * writer's warnings, and the media types the REST binding negotiates with.
 */
import { describe, expect, it } from 'vitest';
import { canonicalize, type JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { isEpcisXmlMediaType, parseEpcisXml, serializeEpcisXml, type EpcisXmlParse } from '../../../api/epcis-xml/index.js';
import { validateEpcisDocument } from '../../../contracts/epcis/index.js';

type JsonObject = { [key: string]: JsonValue };

function document12(events: string, namespaces = ''): string {
  return `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" ${namespaces} schemaVersion="1.2" creationDate="2020-01-01T00:00:00Z"><EPCISBody><EventList>${events}</EventList></EPCISBody></epcis:EPCISDocument>`;
}

function document20(events: string, namespaces = ''): string {
  return `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" ${namespaces} schemaVersion="2.0" creationDate="2020-01-01T00:00:00Z"><EPCISBody><EventList>${events}</EventList></EPCISBody></epcis:EPCISDocument>`;
}

const WHEN = '<eventTime>2020-01-01T10:00:00+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>';

function converted(xml: string): Extract<EpcisXmlParse, { ok: true }> {
  const result = parseEpcisXml(xml);
  if (!result.ok) throw new Error(`${result.problem.code}: ${result.problem.message} at ${result.problem.path}`);
  return result;
}

function firstEvent(xml: string): JsonObject {
  return ((converted(xml).document['epcisBody'] as JsonObject)['eventList'] as JsonObject[])[0]!;
}

function refusal(xml: string): { code: string; path: string | undefined } {
  const result = parseEpcisXml(xml);
  if (result.ok) throw new Error('converted, but a refusal was expected');
  return { code: result.problem.code, path: result.problem.path };
}

describe('EPCIS 1.2 specifics', () => {
  it('reads an AssociationEvent in EventList/extension/extension, with eventID and errorDeclaration from baseExtension and sensor data from the event extension', () => {
    const xml = document12(
      `<extension><extension><AssociationEvent>${WHEN}<baseExtension><eventID>urn:uuid:6d4f1c52-6d8c-4c36-a2f2-0c1d1f0b1a11</eventID><errorDeclaration><declarationTime>2020-01-02T00:00:00Z</declarationTime><reason>urn:epcglobal:cbv:er:did_not_occur</reason></errorDeclaration></baseExtension>` +
        '<parentID>urn:epc:id:grai:4012345.55555.987</parentID><childEPCs><epc>urn:epc:id:giai:4000001.12345</epc></childEPCs><action>ADD</action>' +
        '<bizStep>urn:epcglobal:cbv:bizstep:assembling</bizStep><extension><extension><sensorElementList><sensorElement><sensorReport type="gs1:Temperature" value="4.5" uom="CEL"/></sensorElement></sensorElementList></extension></extension>' +
        '</AssociationEvent></extension></extension>',
    );
    const result = converted(xml);
    expect(result.version).toBe('1.2');
    expect(validateEpcisDocument(result.document).ok).toBe(true);
    expect(firstEvent(xml)).toEqual({
      type: 'AssociationEvent',
      eventTime: '2020-01-01T10:00:00+01:00',
      eventTimeZoneOffset: '+01:00',
      eventID: 'urn:uuid:6d4f1c52-6d8c-4c36-a2f2-0c1d1f0b1a11',
      errorDeclaration: { declarationTime: '2020-01-02T00:00:00Z', reason: 'did_not_occur' },
      parentID: 'urn:epc:id:grai:4012345.55555.987',
      childEPCs: ['urn:epc:id:giai:4000001.12345'],
      action: 'ADD',
      bizStep: 'assembling',
      sensorElementList: [{ sensorReport: [{ type: 'Temperature', value: 4.5, uom: 'CEL' }] }],
    });
  });

  it('moves quantityList, sourceList, destinationList and ilmd out of an ObjectEvent extension, and maps every CBV URN to its word', () => {
    const event = firstEvent(
      document12(
        `<ObjectEvent>${WHEN}<epcList/><action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep><disposition>urn:epcglobal:cbv:disp:active</disposition>` +
          '<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:0614141000005:PO-1</bizTransaction></bizTransactionList>' +
          '<extension><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass><quantity>200.50</quantity><uom>KGM</uom></quantityElement></quantityList>' +
          '<sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:4012345.00001</source></sourceList>' +
          '<destinationList><destination type="urn:epcglobal:cbv:sdt:location">urn:epc:id:sgln:4012345.00002.0</destination></destinationList>' +
          '<ilmd><ex:lot>L1</ex:lot></ilmd></extension></ObjectEvent>',
        'xmlns:ex="https://example.com/ex/"',
      ),
    );
    expect(event).toMatchObject({
      bizStep: 'commissioning',
      disposition: 'active',
      bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:0614141000005:PO-1' }],
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200.5, uom: 'KGM' }],
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:4012345.00001' }],
      destinationList: [{ type: 'location', destination: 'urn:epc:id:sgln:4012345.00002.0' }],
      ilmd: { 'ex:lot': 'L1' },
      epcList: [],
    });
  });

  it('refuses QuantityEvent, which EPCIS 2.0 removed', () => {
    expect(refusal(document12(`<QuantityEvent>${WHEN}<epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass><quantity>3</quantity></QuantityEvent>`))).toEqual({
      code: 'unsupported-event-type',
      path: '/epcis:EPCISDocument/EPCISBody/EventList/QuantityEvent',
    });
  });

  it('reads a 1.2 query document', () => {
    const xml =
      '<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:1" schemaVersion="1.2" creationDate="2020-01-01T00:00:00Z"><EPCISBody><epcisq:QueryResults>' +
      `<queryName>SimpleEventQuery</queryName><resultsBody><EventList><ObjectEvent>${WHEN}<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>OBSERVE</action></ObjectEvent></EventList></resultsBody>` +
      '</epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>';
    const result = converted(xml);
    expect(result.version).toBe('1.2');
    expect(result.document['type']).toBe('EPCISQueryDocument');
    expect(validateEpcisDocument(result.document).ok).toBe(true);
    expect(((result.document['epcisBody'] as JsonObject)['queryResults'] as JsonObject)['queryName']).toBe('SimpleEventQuery');
  });
});

describe('documents', () => {
  it('takes sender, receiver and instanceIdentifier from the SBDH and master data from the header', () => {
    const xml =
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:sbdh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader" schemaVersion="2.0" creationDate="2020-01-01T00:00:00Z">' +
      '<EPCISHeader><sbdh:StandardBusinessDocumentHeader><sbdh:HeaderVersion>1.0</sbdh:HeaderVersion><sbdh:Sender><sbdh:Identifier Authority="GS1">urn:epc:id:pgln:0614141.00001</sbdh:Identifier></sbdh:Sender>' +
      '<sbdh:Receiver><sbdh:Identifier Authority="GS1">urn:epc:id:pgln:0614142.00001</sbdh:Identifier></sbdh:Receiver><sbdh:DocumentIdentification><sbdh:InstanceIdentifier>1234</sbdh:InstanceIdentifier></sbdh:DocumentIdentification></sbdh:StandardBusinessDocumentHeader>' +
      '<extension><EPCISMasterData><VocabularyList><Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation"><VocabularyElementList><VocabularyElement id="urn:epc:id:sgln:0614141.00001.0">' +
      '<attribute id="urn:epcglobal:cbv:mda:name">Warehouse 1</attribute><children><id>urn:epc:id:sgln:0614141.00001.1</id></children></VocabularyElement></VocabularyElementList></Vocabulary></VocabularyList></EPCISMasterData></extension></EPCISHeader>' +
      '<EPCISBody><EventList/></EPCISBody></epcis:EPCISDocument>';
    const result = converted(xml);
    expect(validateEpcisDocument(result.document).ok).toBe(true);
    expect(result.document).toMatchObject({
      sender: 'urn:epc:id:pgln:0614141.00001',
      receiver: 'urn:epc:id:pgln:0614142.00001',
      instanceIdentifier: '1234',
      epcisHeader: {
        epcisMasterData: {
          vocabularyList: [{
            type: 'urn:epcglobal:epcis:vtype:BusinessLocation',
            vocabularyElementList: [{ id: 'urn:epc:id:sgln:0614141.00001.0', attributes: [{ id: 'urn:epcglobal:cbv:mda:name', attribute: 'Warehouse 1' }], children: ['urn:epc:id:sgln:0614141.00001.1'] }],
          }],
        },
      },
    });
    expect(result.warnings.map((warning) => warning.code)).toEqual(['ignored-element']);
  });

  it('refuses documents that are not EPCIS', () => {
    expect(refusal('<html><body/></html>').code).toBe('not-epcis');
    expect(refusal('<EPCISDocument xmlns="urn:example:not-epcis" schemaVersion="2.0"/>').code).toBe('not-epcis');
    expect(refusal('<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"/>').code).toBe('not-epcis');
  });
});

describe('events', () => {
  it('refuses an unknown element where a standard one should be, a repeated one, and elements inside text fields', () => {
    expect(refusal(document20(`<ObjectEvent>${WHEN}<bizstep>urn:epcglobal:cbv:bizstep:shipping</bizstep></ObjectEvent>`))).toEqual({
      code: 'unknown-element',
      path: '/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent/bizstep',
    });
    expect(refusal(document20(`<ObjectEvent>${WHEN}<action>ADD</action><action>OBSERVE</action></ObjectEvent>`)).code).toBe('repeated-element');
    expect(refusal(document20(`<ObjectEvent>${WHEN}<action><b>ADD</b></action></ObjectEvent>`)).code).toBe('mixed-content');
    expect(refusal(document20(`<ObjectEvent>${WHEN}<epcList><id>urn:epc:id:sgtin:0614141.107346.1</id></epcList></ObjectEvent>`)).code).toBe('unknown-element');
  });

  it('reads certificationInfo, a repeated element, as one string or a list', () => {
    const event = (certificates: string) => firstEvent(document20(`<ObjectEvent>${WHEN}${certificates}<epcList/><action>OBSERVE</action></ObjectEvent>`));
    expect(event('<certificationInfo>https://cert.example/1</certificationInfo>')['certificationInfo']).toBe('https://cert.example/1');
    expect(event('<certificationInfo>https://cert.example/1</certificationInfo><certificationInfo>https://cert.example/2</certificationInfo>')['certificationInfo']).toEqual(['https://cert.example/1', 'https://cert.example/2']);
  });
});

describe('user extensions', () => {
  const extension = (content: string, namespaces = 'xmlns:ex="https://example.com/ex/"') =>
    firstEvent(document20(`<ObjectEvent>${WHEN}<epcList/><action>OBSERVE</action>${content}</ObjectEvent>`, `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ${namespaces}`));

  it('types scalars by xsi:type, reads xsi:nil as null, and keeps untyped text as text', () => {
    expect(
      extension(
        '<ex:i xsi:type="xsd:integer">0042</ex:i><ex:d xsi:type="xsd:double">1.5e2</ex:d><ex:b xsi:type="xsd:boolean">false</ex:b><ex:s>42</ex:s><ex:n xsi:nil="true"/><ex:bad xsi:type="xsd:integer">many</ex:bad><ex:inf xsi:type="xsd:double">INF</ex:inf>',
      ),
    ).toMatchObject({ 'ex:i': 42, 'ex:d': 150, 'ex:b': false, 'ex:s': '42', 'ex:n': null, 'ex:bad': 'many', 'ex:inf': 'INF' });
  });

  it('makes repeated elements a list, nested elements an object, and attributes members beside #text', () => {
    const event = extension('<ex:tag>a</ex:tag><ex:tag>b</ex:tag><ex:box><ex:w unit="KGM">3</ex:w><plain>p</plain></ex:box>');
    expect(event['ex:tag']).toEqual(['a', 'b']);
    expect(event['ex:box']).toEqual({ 'ex:w': { unit: 'KGM', '#text': '3' }, plain: 'p' });
    expect(refusal(document20(`<ObjectEvent>${WHEN}<ex:mixed xmlns:ex="https://example.com/ex/">text<ex:inner/></ex:mixed></ObjectEvent>`)).code).toBe('mixed-content');
  });

  it('keeps the XML prefix of a namespace, renames one that is taken, and names default-namespace elements', () => {
    const result = converted(
      document20(
        `<ObjectEvent>${WHEN}<epcList/><action>OBSERVE</action><cbv:a xmlns:cbv="https://other.example/cbv/">1</cbv:a><ex:b>2</ex:b><c xmlns="https://default.example/ns#">3</c><ex2:d xmlns:ex2="https://example.com/ex/">4</ex2:d></ObjectEvent>`,
        'xmlns:ex="https://example.com/ex/"',
      ),
    );
    const event = ((result.document['epcisBody'] as JsonObject)['eventList'] as JsonObject[])[0]!;
    // cbv is the standard context's prefix for https://ref.gs1.org/cbv/; ex2 names a namespace ex already has.
    expect(event).toMatchObject({ 'cbv2:a': '1', 'ex:b': '2', 'ns:c': '3', 'ex:d': '4' });
    expect(result.document['@context']).toEqual([
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { cbv2: 'https://other.example/cbv/', ex: 'https://example.com/ex/', ns: 'https://default.example/ns#' },
    ]);
    expect(result.warnings.map((warning) => warning.code)).toEqual(['prefix-renamed']);
    expect(validateEpcisDocument(result.document).ok).toBe(true);
  });
});

describe('determinism', () => {
  it('gives the same JSON bytes for the same XML, and for XML that differs only in spelling', () => {
    const spelled = (prefix: string, quote: string, space: string) =>
      `<${prefix}:EPCISDocument xmlns:${prefix}=${quote}urn:epcglobal:epcis:xsd:2${quote}${space}schemaVersion=${quote}2.0${quote} creationDate=${quote}2020-01-01T00:00:00Z${quote}><EPCISBody>${space}<EventList><ObjectEvent>${WHEN}<epcList/><action>OBSERVE</action><!-- comment --></ObjectEvent></EventList></EPCISBody></${prefix}:EPCISDocument>`;
    const first = canonicalize(converted(spelled('epcis', '"', ' ')).document);
    expect(canonicalize(converted(spelled('epcis', '"', ' ')).document)).toBe(first);
    expect(canonicalize(converted(spelled('e', "'", '\n  ')).document)).toBe(first);
  });
});

describe('the writer', () => {
  it('leaves out, with a warning, what XML cannot say', () => {
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'https://example.com/ex/' }],
      id: 'https://id.example.org/document1',
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2020-01-01T00:00:00Z',
      epcisBody: {
        eventList: [{
          type: 'ObjectEvent', eventTime: '2020-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [], action: 'OBSERVE',
          'ex:nested': [[1, 2], 3], 'ex:1bad': 'x', 'undeclared:x': 'y', 'ex:ok': 'z',
        }],
      },
    };
    const { xml, warnings } = serializeEpcisXml(document);
    expect(warnings.map((warning) => warning.path)).toEqual(['epcisBody.eventList[0].ex:nested[0]', 'epcisBody.eventList[0].ex:1bad', 'epcisBody.eventList[0].undeclared:x', 'id']);
    const back = firstEvent(xml);
    expect(back['ex:nested']).toBe(3);
    expect(back['ex:ok']).toBe('z');
  });

  it('escapes text and attribute values so that they read back unchanged', () => {
    const value = 'a < b & c > d "quoted" \'single\' tab\there\nnew line\r\ncarriage';
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'https://example.com/ex/' }],
      type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2020-01-01T00:00:00Z',
      epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: '2020-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [], action: 'OBSERVE', 'ex:text': value, 'ex:attributed': { 'ex:unit': value, '#text': 'v' } }] },
    };
    const back = firstEvent(serializeEpcisXml(document).xml);
    expect(back['ex:text']).toBe(value);
    expect(back['ex:attributed']).toEqual({ 'ex:unit': value, '#text': 'v' });
  });
});

describe('media types', () => {
  it('recognises application/xml and text/xml with parameters and in any case, and nothing else', () => {
    expect(isEpcisXmlMediaType('application/xml')).toBe(true);
    expect(isEpcisXmlMediaType('Text/XML; charset=utf-8')).toBe(true);
    expect(isEpcisXmlMediaType('application/ld+json')).toBe(false);
    expect(isEpcisXmlMediaType('application/xml-dtd')).toBe(false);
    expect(isEpcisXmlMediaType(undefined)).toBe(false);
  });
});
