/**
 * EPCIS events in XML as EPCIS 2.0 JSON-LD events (EPCIS 2.0 section 9.3 XML schema, section
 * 9.4 JSON-LD; EPCIS 1.2 section 9.5). One reader serves both versions: EPCIS 1.2 put the
 * fields added after 1.0 inside `<extension>` wrappers (`<baseExtension>` for eventID and
 * errorDeclaration; quantityList, sourceList, destinationList and ilmd in an event's
 * `<extension>`; sensorElementList and persistentDisposition one level further in), and the
 * reader looks through the wrappers. Which members an event type may carry is left to
 * validateEpcisDocument, which names the member and the rule.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { VocabularyKind } from '../../contracts/epcis/index.js';
import { refuse } from './problems.js';
import { SENSOR_METADATA_ATTRIBUTES, SENSOR_REPORT_VOCABULARY } from './schema-names.js';
import {
  addExtensionAttributes,
  addExtensionElement,
  booleanFromText,
  isNilElement,
  numberFromText,
  textOf,
  vocabularyValue,
  type JsonObject,
  type ReadContext,
} from './read-values.js';
import { attributeValue, trimXmlSpace, type XmlElement } from './xml-tree.js';

export const EVENT_ELEMENTS: ReadonlySet<string> = new Set(['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent']);

/** Elements the standard wraps extension content in, which the reader looks through. */
const WRAPPERS: ReadonlySet<string> = new Set(['extension', 'baseExtension']);

function elementsNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => {
    if (child.namespace === '' && child.local === local) return true;
    refuse('unknown-element', `${element.local} may hold only ${local} elements, not ${child.prefix === '' ? '' : `${child.prefix}:`}${child.local}`, child.path);
  });
}

function identifierList(element: XmlElement, itemName: string): string[] {
  return elementsNamed(element, itemName).map(textOf);
}

function quantityList(element: XmlElement): JsonObject[] {
  return elementsNamed(element, 'quantityElement').map((quantityElement) => {
    const entry: JsonObject = {};
    for (const child of quantityElement.children) {
      if (child.namespace !== '' || !['epcClass', 'quantity', 'uom'].includes(child.local)) {
        refuse('unknown-element', `quantityElement holds epcClass, quantity and uom, not ${child.local}`, child.path);
      }
      if (Object.hasOwn(entry, child.local)) refuse('repeated-element', `${child.local} appears twice`, child.path);
      // xsi:nil quantity: the amount is unknown, which JSON says by leaving quantity out.
      if (child.local === 'quantity' && isNilElement(child)) continue;
      const text = textOf(child);
      entry[child.local] = child.local === 'quantity' ? (numberFromText(text) ?? text) : text;
    }
    return entry;
  });
}

function vocabularyList(element: XmlElement, itemName: string, kind: VocabularyKind, context: ReadContext): string[] {
  return elementsNamed(element, itemName).map((item) => vocabularyValue(kind, textOf(item), item, context));
}

/** bizTransaction, source and destination: the value in the text, its type in an attribute. */
function typedEntries(element: XmlElement, itemName: string, kind: VocabularyKind, context: ReadContext): JsonObject[] {
  return elementsNamed(element, itemName).map((item) => {
    const entry: JsonObject = {};
    const type = attributeValue(item, 'type');
    if (type !== undefined) entry['type'] = vocabularyValue(kind, type, item, context);
    entry[itemName] = textOf(item);
    return entry;
  });
}

/** readPoint and bizLocation: an id and extension elements. */
function location(element: XmlElement, context: ReadContext): JsonObject {
  const value: JsonObject = {};
  readChildren(element, value, context, { id: (child, target) => setOnce(target, 'id', textOf(child), child) });
  return value;
}

const SENSOR_REPORT_NUMBERS: ReadonlySet<string> = new Set(['value', 'minValue', 'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue']);
const SENSOR_REPORT_TEXT: ReadonlySet<string> = new Set([
  'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules', 'time', 'microorganism', 'chemicalSubstance',
  'coordinateReferenceSystem', 'stringValue', 'hexBinaryValue', 'uriValue', 'uom',
]);
/** Spellings of EPCIS 1.2-era sensor drafts that GS1's examples still use. */
const SENSOR_ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = { deviceMetaData: 'deviceMetadata' };

