/**
 * Values inside EPCIS XML events as their EPCIS 2.0 JSON-LD form (EPCIS 2.0 section 9.4 and
 * the XML/JSON correspondence of GS1's EPCIS 2.0 examples): text, numbers, CBV vocabulary
 * values, and user extension elements, which become `prefix:localName` members whose values
 * are strings, typed scalars (xsi:type), objects (child elements and attributes) or lists
 * (repeated elements). docs/epcis-xml.md, "Mapping", states each rule.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { STANDARD_CONTEXT_PREFIXES } from '../../contracts/epcis/context.js';
import { standardWord, type VocabularyKind } from '../../contracts/epcis/index.js';
import { STANDARD_NAMESPACES, type PrefixRegistry } from './namespaces.js';
import { refuse, type EpcisXmlWarning } from './problems.js';
import { QNAME_VALUED_VOCABULARIES, XSD_NAMESPACE } from './schema-names.js';
import { attributeValue, trimXmlSpace, XSI_NAMESPACE, type XmlAttribute, type XmlElement, type XmlName } from './xml-tree.js';

export type JsonObject = { [key: string]: JsonValue };

export interface ReadContext {
  prefixes: PrefixRegistry;
  warnings: EpcisXmlWarning[];
}

/** xsd:decimal, xsd:double and xsd:integer lexical forms (XML Schema 1.1 Part 2, 3.3.3 and 3.3.5), without INF and NaN. */
const NUMBER_LEXICAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

const NUMERIC_TYPES: ReadonlySet<string> = new Set([
  'decimal', 'double', 'float', 'integer', 'int', 'long', 'short', 'byte',
  'nonNegativeInteger', 'positiveInteger', 'nonPositiveInteger', 'negativeInteger',
  'unsignedLong', 'unsignedInt', 'unsignedShort', 'unsignedByte',
]);

/** The number a numeric lexical form stands for, or undefined when it is not one JSON can hold. */
export function numberFromText(text: string): number | undefined {
  if (!NUMBER_LEXICAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function booleanFromText(text: string): boolean | undefined {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return undefined;
}

/** The text of an element that must hold text only. */
export function textOf(element: XmlElement): string {
  if (element.children.length > 0) refuse('mixed-content', `${element.local} must hold text, not elements`, element.path);
  return trimXmlSpace(element.text);
}

/** Whether an xsi:nil="true" element says "no value" (EPCIS 2.0: quantity is nillable). */
export function isNilElement(element: XmlElement): boolean {
  const nil = attributeValue(element, 'nil', XSI_NAMESPACE);
  return nil !== undefined && booleanFromText(trimXmlSpace(nil)) === true;
}

/** The JSON-LD name of an element or attribute in a user namespace. */
export function extensionName(name: XmlName, path: string, context: ReadContext): string {
  if (name.namespace === '') return name.local;
  if (STANDARD_NAMESPACES.has(name.namespace)) refuse('unknown-element', `${name.prefix}:${name.local} is in a namespace of the standard but is not one of its elements`, path);
  return `${context.prefixes.prefixFor(name.namespace, name.prefix, path)}:${name.local}`;
}

/** Attributes that carry content, as opposed to namespace and xsi: bookkeeping. */
function contentAttributes(element: XmlElement): XmlAttribute[] {
  return element.attributes.filter((attribute) => attribute.namespace !== XSI_NAMESPACE);
}

function typedScalar(element: XmlElement, text: string): JsonValue {
  const type = attributeValue(element, 'type', XSI_NAMESPACE);
  if (type === undefined) return text;
  const colon = type.indexOf(':');
  const namespace = element.scope.get(colon === -1 ? '' : type.slice(0, colon));
  if (namespace !== XSD_NAMESPACE) return text;
  const local = type.slice(colon + 1);
  if (NUMERIC_TYPES.has(local)) return numberFromText(text) ?? text;
  if (local === 'boolean') return booleanFromText(text) ?? text;
  return text;
}

/** The JSON value of a user extension element. */
export function extensionValue(element: XmlElement, context: ReadContext): JsonValue {
  if (isNilElement(element)) return null;
  const attributes = contentAttributes(element);
  const text = trimXmlSpace(element.text);
  if (attributes.length === 0 && element.children.length === 0) return typedScalar(element, text);
  if (text !== '' && element.children.length > 0) {
    refuse('mixed-content', `${element.prefix === '' ? '' : `${element.prefix}:`}${element.local} mixes text and elements, which JSON-LD cannot hold`, element.path);
  }
  const value: JsonObject = {};
  for (const attribute of attributes) addMember(value, extensionName(attribute, element.path, context), attribute.value);
  for (const child of element.children) addMember(value, extensionName(child, child.path, context), extensionValue(child, context));
  if (text !== '') value['#text'] = typedScalar(element, text);
  return value;
}

/** Adds a member; a name met again makes the member a list, in document order. */
export function addMember(target: JsonObject, name: string, value: JsonValue): void {
  if (!Object.hasOwn(target, name)) {
    target[name] = value;
    return;
  }
  const existing = target[name]!;
  if (Array.isArray(existing) && repeatedMembers.has(existing)) existing.push(value);
  else {
    const list = [existing, value];
    repeatedMembers.add(list);
    target[name] = list;
  }
}

// Lists made by repetition, as opposed to a value that is itself a list: only the first kind grows.
const repeatedMembers = new WeakSet<JsonValue[]>();

/** Adds a user extension element (a child in a namespace of its own) to `target`. */
export function addExtensionElement(target: JsonObject, element: XmlElement, context: ReadContext): void {
  addMember(target, extensionName(element, element.path, context), extensionValue(element, context));
}

/** Adds the attributes of `element` that are in a user namespace (xsd:anyAttribute) to `target`. */
export function addExtensionAttributes(target: JsonObject, element: XmlElement, context: ReadContext, known: ReadonlySet<string> = new Set()): void {
  for (const attribute of element.attributes) {
    if (attribute.namespace === '') {
      if (!known.has(attribute.local)) {
        context.warnings.push({ code: 'ignored-attribute', message: `attribute ${attribute.local} is not part of ${element.local} and has no namespace, so JSON-LD has no name for it; it was left out`, path: element.path });
      }
      continue;
    }
    if (STANDARD_NAMESPACES.has(attribute.namespace)) continue;
    addMember(target, extensionName(attribute, element.path, context), attribute.value);
  }
}

/**
 * A vocabulary value as EPCIS 2.0 JSON-LD writes it: a standard value (CBV URN, GS1 Web URI, or
 * for sensor types a QName) becomes its bare word (CBV 2.0 section 8, EPCIS 2.0 JSON-LD
 * context); anything else stays as written, a QName's prefix declared in @context.
 */
export function vocabularyValue(kind: VocabularyKind, raw: string, element: XmlElement, context: ReadContext): string {
  const value = trimXmlSpace(raw);
  const word = standardWord(kind, value);
  if (word !== undefined || !QNAME_VALUED_VOCABULARIES.has(kind)) return word ?? value;
  const colon = value.indexOf(':');
  if (colon <= 0) return value;
  const prefix = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  const xmlNamespace = element.scope.get(prefix);
  const namespace = xmlNamespace ?? STANDARD_CONTEXT_PREFIXES[prefix];
  if (namespace === undefined) return value;
  const expandedWord = standardWord(kind, namespace + rest);
  if (expandedWord !== undefined) return expandedWord;
  if (xmlNamespace === undefined) return value;
  return `${context.prefixes.prefixFor(xmlNamespace, prefix, element.path)}:${rest}`;
}
