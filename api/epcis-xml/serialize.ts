/**
 * serializeEpcisXml: an EPCIS 2.0 JSON-LD document (as validateEpcisDocument returns it) as
 * EPCIS 2.0 XML (EPCIS 2.0 section 9.3, element order of GS1's epcglobal-epcis-2_0.xsd), for
 * query answers in XML. It is the inverse of parseEpcisXml for everything XML can say:
 * parseEpcisXml(serializeEpcisXml(document).xml) gives the document back up to the
 * normalisation docs/epcis-xml.md, "Round trip", lists. What XML cannot say (a document `id`,
 * a member name that is no XML name, a list inside a list) is left out and reported as a
 * warning, never silently.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { declaredPrefixes, expandName, type PrefixMap } from '../../contracts/epcis/context.js';
import { VOCABULARIES, standardWord, type VocabularyKind } from '../../contracts/epcis/index.js';
import { readName } from '../../contracts/epcis/uri.js';
import { EPCIS_2_NAMESPACE, EPCIS_QUERY_2_NAMESPACE } from './namespaces.js';
import type { EpcisXmlWarning } from './problems.js';
import type { JsonObject } from './read-values.js';
import { NCNAME, QNAME_VALUED_VOCABULARIES, SENSOR_METADATA_ATTRIBUTES, SENSOR_REPORT_VOCABULARY, XSD_NAMESPACE } from './schema-names.js';
import { node, renderXml, type XmlNode } from './xml-writer.js';
import { XSI_NAMESPACE } from './xml-tree.js';

const COMMON_MEMBERS = ['eventTime', 'recordTime', 'eventTimeZoneOffset', 'certificationInfo', 'eventID', 'errorDeclaration'];
const WHY_AND_WHERE = ['bizStep', 'disposition', 'readPoint', 'bizLocation', 'bizTransactionList'];

/** Member order of each event type in the EPCIS 2.0 XML schema. */
const EVENT_MEMBER_ORDER: Readonly<Record<string, readonly string[]>> = {
  ObjectEvent: [...COMMON_MEMBERS, 'epcList', 'action', ...WHY_AND_WHERE, 'quantityList', 'sourceList', 'destinationList', 'sensorElementList', 'persistentDisposition', 'ilmd'],
  AggregationEvent: [...COMMON_MEMBERS, 'parentID', 'childEPCs', 'action', ...WHY_AND_WHERE, 'childQuantityList', 'sourceList', 'destinationList', 'sensorElementList'],
  TransactionEvent: [...COMMON_MEMBERS, 'bizTransactionList', 'parentID', 'epcList', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'quantityList', 'sourceList', 'destinationList', 'sensorElementList'],
  TransformationEvent: [
    ...COMMON_MEMBERS, 'inputEPCList', 'inputQuantityList', 'outputEPCList', 'outputQuantityList', 'transformationID', ...WHY_AND_WHERE,
    'sourceList', 'destinationList', 'sensorElementList', 'persistentDisposition', 'ilmd',
  ],
  AssociationEvent: [...COMMON_MEMBERS, 'parentID', 'childEPCs', 'childQuantityList', 'action', ...WHY_AND_WHERE, 'sourceList', 'destinationList', 'sensorElementList'],
};

/** Lists the XML schema requires even when empty. */
const REQUIRED_LISTS: Readonly<Record<string, string>> = { ObjectEvent: 'epcList', AggregationEvent: 'childEPCs', TransactionEvent: 'epcList' };


function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** XML prefixes for the namespaces the output uses, each prefix bound once. */
class XmlPrefixes {
  readonly declarations = new Map<string, string>();
  private readonly byNamespace = new Map<string, string>();

  prefix(namespace: string, preferred: string): string {
    const known = this.byNamespace.get(namespace);
    if (known !== undefined) return known;
    const base = NCNAME.test(preferred) && !preferred.toLowerCase().startsWith('xml') ? preferred : 'ns';
    let prefix = base;
    for (let counter = 2; this.declarations.has(prefix); counter++) prefix = `${base}${counter}`;
    this.declarations.set(prefix, namespace);
    this.byNamespace.set(namespace, prefix);
    return prefix;
  }
}

interface WriteContext {
  prefixes: PrefixMap;
  xml: XmlPrefixes;
  warnings: EpcisXmlWarning[];
}