function sensorAttributes(element: XmlElement, context: ReadContext, read: (name: string, raw: string) => JsonValue | undefined): JsonObject {
  const value: JsonObject = {};
  const known = new Set<string>();
  for (const attribute of element.attributes) {
    if (attribute.namespace !== '') continue;
    const name = SENSOR_ATTRIBUTE_ALIASES[attribute.local] ?? attribute.local;
    const converted = read(name, trimXmlSpace(attribute.value));
    if (converted === undefined) continue;
    known.add(attribute.local);
    value[name] = converted;
  }
  addExtensionAttributes(value, element, context, known);
  if (element.children.length > 0 || trimXmlSpace(element.text) !== '') {
    refuse('mixed-content', `${element.local} carries its data in attributes, not content`, element.path);
  }
  return value;
}

function sensorElement(element: XmlElement, context: ReadContext): JsonObject {
  const value: JsonObject = {};
  const reports: JsonObject[] = [];
  readChildren(element, value, context, {
    sensorMetadata: (child, target) =>
      setOnce(target, 'sensorMetadata', sensorAttributes(child, context, (name, raw) => (SENSOR_METADATA_ATTRIBUTES.has(name) ? raw : undefined)), child),
    sensorMetaData: (child, target) =>
      setOnce(target, 'sensorMetadata', sensorAttributes(child, context, (name, raw) => (SENSOR_METADATA_ATTRIBUTES.has(name) ? raw : undefined)), child),
    sensorReport: (child) => {
      reports.push(
        sensorAttributes(child, context, (name, raw) => {
          if (SENSOR_REPORT_NUMBERS.has(name)) return numberFromText(raw) ?? raw;
          if (name === 'booleanValue') return booleanFromText(raw) ?? raw;
          const kind = SENSOR_REPORT_VOCABULARY[name];
          if (kind !== undefined) return vocabularyValue(kind, raw, child, context);
          return SENSOR_REPORT_TEXT.has(name) ? raw : undefined;
        }),
      );
    },
  });
  // sensorReport is required; the validator says so when it is missing.
  if (reports.length > 0) value['sensorReport'] = reports;
  return value;
}

function errorDeclaration(element: XmlElement, context: ReadContext): JsonObject {
  const value: JsonObject = {};
  readChildren(element, value, context, {
    declarationTime: (child, target) => setOnce(target, 'declarationTime', textOf(child), child),
    reason: (child, target) => setOnce(target, 'reason', vocabularyValue('errorReason', textOf(child), child, context), child),
    correctiveEventIDs: (child, target) => setOnce(target, 'correctiveEventIDs', identifierList(child, 'correctiveEventID'), child),
  });
  return value;
}

function persistentDisposition(element: XmlElement, context: ReadContext): JsonObject {
  const value: JsonObject = {};
  for (const side of ['set', 'unset'] as const) {
    const entries = element.children.filter((child) => child.namespace === '' && child.local === side);
    if (entries.length > 0) value[side] = entries.map((entry) => vocabularyValue('disposition', textOf(entry), entry, context));
  }
  const other = element.children.find((child) => child.namespace !== '' || (child.local !== 'set' && child.local !== 'unset'));
  if (other !== undefined) refuse('unknown-element', `persistentDisposition holds set and unset, not ${other.local}`, other.path);
  return value;
}

function ilmd(element: XmlElement, context: ReadContext): JsonObject {
  const value: JsonObject = {};
  readChildren(element, value, context, {});
  return value;
}

function setOnce(target: JsonObject, name: string, value: JsonValue, element: XmlElement): void {
  if (Object.hasOwn(target, name)) refuse('repeated-element', `${element.local} appears more than once`, element.path);
  target[name] = value;
}

type ChildReader = (child: XmlElement, target: JsonObject) => void;

/**
 * Reads the children of a standard element: known names through `readers`, elements in a user
 * namespace as extension members, wrappers looked through. An unknown element in no namespace
 * is refused where it stands (most likely a misspelt standard name) and left out with a warning
 * inside a wrapper, where the standard reserves it for its own future fields.
 */
