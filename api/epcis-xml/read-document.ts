/**
 * EPCIS XML documents as EPCIS 2.0 JSON-LD documents (EPCIS 2.0 sections 9.3 and 9.4; EPCIS
 * 1.2 section 9.5): EPCISDocument (capture) and EPCISQueryDocument (query results), the
 * version told by the root element's namespace, the header's SBDH identifiers and master data,
 * and the events, which EPCIS 1.2 nests in `<extension>` when they are newer than 1.0.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import {
  EPCIS_1_NAMESPACE,
  EPCIS_2_NAMESPACE,
  EPCIS_MASTERDATA_1_NAMESPACE,
  EPCIS_MASTERDATA_2_NAMESPACE,
  EPCIS_QUERY_1_NAMESPACE,
  EPCIS_QUERY_2_NAMESPACE,
  SBDH_NAMESPACE,
} from './namespaces.js';
import { refuse } from './problems.js';
import { EVENT_ELEMENTS, readEvent } from './read-events.js';
import { addExtensionAttributes, addExtensionElement, extensionValue, textOf, type JsonObject, type ReadContext } from './read-values.js';
import { attributeValue, trimXmlSpace, type XmlElement } from './xml-tree.js';

export type EpcisXmlVersion = '2.0' | '1.2';

const DOCUMENT_NAMESPACES: Readonly<Record<string, { kind: 'EPCISDocument' | 'EPCISQueryDocument'; version: EpcisXmlVersion }>> = {
  [EPCIS_2_NAMESPACE]: { kind: 'EPCISDocument', version: '2.0' },
  [EPCIS_1_NAMESPACE]: { kind: 'EPCISDocument', version: '1.2' },
  [EPCIS_QUERY_2_NAMESPACE]: { kind: 'EPCISQueryDocument', version: '2.0' },
  [EPCIS_QUERY_1_NAMESPACE]: { kind: 'EPCISQueryDocument', version: '1.2' },
};

const ROOT_ATTRIBUTES: ReadonlySet<string> = new Set(['schemaVersion', 'creationDate']);

/** Which document and version the root element is, or a refusal. */
export function documentKind(root: XmlElement, context: ReadContext): { kind: 'EPCISDocument' | 'EPCISQueryDocument'; version: EpcisXmlVersion } {
  if (root.local !== 'EPCISDocument' && root.local !== 'EPCISQueryDocument') {
    refuse('not-epcis', `the root element is ${root.local}; expected EPCISDocument or EPCISQueryDocument`, root.path);
  }
  const known = DOCUMENT_NAMESPACES[root.namespace];
  if (known !== undefined && known.kind === root.local) return known;
  if (root.namespace !== '') {
    refuse('not-epcis', `${root.local} is in namespace ${root.namespace}; expected ${root.local === 'EPCISDocument' ? `${EPCIS_2_NAMESPACE} or ${EPCIS_1_NAMESPACE}` : `${EPCIS_QUERY_2_NAMESPACE} or ${EPCIS_QUERY_1_NAMESPACE}`}`, root.path);
  }
  // GS1's own 1.2 examples sometimes leave the root unqualified; the schemaVersion then decides.
  const schemaVersion = trimXmlSpace(attributeValue(root, 'schemaVersion') ?? '');
  const version = schemaVersion.startsWith('2') ? '2.0' : schemaVersion.startsWith('1') ? '1.2' : undefined;
  if (version === undefined) refuse('not-epcis', `${root.local} is in no namespace and has no schemaVersion to tell the EPCIS version`, root.path);
  context.warnings.push({ code: 'root-without-namespace', message: `${root.local} is in no namespace; read as EPCIS ${version} from its schemaVersion "${schemaVersion}"`, path: root.path });
  return { kind: root.local, version };
}

function child(element: XmlElement, local: string, namespaces: readonly string[] = ['']): XmlElement | undefined {
  const found = element.children.filter((candidate) => candidate.local === local && namespaces.includes(candidate.namespace));
  if (found.length > 1) refuse('repeated-element', `${local} appears more than once`, found[1]!.path);
  return found[0];
}