function leaveOut(context: WriteContext, path: string, why: string): void {
  context.warnings.push({ code: 'unrepresentable-member', message: `${why}; it was left out of the XML`, path });
}

/** The XML name of a JSON-LD extension member, or undefined when XML has none. */
function extensionElementName(name: string, context: WriteContext, path: string): string | undefined {
  const reading = readName(name);
  if (reading.kind === 'compact') {
    const namespace = context.prefixes.get(reading.prefix);
    if (namespace !== undefined && NCNAME.test(reading.suffix)) return `${context.xml.prefix(namespace, reading.prefix)}:${reading.suffix}`;
  } else if (reading.kind === 'absolute') {
    const cut = Math.max(name.lastIndexOf('#'), name.lastIndexOf('/'));
    const local = name.slice(cut + 1);
    if (cut > 0 && NCNAME.test(local)) return `${context.xml.prefix(name.slice(0, cut + 1), 'ns')}:${local}`;
  } else if (NCNAME.test(name)) {
    return name;
  }
  leaveOut(context, path, `member ${JSON.stringify(name)} has no XML name (a compact IRI needs a declared prefix and an XML local name)`);
  return undefined;
}

function typeAttribute(context: WriteContext, local: string): [string, string] {
  return [`${context.xml.prefix(XSI_NAMESPACE, 'xsi')}:type`, `${context.xml.prefix(XSD_NAMESPACE, 'xsd')}:${local}`];
}

/** One extension member as elements (one per entry when its value is a list). */
function extensionElements(name: string, value: JsonValue, context: WriteContext, path: string): XmlNode[] {
  const elementName = extensionElementName(name, context, path);
  if (elementName === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  const nodes: XmlNode[] = [];
  items.forEach((item, index) => {
    const itemPath = Array.isArray(value) ? `${path}[${index}]` : path;
    if (Array.isArray(item)) {
      leaveOut(context, itemPath, 'a list inside a list has no XML form');
      return;
    }
    nodes.push(extensionElement(elementName, item, context, itemPath));
  });
  return nodes;
}

function extensionElement(elementName: string, value: JsonValue, context: WriteContext, path: string): XmlNode {
  if (value === null) return node(elementName, [], [[`${context.xml.prefix(XSI_NAMESPACE, 'xsi')}:nil`, 'true']]);
  if (typeof value === 'string') return node(elementName, value);
  if (typeof value === 'number') return node(elementName, String(value), [typeAttribute(context, Number.isSafeInteger(value) ? 'integer' : 'double')]);
  if (typeof value === 'boolean') return node(elementName, String(value), [typeAttribute(context, 'boolean')]);
  if (Array.isArray(value)) return node(elementName);
  const text = value['#text'];
  if (text !== undefined) {
    // An object with #text came from an element with attributes and text: its other members are the attributes.
    const attributes: Array<[string, string]> = [];
    for (const [member, memberValue] of Object.entries(value)) {
      if (member === '#text') continue;
      const attributeName = memberValue !== null && typeof memberValue !== 'object' ? extensionElementName(member, context, `${path}.${member}`) : undefined;
      if (attributeName !== undefined) attributes.push([attributeName, String(memberValue)]);
      else if (memberValue === null || typeof memberValue === 'object') leaveOut(context, `${path}.${member}`, 'beside #text only text can be an XML attribute');
    }
    return node(elementName, typeof text === 'string' ? text : asText(text), attributes);
  }
  const children: XmlNode[] = [];
  for (const [member, memberValue] of Object.entries(value)) children.push(...extensionElements(member, memberValue, context, `${path}.${member}`));
  return node(elementName, children);
}

/**
 * A vocabulary value as XML writes it: CBV URN for CBV words, GS1 Web URI for the others; a
 * custom compact IRI as a QName where GS1 writes QNames, else expanded (anyURI has no prefixes).
 */
function vocabularyText(kind: VocabularyKind, value: string, context: WriteContext): string {
  const word = standardWord(kind, value);
  if (word !== undefined) return (VOCABULARIES[kind].urnPrefix ?? VOCABULARIES[kind].webUriPrefix) + word;
  const reading = readName(value);
  if (QNAME_VALUED_VOCABULARIES.has(kind) && reading.kind === 'compact' && NCNAME.test(reading.suffix)) {
    const namespace = context.prefixes.get(reading.prefix);
    if (namespace !== undefined) return `${context.xml.prefix(namespace, reading.prefix)}:${reading.suffix}`;
  }
  const expansion = expandName(value, context.prefixes);
  return expansion.ok ? expansion.iri : value;
}

function textElements(name: string, value: JsonValue | undefined): XmlNode[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => node(name, asText(item)));
}