function readChildren(element: XmlElement, target: JsonObject, context: ReadContext, readers: Readonly<Record<string, ChildReader>>, insideWrapper = false): void {
  for (const child of element.children) {
    if (child.namespace !== '') {
      addExtensionElement(target, child, context);
      continue;
    }
    const reader = Object.hasOwn(readers, child.local) ? readers[child.local] : undefined;
    if (reader !== undefined) reader(child, target);
    else if (WRAPPERS.has(child.local)) readChildren(child, target, context, readers, true);
    else if (insideWrapper) {
      context.warnings.push({
        code: 'ignored-element',
        message: `${child.local} inside an extension wrapper has no namespace, which EPCIS reserves for its own future fields, so JSON-LD has no name for it; it was left out`,
        path: child.path,
      });
    } else refuse('unknown-element', `${child.local} is not an element of ${element.local}`, child.path);
  }
}

function eventReaders(context: ReadContext): Record<string, ChildReader> {
  const text = (name: string): ChildReader => (child, target) => setOnce(target, name, textOf(child), child);
  const readers: Record<string, ChildReader> = {
    eventTime: text('eventTime'),
    recordTime: text('recordTime'),
    eventTimeZoneOffset: text('eventTimeZoneOffset'),
    eventID: text('eventID'),
    parentID: text('parentID'),
    action: text('action'),
    transformationID: text('transformationID'),
    certificationInfo: (child, target) => {
      const existing = target['certificationInfo'];
      const value = textOf(child);
      target['certificationInfo'] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    },
    bizStep: (child, target) => setOnce(target, 'bizStep', vocabularyValue('bizStep', textOf(child), child, context), child),
    disposition: (child, target) => setOnce(target, 'disposition', vocabularyValue('disposition', textOf(child), child, context), child),
    readPoint: (child, target) => setOnce(target, 'readPoint', location(child, context), child),
    bizLocation: (child, target) => setOnce(target, 'bizLocation', location(child, context), child),
    bizTransactionList: (child, target) => setOnce(target, 'bizTransactionList', typedEntries(child, 'bizTransaction', 'bizTransactionType', context), child),
    sourceList: (child, target) => setOnce(target, 'sourceList', typedEntries(child, 'source', 'sourceDestinationType', context), child),
    destinationList: (child, target) => setOnce(target, 'destinationList', typedEntries(child, 'destination', 'sourceDestinationType', context), child),
    sensorElementList: (child, target) => setOnce(target, 'sensorElementList', elementsNamedLenient(child, 'sensorElement', context).map((item) => sensorElement(item, context)), child),
    persistentDisposition: (child, target) => setOnce(target, 'persistentDisposition', persistentDisposition(child, context), child),
    ilmd: (child, target) => setOnce(target, 'ilmd', ilmd(child, context), child),
    errorDeclaration: (child, target) => setOnce(target, 'errorDeclaration', errorDeclaration(child, context), child),
  };
  for (const name of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']) readers[name] = (child, target) => setOnce(target, name, identifierList(child, 'epc'), child);
  for (const name of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) readers[name] = (child, target) => setOnce(target, name, quantityList(child), child);
  return readers;
}

/** sensorElementList may end with an `<extension>` the standard reserves; it is left out with a warning. */
function elementsNamedLenient(element: XmlElement, local: string, context: ReadContext): XmlElement[] {
  return element.children.filter((child) => {
    if (child.namespace === '' && child.local === local) return true;
    if (child.namespace === '' && child.local === 'extension') {
      context.warnings.push({ code: 'ignored-element', message: `extension of ${element.local} has no JSON-LD form; it was left out`, path: child.path });
      return false;
    }
    return refuse('unknown-element', `${element.local} may hold only ${local} elements, not ${child.local}`, child.path);
  });
}

/** One event element (ObjectEvent, ..., AssociationEvent) as an EPCIS 2.0 JSON-LD event. */
export function readEvent(element: XmlElement, context: ReadContext): JsonObject {
  const event: JsonObject = { type: element.local };
  addExtensionAttributes(event, element, context);
  readChildren(element, event, context, eventReaders(context));
  return event;
}