/** The SBDH identifiers EPCIS 2.0 JSON-LD carries at the top of a document (EPCIS 2.0 section 9.4.3). */
function readStandardBusinessDocumentHeader(header: XmlElement, document: JsonObject, context: ReadContext): void {
  const identifierOf = (partyName: string): string | undefined => {
    const party = child(header, partyName, [SBDH_NAMESPACE]);
    const identifier = party === undefined ? undefined : child(party, 'Identifier', [SBDH_NAMESPACE]);
    return identifier === undefined ? undefined : textOf(identifier);
  };
  const sender = identifierOf('Sender');
  const receiver = identifierOf('Receiver');
  const documentIdentification = child(header, 'DocumentIdentification', [SBDH_NAMESPACE]);
  const instance = documentIdentification === undefined ? undefined : child(documentIdentification, 'InstanceIdentifier', [SBDH_NAMESPACE]);
  if (sender !== undefined) document['sender'] = sender;
  if (receiver !== undefined) document['receiver'] = receiver;
  if (instance !== undefined) document['instanceIdentifier'] = textOf(instance);
  context.warnings.push({
    code: 'ignored-element',
    message: 'of the StandardBusinessDocumentHeader only Sender and Receiver identifiers and the InstanceIdentifier have EPCIS 2.0 JSON-LD members; the rest was left out',
    path: header.path,
  });
}

function readVocabularyList(list: XmlElement, context: ReadContext): JsonObject[] {
  return list.children
    .filter((vocabulary) => vocabulary.local === 'Vocabulary')
    .map((vocabulary) => {
      const value: JsonObject = { type: trimXmlSpace(attributeValue(vocabulary, 'type') ?? '') };
      const elements = child(vocabulary, 'VocabularyElementList');
      if (elements !== undefined) {
        value['vocabularyElementList'] = elements.children
          .filter((element) => element.local === 'VocabularyElement')
          .map((element) => {
            const entry: JsonObject = { id: trimXmlSpace(attributeValue(element, 'id') ?? '') };
            const attributes = element.children.filter((attribute) => attribute.namespace === '' && attribute.local === 'attribute');
            if (attributes.length > 0) {
              entry['attributes'] = attributes.map((attribute) => {
                const item: JsonObject = { id: trimXmlSpace(attributeValue(attribute, 'id') ?? '') };
                const content: JsonValue =
                  attribute.children.length === 0 ? trimXmlSpace(attribute.text) : (extensionValue({ ...attribute, attributes: attribute.attributes.filter((a) => a.local !== 'id' || a.namespace !== '') }, context));
                if (content !== '') item['attribute'] = content;
                return item;
              });
            }
            const children = child(element, 'children');
            if (children !== undefined) entry['children'] = children.children.filter((id) => id.local === 'id').map(textOf);
            return entry;
          });
      }
      return value;
    });
}

function readHeader(header: XmlElement, document: JsonObject, context: ReadContext): void {
  const sbdh = child(header, 'StandardBusinessDocumentHeader', [SBDH_NAMESPACE]);
  if (sbdh !== undefined) readStandardBusinessDocumentHeader(sbdh, document, context);
  // EPCIS 1.2 puts master data in the header's <extension>; EPCIS 2.0 XML schemas in either place.
  const masterDataNamespaces = ['', EPCIS_MASTERDATA_2_NAMESPACE, EPCIS_MASTERDATA_1_NAMESPACE];
  const extension = child(header, 'extension');
  const masterData = child(header, 'EPCISMasterData', masterDataNamespaces) ?? (extension === undefined ? undefined : child(extension, 'EPCISMasterData', masterDataNamespaces));
  const vocabularyList = masterData === undefined ? undefined : child(masterData, 'VocabularyList');
  if (vocabularyList !== undefined) document['epcisHeader'] = { epcisMasterData: { vocabularyList: readVocabularyList(vocabularyList, context) } };
}

