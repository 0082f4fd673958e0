/**
 * The zod schemas against GS1's own JSON schema (test/fixtures/gs1/schema, draft-07, run by ajv):
 * every valid and deliberately broken document below must get the same verdict from both, and a
 * refusal must name the offending field by its path. Where Custodia deliberately differs from
 * GS1's schema, the case is listed under "documented differences" with the reason, so that a
 * change on either side shows up here instead of passing silently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEpcisDocument, validateEpcisEvent } from '../../../contracts/epcis/index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';
import { compileGs1Schema } from '../../support/gs1-schema.js';

const EXAMPLES = join(GS1_DIRECTORY, 'examples');

const gs1 = compileGs1Schema();

type Json = any; // mutations reach into arbitrary JSON
type Verdict = 'accept' | 'refuse';

function example(relativePath: string): Json {
  return JSON.parse(readFileSync(join(EXAMPLES, relativePath), 'utf8'));
}

const OBJECT_EVENTS = 'Example_9.6.1-ObjectEvent.jsonld';
const QUANTITY_OBJECT_EVENT = 'Example_9.6.2-ObjectEvent.jsonld';
const AGGREGATION = 'Example_9.6.3-AggregationEvent.jsonld';
const TRANSFORMATION = 'Example_9.6.4-TransformationEvent.jsonld';
const TRANSACTIONS = 'Example-TransactionEvents-2020_07_03y.jsonld';
const ASSOCIATION = 'AssociationEvent/AssociationEvent-f.jsonld';
const SENSORS = 'WithSensorData/SensorDataExample7.jsonld';
const SENSOR_AGGREGATION = 'WithSensorData/SensorDataExample8.jsonld';
const ERROR_DECLARATION = 'WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld';
const PERSISTENT_DISPOSITION = 'PersistentDisposition-example.jsonld';
const QUERY = 'EPCISQueryDocument.jsonld';

const FIRST = 'epcisBody.eventList[0]';

function first(document: Json): Json {
  return document.epcisBody.eventList[0];
}

interface Case {
  name: string;
  base: string;
  mutate: (document: Json) => void;
  /** For refusals: the path Custodia's error must name. */
  path?: string;
}

interface AgreedCase extends Case {
  verdict: Verdict;
}

interface DocumentedDifference extends Case {
  gs1: Verdict;
  custodia: Verdict;
  reason: string;
}

const refuse = (name: string, base: string, path: string, mutate: (document: Json) => void): AgreedCase => ({ name, base, path, mutate, verdict: 'refuse' });
const accept = (name: string, base: string, mutate: (document: Json) => void): AgreedCase => ({ name, base, mutate, verdict: 'accept' });