function listElement(name: string, itemName: string, value: JsonValue | undefined): XmlNode {
  return node(name, (Array.isArray(value) ? value : []).map((item) => node(itemName, asText(item))));
}

function quantityListElement(name: string, value: JsonValue): XmlNode {
  return node(
    name,
    (Array.isArray(value) ? value : []).filter(isObject).map((entry) =>
      node('quantityElement', [
        ...textElements('epcClass', entry['epcClass']),
        ...textElements('quantity', entry['quantity']),
        ...textElements('uom', entry['uom']),
      ]),
    ),
  );
}

function typedListElement(name: string, itemName: string, kind: VocabularyKind, value: JsonValue, context: WriteContext): XmlNode {
  return node(
    name,
    (Array.isArray(value) ? value : []).filter(isObject).map((entry) => {
      const type = entry['type'];
      return node(itemName, asText(entry[itemName] ?? ''), typeof type === 'string' ? [['type', vocabularyText(kind, type, context)]] : []);
    }),
  );
}

/** Members of a standard object that are extensions, as elements after the standard ones. */
function extensionMembers(value: JsonObject, standard: ReadonlySet<string>, context: WriteContext, path: string): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const [member, memberValue] of Object.entries(value)) {
    if (standard.has(member) || member === '@context') continue;
    nodes.push(...extensionElements(member, memberValue, context, `${path}.${member}`));
  }
  return nodes;
}

function locationElement(name: string, value: JsonValue, context: WriteContext, path: string): XmlNode {
  const location = isObject(value) ? value : {};
  return node(name, [...textElements('id', location['id']), ...extensionMembers(location, new Set(['id']), context, path)]);
}

function sensorAttributes(value: JsonObject, known: (member: string) => boolean, convert: (member: string, memberValue: JsonValue) => string, context: WriteContext, path: string): Array<[string, string]> {
  const attributes: Array<[string, string]> = [];
  for (const [member, memberValue] of Object.entries(value)) {
    if (known(member)) {
      attributes.push([member, convert(member, memberValue)]);
      continue;
    }
    const name = memberValue !== null && typeof memberValue !== 'object' ? extensionElementName(member, context, `${path}.${member}`) : undefined;
    if (name !== undefined) attributes.push([name, String(memberValue)]);
    else if (memberValue === null || typeof memberValue === 'object') leaveOut(context, `${path}.${member}`, 'sensor metadata and reports carry extensions as XML attributes, which hold text only');
  }
  return attributes;
}

function sensorElementListElement(value: JsonValue, context: WriteContext, path: string): XmlNode {
  const elements = (Array.isArray(value) ? value : []).filter(isObject).map((element, index) => {
    const elementPath = `${path}[${index}]`;
    const children: XmlNode[] = [];
    const metadata = element['sensorMetadata'];
    if (isObject(metadata)) {
      children.push(node('sensorMetadata', [], sensorAttributes(metadata, (member) => SENSOR_METADATA_ATTRIBUTES.has(member), (_member, memberValue) => asText(memberValue), context, `${elementPath}.sensorMetadata`)));
    }
    const reports = element['sensorReport'];
    (Array.isArray(reports) ? reports : []).filter(isObject).forEach((report, reportIndex) => {
      const convert = (member: string, memberValue: JsonValue): string => {
        const kind = SENSOR_REPORT_VOCABULARY[member];
        return kind !== undefined && typeof memberValue === 'string' ? vocabularyText(kind, memberValue, context) : typeof memberValue === 'string' ? memberValue : String(memberValue);
      };
      const standard = (member: string): boolean => !member.includes(':');
      children.push(node('sensorReport', [], sensorAttributes(report, standard, convert, context, `${elementPath}.sensorReport[${reportIndex}]`)));
    });
    children.push(...extensionMembers(element, new Set(['sensorMetadata', 'sensorReport']), context, elementPath));
    return node('sensorElement', children);
  });
  return node('sensorElementList', elements);
}