/** The events of an EventList, looking through EPCIS 1.2's `<extension>` and `<extension><extension>`. */
function readEventList(list: XmlElement, context: ReadContext): JsonObject[] {
  const events: JsonObject[] = [];
  const visit = (container: XmlElement): void => {
    for (const element of container.children) {
      if (element.namespace === '' && EVENT_ELEMENTS.has(element.local)) events.push(readEvent(element, context));
      else if (element.namespace === '' && element.local === 'extension') visit(element);
      else if (element.namespace === '' && element.local === 'QuantityEvent') {
        refuse('unsupported-event-type', 'QuantityEvent was deprecated in EPCIS 1.1 and removed in 2.0; send an ObjectEvent with a quantityList', element.path);
      } else if (element.namespace === '') refuse('unknown-element', `${element.local} is not an EPCIS event type`, element.path);
      else {
        context.warnings.push({ code: 'ignored-element', message: `${element.prefix}:${element.local} in the EventList is not an event; it was left out`, path: element.path });
      }
    }
  };
  visit(list);
  return events;
}

function readQueryResults(body: XmlElement, version: EpcisXmlVersion, context: ReadContext): JsonObject {
  const queryNamespace = version === '2.0' ? EPCIS_QUERY_2_NAMESPACE : EPCIS_QUERY_1_NAMESPACE;
  const results = child(body, 'QueryResults', [queryNamespace, '']);
  if (results === undefined) refuse('not-epcis', 'an EPCISQueryDocument body must hold QueryResults', body.path);
  const queryResults: JsonObject = {};
  const queryName = child(results, 'queryName');
  if (queryName !== undefined) queryResults['queryName'] = textOf(queryName);
  const subscriptionID = child(results, 'subscriptionID');
  if (subscriptionID !== undefined) queryResults['subscriptionID'] = textOf(subscriptionID);
  const resultsBody = child(results, 'resultsBody');
  const eventList = resultsBody === undefined ? undefined : child(resultsBody, 'EventList');
  const vocabularyList = resultsBody === undefined ? undefined : child(resultsBody, 'VocabularyList');
  const bodyValue: JsonObject = { eventList: eventList === undefined ? [] : readEventList(eventList, context) };
  if (vocabularyList !== undefined) bodyValue['vocabularyList'] = readVocabularyList(vocabularyList, context);
  queryResults['resultsBody'] = bodyValue;
  return queryResults;
}

/** The root element as an EPCIS 2.0 JSON-LD document, without its @context (the caller adds it last, once every prefix is known). */
export function readDocument(root: XmlElement, context: ReadContext): { document: JsonObject; version: EpcisXmlVersion } {
  const { kind, version } = documentKind(root, context);
  const document: JsonObject = { type: kind };
  document['schemaVersion'] = '2.0';
  const creationDate = attributeValue(root, 'creationDate');
  if (creationDate !== undefined) document['creationDate'] = trimXmlSpace(creationDate);
  addExtensionAttributes(document, root, context, ROOT_ATTRIBUTES);
  const header = child(root, 'EPCISHeader');
  if (header !== undefined) readHeader(header, document, context);
  const body = child(root, 'EPCISBody');
  if (body === undefined) refuse('not-epcis', `${kind} must have an EPCISBody`, root.path);
  if (kind === 'EPCISDocument') {
    const eventList = child(body, 'EventList');
    document['epcisBody'] = { eventList: eventList === undefined ? [] : readEventList(eventList, context) };
  } else {
    document['epcisBody'] = { queryResults: readQueryResults(body, version, context) };
  }
  for (const element of root.children) {
    if (element.namespace !== '') addExtensionElement(document, element, context);
  }
  if (version === '1.2') {
    context.warnings.push({ code: 'converted-from-1.2', message: 'an EPCIS 1.2 document, converted to the EPCIS 2.0 JSON-LD form (CBV URNs as bare words, extension wrappers flattened)', path: root.path });
  }
  return { document, version };
}