const agreed: AgreedCase[] = [
  // Valid variants: other spellings and shapes the standard allows.
  accept('bizStep as a GS1 Web URI', OBJECT_EVENTS, (document) => (first(document).bizStep = 'https://ref.gs1.org/cbv/BizStep-shipping')),
  accept('disposition as a compact IRI with the standard cbv prefix', OBJECT_EVENTS, (document) => (first(document).disposition = 'cbv:Disp-in_transit')),
  accept('a custom bizStep URI', OBJECT_EVENTS, (document) => (first(document).bizStep = 'https://example.com/steps/washing')),
  accept('a custom bizStep with a declared prefix', OBJECT_EVENTS, (document) => (first(document).bizStep = 'example:washing')),
  accept('members in another order', OBJECT_EVENTS, (document) => (document.epcisBody.eventList[0] = Object.fromEntries(Object.entries(first(document)).reverse()))),
  accept('eventTime in UTC', OBJECT_EVENTS, (document) => (first(document).eventTime = '2005-04-04T02:33:31.116Z')),
  accept('eventTimeZoneOffset +14:00', OBJECT_EVENTS, (document) => (first(document).eventTimeZoneOffset = '+14:00')),
  accept('ObjectEvent ADD with ilmd', OBJECT_EVENTS, (document) => {
    first(document).action = 'ADD';
    first(document).ilmd = { 'example:lot': 'L1' };
  }),
  accept('an extension named by an absolute URI', OBJECT_EVENTS, (document) => (first(document)['https://example.com/ns/field'] = { nested: [1, 2] })),
  accept('ObjectEvent with an empty epcList and a quantityList', OBJECT_EVENTS, (document) => {
    first(document).epcList = [];
    first(document).quantityList = [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 3 }];
  }),
  accept('certificationInfo as a list', OBJECT_EVENTS, (document) => (first(document).certificationInfo = ['https://cert.example.com/1', 'https://cert.example.com/2'])),
  accept('AggregationEvent DELETE without children', AGGREGATION, (document) => {
    first(document).action = 'DELETE';
    delete first(document).childEPCs;
    delete first(document).childQuantityList;
  }),
  accept('TransformationEvent with inputs only and a transformationID', TRANSFORMATION, (document) => {
    delete first(document).outputEPCList;
    first(document).transformationID = 'urn:epc:id:gdti:0614141.12345.400';
  }),
  accept('sensor report with an alert and a component', SENSORS, (document) => {
    const report = first(document).sensorElementList[0].sensorReport[0];
    report.exception = 'ALARM_CONDITION';
    report.component = 'latitude';
  }),
  accept('an event-level @context declaring its own prefix', OBJECT_EVENTS, (document) => {
    first(document)['@context'] = { acme: 'https://acme.example.com/voc/' };
    first(document)['acme:shift'] = 'night';
  }),

  // Broken documents: both must refuse, and Custodia must name the field.
  refuse('unknown event type', OBJECT_EVENTS, `${FIRST}.type`, (document) => (first(document).type = 'ObjectEventt')),
  refuse('event type missing', OBJECT_EVENTS, `${FIRST}.type`, (document) => delete first(document).type),
  refuse('action missing', OBJECT_EVENTS, `${FIRST}.action`, (document) => delete first(document).action),
  refuse('action not ADD, OBSERVE or DELETE', OBJECT_EVENTS, `${FIRST}.action`, (document) => (first(document).action = 'MOVE')),
  refuse('action in lower case', OBJECT_EVENTS, `${FIRST}.action`, (document) => (first(document).action = 'observe')),
  refuse('action on a TransformationEvent', TRANSFORMATION, `${FIRST}.action`, (document) => (first(document).action = 'ADD')),
  refuse('eventTime missing', OBJECT_EVENTS, `${FIRST}.eventTime`, (document) => delete first(document).eventTime),
  refuse('eventTime not a date', OBJECT_EVENTS, `${FIRST}.eventTime`, (document) => (first(document).eventTime = 'yesterday')),
  refuse('eventTime without a time zone', OBJECT_EVENTS, `${FIRST}.eventTime`, (document) => (first(document).eventTime = '2005-04-03T20:33:31.116')),
  refuse('eventTime on 30 February', OBJECT_EVENTS, `${FIRST}.eventTime`, (document) => (first(document).eventTime = '2005-02-30T20:33:31Z')),
  refuse('eventTimeZoneOffset missing', OBJECT_EVENTS, `${FIRST}.eventTimeZoneOffset`, (document) => delete first(document).eventTimeZoneOffset),
  refuse('eventTimeZoneOffset beyond +14:00', OBJECT_EVENTS, `${FIRST}.eventTimeZoneOffset`, (document) => (first(document).eventTimeZoneOffset = '+15:00')),
  refuse('eventTimeZoneOffset without leading zero', OBJECT_EVENTS, `${FIRST}.eventTimeZoneOffset`, (document) => (first(document).eventTimeZoneOffset = '-6:00')),
  refuse('eventTimeZoneOffset with 60 minutes', OBJECT_EVENTS, `${FIRST}.eventTimeZoneOffset`, (document) => (first(document).eventTimeZoneOffset = '-06:60')),
  refuse('recordTime not a date', OBJECT_EVENTS, `${FIRST}.recordTime`, (document) => (first(document).recordTime = '2005-13-01T00:00:00Z')),
  refuse('eventID not a URI', OBJECT_EVENTS, `${FIRST}.eventID`, (document) => (first(document).eventID = 'event 1')),
  refuse('certificationInfo not a URI', OBJECT_EVENTS, `${FIRST}.certificationInfo`, (document) => (first(document).certificationInfo = 'certified by us')),
  refuse('epcList not a list', OBJECT_EVENTS, `${FIRST}.epcList`, (document) => (first(document).epcList = 'urn:epc:id:sgtin:0614141.107346.2017')),
  refuse('epcList entry not a URI', OBJECT_EVENTS, `${FIRST}.epcList[1]`, (document) => (first(document).epcList[1] = 'sgtin 0614141.107346.2018')),
  refuse('epcList entry a number', OBJECT_EVENTS, `${FIRST}.epcList[0]`, (document) => (first(document).epcList[0] = 42)),
  refuse('epcList with a repeated EPC', OBJECT_EVENTS, `${FIRST}.epcList[1]`, (document) => (first(document).epcList[1] = first(document).epcList[0])),
  refuse('ObjectEvent about nothing', OBJECT_EVENTS, `${FIRST}.epcList`, (document) => delete first(document).epcList),
  refuse('ilmd with action OBSERVE', OBJECT_EVENTS, `${FIRST}.ilmd`, (document) => (first(document).ilmd = { 'example:lot': 'L1' })),
  refuse('ilmd member without a namespace', TRANSFORMATION, `${FIRST}.ilmd.bestBefore`, (document) => (first(document).ilmd.bestBefore = '2014-12-10')),
  refuse('bizStep misspelled', OBJECT_EVENTS, `${FIRST}.bizStep`, (document) => (first(document).bizStep = 'shiping')),
  refuse('bizStep a number', OBJECT_EVENTS, `${FIRST}.bizStep`, (document) => (first(document).bizStep = 5)),
  refuse('bizStep URN with a word CBV does not define', OBJECT_EVENTS, `${FIRST}.bizStep`, (document) => (first(document).bizStep = 'urn:epcglobal:cbv:bizstep:teleporting')),
  refuse('disposition with a space', OBJECT_EVENTS, `${FIRST}.disposition`, (document) => (first(document).disposition = 'in transit')),
  refuse('bizTransaction without its identifier', OBJECT_EVENTS, `${FIRST}.bizTransactionList[0].bizTransaction`, (document) => delete first(document).bizTransactionList[0].bizTransaction),
  refuse('bizTransaction type misspelled', OBJECT_EVENTS, `${FIRST}.bizTransactionList[0].type`, (document) => (first(document).bizTransactionList[0].type = 'purchase_order')),
  refuse('bizTransaction with an unknown member', OBJECT_EVENTS, `${FIRST}.bizTransactionList[0].comment`, (document) => (first(document).bizTransactionList[0].comment = 'rush')),
  refuse('source without a type', QUANTITY_OBJECT_EVENT, `${FIRST}.sourceList[0].type`, (document) => delete first(document).sourceList[0].type),
  refuse('destination type misspelled', QUANTITY_OBJECT_EVENT, `${FIRST}.destinationList[0].type`, (document) => (first(document).destinationList[0].type = 'carrier')),
  refuse('readPoint without an id', OBJECT_EVENTS, `${FIRST}.readPoint.id`, (document) => (first(document).readPoint = {})),
  refuse('readPoint as a bare string', OBJECT_EVENTS, `${FIRST}.readPoint`, (document) => (first(document).readPoint = 'urn:epc:id:sgln:0614141.07346.1234')),
  refuse('quantity element without epcClass', QUANTITY_OBJECT_EVENT, `${FIRST}.quantityList[0].epcClass`, (document) => delete first(document).quantityList[0].epcClass),
  refuse('quantity as a string', QUANTITY_OBJECT_EVENT, `${FIRST}.quantityList[0].quantity`, (document) => (first(document).quantityList[0].quantity = '200')),
  refuse('uom in lower case', QUANTITY_OBJECT_EVENT, `${FIRST}.quantityList[0].uom`, (document) => (first(document).quantityList[0].uom = 'kgm')),
  refuse('quantity element with an unknown member', QUANTITY_OBJECT_EVENT, `${FIRST}.quantityList[0].unit`, (document) => (first(document).quantityList[0].unit = 'kg')),
  refuse('AggregationEvent ADD without children', AGGREGATION, `${FIRST}.childEPCs`, (document) => {
    first(document).action = 'ADD';
    delete first(document).childEPCs;
    delete first(document).childQuantityList;
  }),
  refuse('childEPCs not a list', AGGREGATION, `${FIRST}.childEPCs`, (document) => (first(document).childEPCs = 'urn:epc:id:sgtin:0614141.107346.2017')),
  refuse('childQuantityList quantity not a number', AGGREGATION, `${FIRST}.childQuantityList[1].quantity`, (document) => (first(document).childQuantityList[1].quantity = { value: 200.5 })),
  refuse('AssociationEvent without parentID', ASSOCIATION, `${FIRST}.parentID`, (document) => delete first(document).parentID),
  refuse('AssociationEvent ADD without children', ASSOCIATION, `${FIRST}.childEPCs`, (document) => {
    delete first(document).childEPCs;
    delete first(document).childQuantityList;
  }),
  refuse('TransactionEvent without bizTransactionList', TRANSACTIONS, `${FIRST}.bizTransactionList`, (document) => delete first(document).bizTransactionList),
  refuse('TransactionEvent with an empty bizTransactionList', TRANSACTIONS, `${FIRST}.bizTransactionList`, (document) => (first(document).bizTransactionList = [])),
  refuse('TransactionEvent ADD about nothing', TRANSACTIONS, `${FIRST}.epcList`, (document) => delete first(document).epcList),
  refuse('TransformationEvent with inputs only', TRANSFORMATION, `${FIRST}.outputEPCList`, (document) => delete first(document).outputEPCList),
  refuse('TransformationEvent with a repeated input', TRANSFORMATION, `${FIRST}.inputEPCList[1]`, (document) => (first(document).inputEPCList[1] = first(document).inputEPCList[0])),
  refuse('persistentDisposition with neither set nor unset', PERSISTENT_DISPOSITION, `${FIRST}.persistentDisposition`, (document) => (first(document).persistentDisposition = {})),
  refuse('persistentDisposition set empty', PERSISTENT_DISPOSITION, `${FIRST}.persistentDisposition.set`, (document) => (first(document).persistentDisposition.set = [])),
  refuse('persistentDisposition with an unknown member', PERSISTENT_DISPOSITION, `${FIRST}.persistentDisposition.keep`, (document) => (first(document).persistentDisposition.keep = ['recalled'])),
  // Found by gs1-differential.test.ts: Custodia compared the spellings, not the dispositions, and accepted this.
  refuse('persistentDisposition set listing one disposition as word and URN', PERSISTENT_DISPOSITION, `${FIRST}.persistentDisposition.set[1]`, (document) =>
    first(document).persistentDisposition.set.push('urn:epcglobal:cbv:disp:completeness_inferred'),
  ),
  refuse('persistentDisposition on an AggregationEvent', AGGREGATION, `${FIRST}.persistentDisposition`, (document) => (first(document).persistentDisposition = { set: ['recalled'] })),
  refuse('errorDeclaration without declarationTime', ERROR_DECLARATION, `${FIRST}.errorDeclaration.declarationTime`, (document) => delete first(document).errorDeclaration.declarationTime),
  refuse('errorDeclaration reason misspelled', ERROR_DECLARATION, `${FIRST}.errorDeclaration.reason`, (document) => (first(document).errorDeclaration.reason = 'wrong')),
  refuse('errorDeclaration member without a namespace', ERROR_DECLARATION, `${FIRST}.errorDeclaration.note`, (document) => (first(document).errorDeclaration.note = 'typo')),
  refuse('sensorElement without sensorReport', SENSORS, `${FIRST}.sensorElementList[0].sensorReport`, (document) => delete first(document).sensorElementList[0].sensorReport),
  refuse('sensorReport list empty', SENSORS, `${FIRST}.sensorElementList[0].sensorReport`, (document) => (first(document).sensorElementList[0].sensorReport = [])),
  refuse('sensorReport without type', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[0].type`, (document) => delete first(document).sensorElementList[0].sensorReport[0].type),
  refuse('sensorReport type misspelled', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[0].type`, (document) => (first(document).sensorElementList[0].sensorReport[0].type = 'Temprature')),
  refuse('sensorReport value as a string', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[0].value`, (document) => (first(document).sensorElementList[0].sensorReport[0].value = '26.0')),
  refuse('sensorReport hexBinaryValue not hexadecimal', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[4].hexBinaryValue`, (document) => (first(document).sensorElementList[0].sensorReport[4].hexBinaryValue = 'XYZ')),
  refuse('sensorReport booleanValue as a string', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[2].booleanValue`, (document) => (first(document).sensorElementList[0].sensorReport[2].booleanValue = 'true')),
  refuse('sensorReport exception misspelled', SENSORS, `${FIRST}.sensorElementList[0].sensorReport[0].exception`, (document) => (first(document).sensorElementList[0].sensorReport[0].exception = 'ALARM')),
  refuse('sensorMetadata time not a date', SENSORS, `${FIRST}.sensorElementList[0].sensorMetadata.time`, (document) => (first(document).sensorElementList[0].sensorMetadata.time = 'noon')),
  refuse('sensorMetadata member without a namespace', SENSOR_AGGREGATION, `${FIRST}.sensorElementList[0].sensorMetadata.battery`, (document) => (first(document).sensorElementList[0].sensorMetadata.battery = 'low')),
  refuse('event member without a namespace', OBJECT_EVENTS, `${FIRST}.myField`, (document) => (first(document).myField = 'x')),
  refuse('document without @context', OBJECT_EVENTS, '["@context"]', (document) => delete document['@context']),
  refuse('@context a number', OBJECT_EVENTS, '["@context"]', (document) => (document['@context'] = 42)),
  refuse('@context listing one entry twice', OBJECT_EVENTS, '["@context"][1]', (document) => (document['@context'] = [document['@context'][0], document['@context'][0]])),
  refuse('document without schemaVersion', OBJECT_EVENTS, 'schemaVersion', (document) => delete document.schemaVersion),
  refuse('schemaVersion not a version', OBJECT_EVENTS, 'schemaVersion', (document) => (document.schemaVersion = 'two')),
  refuse('creationDate not a date', OBJECT_EVENTS, 'creationDate', (document) => (document.creationDate = '11 July 2005')),
  refuse('document id not a URI', OBJECT_EVENTS, 'id', (document) => (document.id = 'document 1')),
  refuse('document type unknown', OBJECT_EVENTS, 'type', (document) => (document.type = 'EPCISDoc')),
  refuse('document without epcisBody', OBJECT_EVENTS, 'epcisBody', (document) => delete document.epcisBody),
  refuse('epcisBody without eventList', OBJECT_EVENTS, 'epcisBody.eventList', (document) => (document.epcisBody = {})),
  refuse('eventList not a list', OBJECT_EVENTS, 'epcisBody.eventList', (document) => (document.epcisBody.eventList = first(document))),
  refuse('document member without a namespace', OBJECT_EVENTS, 'comment', (document) => (document.comment = 'hello')),
  refuse('query document without queryName', QUERY, 'epcisBody.queryResults.queryName', (document) => delete document.epcisBody.queryResults.queryName),
  refuse('query results without eventList', QUERY, 'epcisBody.queryResults.resultsBody.eventList', (document) => (document.epcisBody.queryResults.resultsBody = {})),
  refuse('query document event with a bad action', QUERY, 'epcisBody.queryResults.resultsBody.eventList[1].action', (document) => (document.epcisBody.queryResults.resultsBody.eventList[1].action = 'MOVE')),
];

const differences: DocumentedDifference[] = [
  {
    name: 'CBV URN spelling of a business step',
    base: OBJECT_EVENTS,
    mutate: (document) => (first(document).bizStep = 'urn:epcglobal:cbv:bizstep:shipping'),
    gs1: 'refuse',
    custodia: 'accept',
    reason:
      "GS1's JSON schema keeps the urn:epcglobal:cbv namespace out of JSON to make bare words the only JSON spelling; CBV 2.0 still defines the URN form, EPCIS XML and 1.x data use it, and Custodia's design accepts CBV values by word or URI (normalised to the word).",
  },
  {
    name: 'CBV URN spelling of a business transaction type',
    base: OBJECT_EVENTS,
    mutate: (document) => (first(document).bizTransactionList[0].type = 'urn:epcglobal:cbv:btt:po'),
    gs1: 'refuse',
    custodia: 'accept',
    reason: 'As above, for business transaction types (CBV 2.0 section 7.3).',
  },
  {
    name: 'GS1 Web Vocabulary URI of a measurement type',
    base: SENSORS,
    mutate: (document) => (first(document).sensorElementList[0].sensorReport[0].type = 'https://gs1.org/voc/Temperature'),
    gs1: 'refuse',
    custodia: 'accept',
    reason: "GS1's schema refuses gs1.org/voc URIs so that JSON uses the bare word; the URI is the term's own identifier, and Custodia accepts standard values by word or URI.",
  },
  {
    name: "a made-up word in GS1's CBV Web URI namespace",
    base: OBJECT_EVENTS,
    path: `${FIRST}.bizStep`,
    mutate: (document) => (first(document).bizStep = 'https://ref.gs1.org/cbv/BizStep-teleporting'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: "GS1's schema only keeps ns.gs1.org/cbv out of custom URIs, not ref.gs1.org/cbv, where CBV 2.0's own Web URIs live; a value there that CBV does not define is a typo or an invention in GS1's namespace.",
  },
  {
    name: 'a made-up word through the standard cbv prefix',
    base: OBJECT_EVENTS,
    path: `${FIRST}.disposition`,
    mutate: (document) => (first(document).disposition = 'cbv:Disp-in-transit'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'GS1 checks only URI syntax; the compact IRI expands to https://ref.gs1.org/cbv/Disp-in-transit, which CBV does not define.',
  },
  {
    name: 'AggregationEvent ADD without parentID',
    base: SENSOR_AGGREGATION,
    path: `${FIRST}.parentID`,
    mutate: (document) => delete first(document).parentID,
    gs1: 'accept',
    custodia: 'refuse',
    reason:
      "The EPCIS standard's AggregationEvent makes parentID optional only for OBSERVE (the parent may not be seen); ADD and DELETE change an aggregation that later events must name. GS1's schema leaves it optional always.",
  },
  {
    name: 'childEPCs with a repeated EPC',
    base: AGGREGATION,
    path: `${FIRST}.childEPCs[1]`,
    mutate: (document) => (first(document).childEPCs[1] = first(document).childEPCs[0]),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'childEPCs is a set like epcList (the EPCIS context declares it @set); GS1 enforces uniqueItems on epcList but not on childEPCs.',
  },
  {
    name: 'persistentDisposition listing one disposition as word and Web URI',
    base: PERSISTENT_DISPOSITION,
    path: `${FIRST}.persistentDisposition.set[1]`,
    mutate: (document) => first(document).persistentDisposition.set.push('https://ref.gs1.org/cbv/Disp-completeness_inferred'),
    gs1: 'accept',
    custodia: 'refuse',
    reason:
      "set and unset are sets of dispositions; GS1's uniqueItems compares spellings, and refuses the URN spelling anyway, but lets the Web URI repeat the word. Found by gs1-differential.test.ts (children-are-a-set).",
  },
  {
    name: 'a lone UTF-16 surrogate in a string',
    base: SENSORS,
    path: `${FIRST}.sensorElementList[0].sensorReport[0].stringValue`,
    mutate: (document) => (first(document).sensorElementList[0].sensorReport[0].stringValue = 'x\uD800'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'RFC 8785 canonical JSON (event hashes, state) has no encoding for a lone surrogate; JSON text can carry one as an escape. Found by gs1-differential.test.ts.',
  },
  {
    name: 'a lone UTF-16 surrogate in a @context object (validation threw here before)',
    base: OBJECT_EVENTS,
    path: '["@context"][1].example',
    mutate: (document) => (document['@context'][1] = { example: '\uD800' }),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'As above; the check of repeated context entries canonicalised the entry before its own check had refused it, and threw. Found by gs1-differential.test.ts.',
  },
  {
    name: 'uom without quantity',
    base: QUANTITY_OBJECT_EVENT,
    path: `${FIRST}.quantityList[0].uom`,
    mutate: (document) => delete first(document).quantityList[0].quantity,
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'In the EPCIS XML schema uom sits inside the optional quantity sequence: a unit qualifies a quantity and means nothing alone.',
  },
  {
    name: 'negative quantity',
    base: QUANTITY_OBJECT_EVENT,
    path: `${FIRST}.quantityList[0].quantity`,
    mutate: (document) => (first(document).quantityList[0].quantity = -200),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'Custodia balances transformation inputs and outputs; an amount of goods below zero would let a transformation create goods from nothing.',
  },
  {
    name: 'an event type of the user\'s own',
    base: OBJECT_EVENTS,
    path: `${FIRST}.type`,
    mutate: (document) => (first(document).type = 'https://example.com/events/InspectionEvent'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: "GS1's schema lets any URI-typed event through as an Extended-Event with only the common members; Custodia's rules are written for the five standard types and could not judge custody for another.",
  },
  {
    name: 'readPoint with a member without a namespace',
    base: OBJECT_EVENTS,
    path: `${FIRST}.readPoint.name`,
    mutate: (document) => (first(document).readPoint.name = 'dock 4'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: "GS1's schema leaves readPoint and bizLocation open to any member; EPCIS 2.0 allows only extensions there, which Custodia treats like extensions everywhere else.",
  },
  {
    name: 'epcisBody with a member without a namespace',
    base: OBJECT_EVENTS,
    path: 'epcisBody.note',
    mutate: (document) => (document.epcisBody.note = 'x'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: "GS1's schema restricts member names on the query document's body but not on EPCISDocument's; Custodia applies the extension rule to both.",
  },
  {
    name: 'timestamp with a space instead of T',
    base: OBJECT_EVENTS,
    path: `${FIRST}.eventTime`,
    mutate: (document) => (first(document).eventTime = '2005-04-03 20:33:31.116-06:00'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: "ajv-formats reads `date-time` loosely (RFC 3339's note on readability); the EPCIS context types eventTime as xsd:dateTimeStamp, which requires T.",
  },
  {
    name: 'timestamp offset without a colon',
    base: OBJECT_EVENTS,
    path: `${FIRST}.eventTime`,
    mutate: (document) => (first(document).eventTime = '2005-04-03T20:33:31.116-0600'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'RFC 3339 and xsd:dateTimeStamp both write the offset as ±hh:mm; ajv-formats also takes ±hhmm.',
  },
  {
    name: 'timestamp on a leap second',
    base: OBJECT_EVENTS,
    path: `${FIRST}.eventTime`,
    mutate: (document) => (first(document).eventTime = '2016-12-31T23:59:60Z'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'xsd:dateTimeStamp (XML Schema 1.1) has no leap seconds, and an instant must have one spelling for hashing.',
  },
  {
    name: 'timestamp offset beyond ±14:00',
    base: OBJECT_EVENTS,
    path: `${FIRST}.eventTime`,
    mutate: (document) => (first(document).eventTime = '2005-04-03T20:33:31.116+15:00'),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'XML Schema 1.1 limits time zones to ±14:00, as GS1 itself does for eventTimeZoneOffset; ajv-formats allows up to ±23:59.',
  },
  {
    name: 'the same event twice in one document',
    base: OBJECT_EVENTS,
    path: 'epcisBody.eventList[1]',
    mutate: (document) => {
      delete first(document).eventID;
      document.epcisBody.eventList[1] = structuredClone(first(document));
      document.epcisBody.eventList[1].eventTime = '2005-04-04T02:33:31.116Z';
    },
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'The ledger records an event once (content hash, event-hash.ts); a document listing one twice is refused whole rather than half applied. The copy differs only in time zone spelling.',
  },
  {
    name: 'two events with one eventID',
    base: OBJECT_EVENTS,
    path: 'epcisBody.eventList[1].eventID',
    mutate: (document) => (document.epcisBody.eventList[1].eventID = first(document).eventID),
    gs1: 'accept',
    custodia: 'refuse',
    reason: 'eventID identifies one event; two different events under one id cannot both be recorded.',
  },
];

function gs1Verdict(document: unknown): Verdict {
  return gs1(document) ? 'accept' : 'refuse';
}

function build(testCase: Case): Json {
  const document = example(testCase.base);
  testCase.mutate(document);
  return document;
}

function expectNamedRefusal(document: unknown, path: string): void {
  const result = validateEpcisDocument(document);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  const error = result.errors.find((candidate) => candidate.path === path);
  expect(error, `errors were ${JSON.stringify(result.errors)}`).toBeDefined();
  // The message names the field: the last member name of the path.
  const lastName = /(?:^|\.)([A-Za-z@][\w@]*)(?:\[\d+\])*$|\["([^"]+)"\](?:\[\d+\])*$/.exec(path);
  const field = lastName?.[1] ?? lastName?.[2] ?? '';
  expect(error!.message).toContain(field);
}

describe("GS1's JSON schema", () => {
  it('compiles, and accepts every example it ships with', () => {
    expect(gs1Verdict(example(OBJECT_EVENTS))).toBe('accept');
    expect(gs1Verdict(example(QUERY))).toBe('accept');
  });
});

describe('zod schemas agree with GS1 on', () => {
  it('at least 40 broken documents and a dozen valid variants', () => {
    expect(agreed.filter((testCase) => testCase.verdict === 'refuse').length).toBeGreaterThanOrEqual(40);
    expect(agreed.filter((testCase) => testCase.verdict === 'accept').length).toBeGreaterThanOrEqual(12);
  });

  it.each(agreed.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const document = build(testCase);
    expect(gs1Verdict(document), 'GS1 verdict').toBe(testCase.verdict);
    const result = validateEpcisDocument(document);
    if (testCase.verdict === 'accept') {
      expect(result.ok ? [] : result.errors).toEqual([]);
    } else {
      expectNamedRefusal(document, testCase.path!);
    }
  });
});

/**
 * Issue 14: under JSON-LD an undeclared `prefix:rest` is an absolute IRI with scheme `prefix`,
 * and GS1's schema accepts it; Custodia accepts it too, with a warning at its path (it was
 * refused until the differential test, gs1-differential.test.ts, made the disagreement a failure).
 */
const undeclaredPrefixes: Array<Case & { path: string }> = [
  { name: 'extension member with an undeclared prefix', base: OBJECT_EVENTS, path: `${FIRST}["exmaple:myField"]`, mutate: (document) => (first(document)['exmaple:myField'] = 'x') },
  { name: 'custom business step with an undeclared prefix', base: OBJECT_EVENTS, path: `${FIRST}.bizStep`, mutate: (document) => (first(document).bizStep = 'acme:washing') },
  {
    name: 'undeclared prefix inside an extension value',
    base: OBJECT_EVENTS,
    path: `${FIRST}["example:myField"]["acme:detail"]`,
    mutate: (document) => (first(document)['example:myField'] = { 'acme:detail': 1 }),
  },
  { name: 'ilmd member with an undeclared prefix', base: TRANSFORMATION, path: `${FIRST}.ilmd["acme:lot"]`, mutate: (document) => (first(document).ilmd['acme:lot'] = 'L7') },
  { name: 'undeclared prefix on a document member', base: OBJECT_EVENTS, path: '["foo:bar"]', mutate: (document) => (document['foo:bar'] = true) },
  { name: 'disposition with an undeclared prefix', base: OBJECT_EVENTS, path: `${FIRST}.disposition`, mutate: (document) => (first(document).disposition = 'foo:bar') },
];

describe('undeclared prefixes: accepted by both, with a warning naming the path', () => {
  it.each(undeclaredPrefixes.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const document = build(testCase);
    expect(gs1Verdict(document), 'GS1 verdict').toBe('accept');
    const result = validateEpcisDocument(document);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.ok ? result.warnings?.map((warning) => warning.path) : undefined).toEqual([testCase.path]);
  });
});

describe('documented differences from GS1', () => {
  it.each(differences.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    expect(testCase.reason.length).toBeGreaterThan(20);
    const document = build(testCase);
    expect(gs1Verdict(document), 'GS1 verdict').toBe(testCase.gs1);
    if (testCase.custodia === 'accept') {
      const result = validateEpcisDocument(document);
      expect(result.ok ? [] : result.errors).toEqual([]);
    } else {
      expectNamedRefusal(document, testCase.path!);
    }
  });
});

describe('a lone event (GS1 root schema for an event on its own)', () => {
  const lone = (): Json => ({ '@context': example(OBJECT_EVENTS)['@context'], ...first(example(OBJECT_EVENTS)) });

  it('is accepted by both with its @context', () => {
    expect(gs1Verdict(lone())).toBe('accept');
    expect(validateEpcisEvent(lone()).ok).toBe(true);
  });

  it('is refused by both without @context, naming it', () => {
    const event = lone();
    delete event['@context'];
    expect(gs1Verdict(event)).toBe('refuse');
    const result = validateEpcisEvent(event);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toContain('["@context"]');
  });

  it('is refused by both with a bad action, naming it', () => {
    const event = lone();
    event.action = 'MOVE';
    expect(gs1Verdict(event)).toBe('refuse');
    const result = validateEpcisEvent(event);
    expect(result.ok ? [] : result.errors).toEqual([{ path: 'action', message: 'action must be ADD, OBSERVE or DELETE' }]);
  });
});
