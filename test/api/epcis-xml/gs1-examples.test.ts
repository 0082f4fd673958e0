/**
 * GS1's own EPCIS XML examples (test/fixtures/gs1/xml/, see test/fixtures/gs1/README.md):
 * each converts to the EPCIS 2.0 JSON-LD form, passes validateEpcisDocument (or fails exactly
 * where GS1's example breaks GS1's own rules), and, where GS1 publishes the same example as
 * JSON-LD, equals it after the normalisation of support/normalise.ts, apart from the listed
 * places where GS1's XML and JSON-LD versions say different things.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { parseEpcisXml } from '../../../api/epcis-xml/index.js';
import { validateEpcisDocument } from '../../../contracts/epcis/index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';
import { differences, normaliseDocument } from './support/normalise.js';

type JsonObject = { [key: string]: JsonValue };

function convert(file: string): { document: JsonObject; version: string; warnings: string[] } {
  const result = parseEpcisXml(readFileSync(join(GS1_DIRECTORY, 'xml', file), 'utf8'));
  if (!result.ok) throw new Error(`${file}: ${result.problem.code}: ${result.problem.message}`);
  return { document: result.document, version: result.version, warnings: result.warnings.map((warning) => `${warning.code} ${warning.path ?? ''}`) };
}

function jsonExample(file: string): JsonObject {
  return JSON.parse(readFileSync(join(GS1_DIRECTORY, 'examples', file), 'utf8')) as JsonObject;
}

function events(document: JsonObject): JsonObject[] {
  return (document['epcisBody'] as JsonObject)['eventList'] as JsonObject[];
}

/** GS1 added event hash ids (ni:///sha-256;...) to the JSON-LD examples only; where the XML event has no eventID, the hash id is not compared. */
function withoutAddedHashIds(fromXml: JsonObject, json: JsonObject): JsonObject {
  const copy = structuredClone(json);
  events(copy).forEach((event, index) => {
    const eventID = event['eventID'];
    if (events(fromXml)[index]?.['eventID'] === undefined && typeof eventID === 'string' && eventID.startsWith('ni:///sha-256;')) delete event['eventID'];
  });
  return copy;
}

function validationErrors(document: JsonObject): string[] {
  const validation = validateEpcisDocument(document);
  return validation.ok ? [] : validation.errors.map((error) => `${error.path}: ${error.message}`);
}