function errorDeclarationElement(value: JsonValue, context: WriteContext, path: string): XmlNode {
  const declaration = isObject(value) ? value : {};
  const reason = declaration['reason'];
  const corrective = declaration['correctiveEventIDs'];
  return node('errorDeclaration', [
    ...textElements('declarationTime', declaration['declarationTime']),
    ...(typeof reason === 'string' ? [node('reason', vocabularyText('errorReason', reason, context))] : []),
    ...(corrective === undefined ? [] : [listElement('correctiveEventIDs', 'correctiveEventID', corrective)]),
    ...extensionMembers(declaration, new Set(['declarationTime', 'reason', 'correctiveEventIDs']), context, path),
  ]);
}

function persistentDispositionElement(value: JsonValue, context: WriteContext): XmlNode {
  const disposition = isObject(value) ? value : {};
  const side = (name: 'set' | 'unset'): XmlNode[] => {
    const entries = disposition[name];
    return (Array.isArray(entries) ? entries : []).map((entry) => node(name, vocabularyText('disposition', asText(entry), context)));
  };
  return node('persistentDisposition', [...side('unset'), ...side('set')]);
}

function memberElements(member: string, value: JsonValue, context: WriteContext, path: string): XmlNode[] {
  switch (member) {
    case 'epcList':
    case 'childEPCs':
    case 'inputEPCList':
    case 'outputEPCList':
      return [listElement(member, 'epc', value)];
    case 'quantityList':
    case 'childQuantityList':
    case 'inputQuantityList':
    case 'outputQuantityList':
      return [quantityListElement(member, value)];
    case 'bizStep':
    case 'disposition':
      return [node(member, vocabularyText(member, asText(value), context))];
    case 'readPoint':
    case 'bizLocation':
      return [locationElement(member, value, context, path)];
    case 'bizTransactionList':
      return [typedListElement(member, 'bizTransaction', 'bizTransactionType', value, context)];
    case 'sourceList':
      return [typedListElement(member, 'source', 'sourceDestinationType', value, context)];
    case 'destinationList':
      return [typedListElement(member, 'destination', 'sourceDestinationType', value, context)];
    case 'sensorElementList':
      return [sensorElementListElement(value, context, path)];
    case 'persistentDisposition':
      return [persistentDispositionElement(value, context)];
    case 'errorDeclaration':
      return [errorDeclarationElement(value, context, path)];
    case 'ilmd':
      return [node('ilmd', isObject(value) ? extensionMembers(value, new Set(), context, path) : [])];
    default:
      return textElements(member, value);
  }
}

function eventElement(event: JsonObject, documentPrefixes: PrefixMap, xml: XmlPrefixes, warnings: EpcisXmlWarning[], path: string): XmlNode {
  const type = asText(event['type'] ?? '');
  const context: WriteContext = { prefixes: declaredPrefixes(event['@context'], documentPrefixes), xml, warnings };
  const order = EVENT_MEMBER_ORDER[type] ?? [];
  const children: XmlNode[] = [];
  for (const member of order) {
    const value = event[member];
    if (value === undefined) {
      if (REQUIRED_LISTS[type] === member) children.push(node(member));
      continue;
    }
    children.push(...memberElements(member, value, context, `${path}.${member}`));
  }
  children.push(...extensionMembers(event, new Set(['type', ...order]), context, path));
  return node(type, children);
}

function vocabularyListElement(value: JsonValue): XmlNode {
  return node(
    'VocabularyList',
    (Array.isArray(value) ? value : []).filter(isObject).map((vocabulary) => {
      const elements = vocabulary['vocabularyElementList'];
      return node(
        'Vocabulary',
        elements === undefined
          ? []
          : [
              node(
                'VocabularyElementList',
                (Array.isArray(elements) ? elements : []).filter(isObject).map((element) => {
                  const attributes = element['attributes'];
                  const children = element['children'];
                  return node(
                    'VocabularyElement',
                    [
                      ...(Array.isArray(attributes) ? attributes : []).filter(isObject).map((attribute) => {
                        const content = attribute['attribute'];
                        return node('attribute', content === undefined ? '' : asText(content), [['id', asText(attribute['id'] ?? '')]]);
                      }),
                      ...(children === undefined ? [] : [listElement('children', 'id', children)]),
                    ],
                    [['id', asText(element['id'] ?? '')]],
                  );
                }),
              ),
            ],
        [['type', asText(vocabulary['type'] ?? '')]],
      );
    }),
  );
}

export interface EpcisXmlSerialization {
  xml: string;
  /** Members XML has no form for, left out. */
  warnings: EpcisXmlWarning[];
}