describe('GS1 EPCIS 2.0 XML examples', () => {
  it('section 9.6.1 ObjectEvents: valid, and equal to the JSON-LD example', () => {
    const { document, version, warnings } = convert('Example_9.6.1-ObjectEvent-2020_06_18a.xml');
    expect(version).toBe('2.0');
    expect(validationErrors(document)).toEqual([]);
    expect(events(document).map((event) => [event['bizStep'], event['disposition']])).toEqual([['shipping', 'in_transit'], ['receiving', 'in_progress']]);
    // The namespace http://ns.example.com/epcis has no final delimiter, so it is declared with @prefix and a warning.
    expect(document['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: { '@id': 'http://ns.example.com/epcis', '@prefix': true } }]);
    expect(warnings).toEqual(['namespace-without-delimiter /epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/example:myField']);
    const json = jsonExample('Example_9.6.1-ObjectEvent.jsonld');
    expect(differences(normaliseDocument(document), normaliseDocument(withoutAddedHashIds(document, json)))).toEqual([]);
  });

  it('transaction events with rail extensions: valid, equal to the JSON-LD example but where GS1 changed two vehicle values', () => {
    const { document, warnings } = convert('Example-TransactionEvent-2020_07_03y.xml');
    expect(validationErrors(document)).toEqual([]);
    expect(warnings).toEqual([]);
    // The bizTransaction text is on its own indented line in the XML; xsd:anyURI collapses the white space.
    expect(events(document)[1]!['bizTransactionList']).toEqual([{ type: 'urn:gs1:epcisapp:rail:btt:passage', bizTransaction: 'http://transaction.examplerail.com/passage/xyz12345' }]);
    const json = jsonExample('Example-TransactionEvents-2020_07_03y.jsonld');
    expect(differences(normaliseDocument(document), normaliseDocument(json))).toEqual([
      // The XML has an empty <rail:vehicleMasterGIAI/>, which the JSON-LD leaves out.
      'epcisBody.eventList[1].rail:vehicle[1].rail:vehicleMasterGIAI',
      // The XML says "true" without xsi:type (text); the JSON-LD writes the boolean true.
      'epcisBody.eventList[1].rail:vehicle[2].rail:vehicleUniquelyIdentified',
    ]);
    expect(events(document)[1]!['rail:vehicle']).toEqual([
      { 'rail:vehiclePosition': '1', 'rail:vehicleAxleCount': '4', 'rail:vehicleUniquelyIdentified': 'true', 'rail:vehicleMasterGIAI': 'urn:epc:id:giai:952005385.vehicle2' },
      { 'rail:vehiclePosition': '2', 'rail:vehicleAxleCount': '4', 'rail:vehicleUniquelyIdentified': 'false', 'rail:vehicleMasterGIAI': '' },
      { 'rail:vehiclePosition': '3', 'rail:vehicleAxleCount': '4', 'rail:vehicleUniquelyIdentified': 'true', 'rail:vehicleMasterGIAI': 'urn:epc:id:giai:735005385.vehicle1' },
    ]);
  });

  it('association events a to h: valid, and each equal to its JSON-LD example but where GS1 names the corrective event by its hash', () => {
    const { document } = convert('AssociationEventExamples.xml');
    expect(validationErrors(document)).toEqual([]);
    const converted = events(document);
    expect(converted).toHaveLength(8);
    const differencesByCase = 'abcdefgh'.split('').map((letter, index) => {
      const json = jsonExample(`AssociationEvent/AssociationEvent-${letter}.jsonld`);
      const single = { ...document, epcisBody: { eventList: [converted[index]!] } };
      // Each JSON-LD file is a document of its own (its creationDate, an unused "example" prefix): only the events are compared.
      const left = normaliseDocument(single)['epcisBody'];
      const right = normaliseDocument(withoutAddedHashIds(single, json))['epcisBody'];
      return differences(left, right);
    });
    expect(differencesByCase).toEqual([[], [], [], [], [], [], ['eventList[0].errorDeclaration.correctiveEventIDs[0]'], []]);
    // Case f carries a sensor report whose type the XML writes as the QName gs1:AbsoluteHumidity.
    expect((converted[5]!['sensorElementList'] as JsonObject[])[0]).toEqual({
      sensorMetadata: { startTime: '2019-11-06T13:55:00.000+01:00', endTime: '2019-11-06T13:57:00.000+01:00' },
      sensorReport: [{ type: 'AbsoluteHumidity', minValue: 12.1, maxValue: 12.2, uom: 'A93' }],
    });
  });

  it('sensor data cases 1 to 15: each event converts; GS1 refuses the same five; cases 1 to 8 equal their JSON-LD examples but where GS1 changed values', () => {
    const { document, warnings } = convert('SensorDataExamples.xml');
    // Its extension namespaces (https://ns.example.com/epcis and kin) end in no delimiter.
    expect(new Set(warnings.map((warning) => warning.split(' ')[0]))).toEqual(new Set(['namespace-without-delimiter']));
    const converted = events(document);
    expect(converted).toHaveLength(14);
    const singleEventDocument = (event: JsonObject): JsonObject => ({ ...document, epcisBody: { eventList: [event] } });
    const errorsByCase = converted.map((event) => validationErrors(singleEventDocument(event)).map((error) => error.split(':')[0]));
    expect(errorsByCase).toEqual([
      [], [], [], [], [], [], [],
      // Case 8: "gs1:Molar_concentration" is no GS1 measurement type (the JSON-LD example says AmountOfSubstancePerUnitVolume).
      ['epcisBody.eventList[0].sensorElementList[0].sensorReport[1].type', 'epcisBody.eventList[0].sensorElementList[0].sensorReport[2].type'],
      // Case 9: reports with an exception and no type; Custodia requires sensorReport.type.
      ['epcisBody.eventList[0].sensorElementList[0].sensorReport[0].type', 'epcisBody.eventList[0].sensorElementList[0].sensorReport[1].type'],
      [],
      // Case 11: "gs1:EffectiveDoseRate" is no GS1 measurement type.
      ['epcisBody.eventList[0].sensorElementList[0].sensorReport[0].type'],
      [],
      // Cases 14 and 15: https://ref.gs1.org/cbv/Bizstep-sensor_reporting, where CBV writes BizStep-.
      ['epcisBody.eventList[0].bizStep'],
      ['epcisBody.eventList[0].bizStep'],
    ]);
    // Case 14: a component written as the QName cbv:Comp-latitude is the CBV word.
    expect((converted[12]!['sensorElementList'] as JsonObject[])[0]!['sensorReport']).toEqual([
      { type: 'Angle', component: 'latitude', value: 42.698334, uom: 'DD', coordinateReferenceSystem: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' },
      { type: 'Angle', component: 'longitude', value: 23.319941, uom: 'DD', coordinateReferenceSystem: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' },
    ]);
    const differencesByCase = [1, 2, 3, 4, 5, 6, 7, 8].map((number) => {
      const single = singleEventDocument(converted[number - 1]!);
      const json = jsonExample(`WithSensorData/SensorDataExample${number}.jsonld`);
      return differences(normaliseDocument(single)['epcisBody'], normaliseDocument(withoutAddedHashIds(single, json))['epcisBody']);
    });
    const reports = (element: number, indexes: number[], member: string) => indexes.map((index) => `eventList[0].sensorElementList[${element}].sensorReport[${index}].${member}`);
    expect(differencesByCase).toEqual([
      [],
      [],
      [],
      // GS1's JSON-LD gives each report a rawData URL of its own.
      reports(0, [0, 1, 2, 3], 'rawData'),
      [],
      // GS1's JSON-LD adds an EPC and a quantity, and splits furtherSensorData into a list of two objects.
      ['eventList[0].epcList', 'eventList[0].quantityList', 'eventList[0].sensorElementList[0].example:furtherSensorData'],
      // The same hexBinary value, F0F0F0 in JSON-LD and f0f0f0 in XML.
      reports(0, [4], 'hexBinaryValue'),
      // The measurement type (above), and furtherSensorData as in case 6.
      [...reports(0, [1, 2], 'type'), 'eventList[0].sensorElementList[1].example:furtherSensorData'],
    ]);
  });

  it('persistent dispositions: converted, and refused only because GS1 put persistentDisposition on AggregationEvents, which its JSON schema allows only on ObjectEvent and TransformationEvent', () => {
    const { document } = convert('Example-PersistentDisposition.xml');
    expect(events(document).map((event) => event['persistentDisposition'])).toEqual([{ set: ['completeness_inferred'] }, { set: ['completeness_verified'], unset: ['completeness_inferred'] }]);
    expect(validationErrors(document)).toEqual([
      "epcisBody.eventList[0].persistentDisposition: persistentDisposition is not a member of AggregationEvent; an extension member's name must be an absolute URI or prefix:name with the prefix declared in @context",
      "epcisBody.eventList[1].persistentDisposition: persistentDisposition is not a member of AggregationEvent; an extension member's name must be an absolute URI or prefix:name with the prefix declared in @context",
    ]);
  });

  it('an ObjectEvent with every field: sensor attributes typed, extensions with xsi:type, ILMD, and refused only because GS1 gives ILMD to an OBSERVE event', () => {
    // The file starts with <!DOCTYPE project>, a DOCTYPE that declares nothing, which is accepted.
    const { document, warnings } = convert('object_event_all_possible_fields.xml');
    expect(warnings).toEqual([]);
    expect(validationErrors(document)).toEqual(['epcisBody.eventList[0].ilmd: ilmd is only allowed when action is ADD; action is OBSERVE']);
    const event = events(document)[0]!;
    const sensorElement = (event['sensorElementList'] as JsonObject[])[0]!;
    expect((sensorElement['sensorReport'] as JsonObject[])[0]).toEqual({
      value: 26, type: 'Temperature', component: 'example:x', stringValue: 'SomeString', booleanValue: true, hexBinaryValue: 'f0f0f0',
      uriValue: 'https://id.gs1.org/giai/4000001111', uom: 'CEL', minValue: 26, maxValue: 26.2, sDev: 0.1,
      chemicalSubstance: 'https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N', microorganism: 'https://www.ncbi.nlm.nih.gov/taxonomy/1126011',
      deviceID: 'urn:epc:id:giai:4000001.111', deviceMetadata: 'https://id.gs1.org/giai/4000001111', rawData: 'https://example.org/giai/401234599999',
      time: '2019-07-19T14:00:00.000+01:00', meanValue: 13.2, percRank: 50, percValue: 12.7, dataProcessingMethod: 'https://example.com/gdti/4012345000054987',
      'ext1:someFurtherReportData': 'someText',
    });
    expect((sensorElement['sensorMetadata'] as JsonObject)['ext1:someFurtherMetadata']).toBe('someText');
    expect(event['ext1:int']).toBe(10);
    expect(event['ext1:boolean']).toBe(true);
    expect(event['ext1:time']).toBe('2013-06-08T14:58:56.591Z');
    expect(event['ext1:array']).toEqual([12, 22, '2013-06-08T14:58:56.591Z', true, 'stringInArray', {
      'ext1:object': { 'ext2:int': 13, 'ext2:string': 'stringInObjectInArray', 'ext2:array': [14, 23, 'stringInArrayInObjectInArray'], 'ext2:object': { 'ext3:string': 'stringInObjectInObjectInArray' } },
    }]);
    // xmlns:cbvmda="urn:epcglobal:cbv:mda" is the standard context's cbvmda prefix without its final colon: no new prefix.
    expect((event['ilmd'] as JsonObject)['cbvmda:netWeight']).toEqual({ measurementUnitCode: 'KGM', '#text': '3.5' });
    expect(document['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ext1: 'http://ext.com/ext1/', ext2: 'http://ext.com/ext2/', ext3: 'http://ext.com/ext3/' }]);
  });
});

describe('GS1 EPCIS 1.2 XML examples', () => {
  it('ObjectEvents: CBV URNs become bare words, an unqualified field in the extension wrapper is left out with a warning', () => {
    const { document, version, warnings } = convert('1.2/ObjectEvent.xml');
    expect(version).toBe('1.2');
    expect(validationErrors(document)).toEqual([]);
    expect(document['schemaVersion']).toBe('2.0');
    expect(events(document)[1]).toEqual({
      type: 'ObjectEvent',
      eventTime: '2005-04-04T20:33:31.116-06:00',
      eventTimeZoneOffset: '-06:00',
      epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
      action: 'OBSERVE',
      bizStep: 'receiving',
      disposition: 'in_progress',
      readPoint: { id: 'urn:epc:id:sgln:0012345.11111.400' },
      bizLocation: { id: 'urn:epc:id:sgln:0012345.11111.0' },
      bizTransactionList: [{ type: 'po', bizTransaction: 'http://transaction.acme.com/po/12345678' }, { type: 'desadv', bizTransaction: 'urn:epcglobal:cbv:bt:0614141073467:1152' }],
      'example:myField': 'Example of a vendor/user extension',
    });
    expect(warnings).toEqual([
      'ignored-element /epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/extension/extension/myField',
      'namespace-without-delimiter /epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/example:myField',
      'converted-from-1.2 /epcis:EPCISDocument',
    ]);
  });

  it('an AggregationEvent: childQuantityList comes out of the 1.2 extension wrapper', () => {
    const { document } = convert('1.2/AggregationEvent.xml');
    expect(validationErrors(document)).toEqual([]);
    expect(events(document)[0]!['childQuantityList']).toEqual([
      { epcClass: 'urn:epc:idpat:sgtin:4012345.098765.*', quantity: 10 },
      { epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200.5, uom: 'KGM' },
    ]);
  });

  it('a TransformationEvent inside the 1.2 EventList extension, with ILMD', () => {
    const { document } = convert('1.2/TransformationEvent.xml');
    expect(validationErrors(document)).toEqual([]);
    const event = events(document)[0]!;
    expect(event['type']).toBe('TransformationEvent');
    expect(event['bizStep']).toBe('commissioning');
    expect(event['ilmd']).toEqual({ 'example:bestBeforeDate': '2014-12-10', 'example:batch': 'XYZ' });
    expect(event['inputQuantityList']).toHaveLength(3);
  });

  it('error declaration and corrective event: eventID and errorDeclaration come out of baseExtension; equal to the 2.0 JSON-LD example but where GS1 changed quantities and a read point', () => {
    const { document, warnings } = convert('1.2/ErrorDeclarationAndCorrectiveEvent.xml');
    // GS1's file leaves the root element unqualified; its schemaVersion tells the version.
    expect(warnings[0]).toBe('root-without-namespace /EPCISDocument');
    expect(validationErrors(document)).toEqual([]);
    const [declared, corrective] = events(document);
    expect(declared!['eventID']).toBe('urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8');
    expect(declared!['errorDeclaration']).toEqual({
      'example:vendorExtension': 'Test1',
      declarationTime: '2020-01-15T00:00:00+01:00',
      reason: 'incorrect_data',
      correctiveEventIDs: ['urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8'],
    });
    expect(corrective!['eventID']).toBe('urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8');
    // <quantity xsi:nil="true"/>: the amount is unknown, and the member is left out.
    expect(declared!['inputQuantityList']).toEqual([{ epcClass: 'urn:epc:class:lgtin:4012345.022222.87545GHGH' }]);
    const json = jsonExample('WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld');
    expect(differences(normaliseDocument(document), normaliseDocument(json))).toEqual([
      'epcisBody.eventList[0].inputQuantityList[0].quantity',
      'epcisBody.eventList[0].inputQuantityList[0].uom',
      'epcisBody.eventList[0].readPoint.id',
      'epcisBody.eventList[1].inputQuantityList[0].quantity',
      'epcisBody.eventList[1].inputQuantityList[0].uom',
      'epcisBody.eventList[1].readPoint.id',
    ]);
  });
});