/** An EPCISDocument or EPCISQueryDocument in EPCIS 2.0 JSON-LD form as EPCIS 2.0 XML. */
export function serializeEpcisXml(document: JsonObject, version: '2.0' = '2.0'): EpcisXmlSerialization {
  const warnings: EpcisXmlWarning[] = [];
  const xml = new XmlPrefixes();
  const documentPrefixes = declaredPrefixes(document['@context']);
  const query = document['type'] === 'EPCISQueryDocument';
  const epcisPrefix = xml.prefix(query ? EPCIS_QUERY_2_NAMESPACE : EPCIS_2_NAMESPACE, query ? 'epcisq' : 'epcis');
  const body = isObject(document['epcisBody']) ? document['epcisBody'] : {};
  const events = (list: JsonValue | undefined, path: string): XmlNode =>
    node('EventList', (Array.isArray(list) ? list : []).filter(isObject).map((event, index) => eventElement(event, documentPrefixes, xml, warnings, `${path}[${index}]`)));
  let bodyNode: XmlNode;
  if (query) {
    const results = isObject(body['queryResults']) ? body['queryResults'] : {};
    const resultsBody = isObject(results['resultsBody']) ? results['resultsBody'] : {};
    bodyNode = node('EPCISBody', [
      node(`${epcisPrefix}:QueryResults`, [
        ...textElements('queryName', results['queryName']),
        ...textElements('subscriptionID', results['subscriptionID']),
        node('resultsBody', [
          events(resultsBody['eventList'], 'epcisBody.queryResults.resultsBody.eventList'),
          ...(resultsBody['vocabularyList'] === undefined ? [] : [vocabularyListElement(resultsBody['vocabularyList'])]),
        ]),
      ]),
    ]);
  } else {
    bodyNode = node('EPCISBody', [events(body['eventList'], 'epcisBody.eventList')]);
  }
  const headerParts: XmlNode[] = [];
  const sbdhParts: XmlNode[] = [];
  const sbdh = (local: string): string => `${xml.prefix('http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader', 'sbdh')}:${local}`;
  for (const party of ['sender', 'receiver'] as const) {
    const identifier = document[party];
    if (typeof identifier === 'string') sbdhParts.push(node(sbdh(party === 'sender' ? 'Sender' : 'Receiver'), [node(sbdh('Identifier'), identifier)]));
  }
  if (typeof document['instanceIdentifier'] === 'string') {
    sbdhParts.push(node(sbdh('DocumentIdentification'), [node(sbdh('InstanceIdentifier'), document['instanceIdentifier'])]));
  }
  if (sbdhParts.length > 0) headerParts.push(node(sbdh('StandardBusinessDocumentHeader'), sbdhParts));
  const header = isObject(document['epcisHeader']) ? document['epcisHeader'] : undefined;
  const masterData = header !== undefined && isObject(header['epcisMasterData']) ? header['epcisMasterData'] : undefined;
  if (masterData !== undefined && masterData['vocabularyList'] !== undefined) {
    headerParts.push(node('extension', [node('EPCISMasterData', [vocabularyListElement(masterData['vocabularyList'])])]));
  }
  if (document['id'] !== undefined) leaveOut({ prefixes: documentPrefixes, xml, warnings }, 'id', 'the document id has no element or attribute in EPCIS XML');
  const context: WriteContext = { prefixes: documentPrefixes, xml, warnings };
  const documentStandard = new Set(['@context', 'id', 'type', 'schemaVersion', 'creationDate', 'instanceIdentifier', 'sender', 'receiver', 'epcisHeader', 'epcisBody']);
  const rootChildren = [...(headerParts.length > 0 ? [node('EPCISHeader', headerParts)] : []), bodyNode, ...extensionMembers(document, documentStandard, context, '')];
  const rootAttributes: Array<[string, string]> = [
    ['schemaVersion', version],
    ...(typeof document['creationDate'] === 'string' ? [['creationDate', document['creationDate']] as [string, string]] : []),
  ];
  // Declarations last: only now is every namespace the body used known.
  const declarations: Array<[string, string]> = [...xml.declarations].map(([prefix, namespace]) => [`xmlns:${prefix}`, namespace]);
  const root = node(`${epcisPrefix}:${query ? 'EPCISQueryDocument' : 'EPCISDocument'}`, rootChildren, [...declarations, ...rootAttributes]);
  return { xml: renderXml(root), warnings };
}
