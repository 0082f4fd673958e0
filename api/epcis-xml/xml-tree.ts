/**
 * EPCIS XML as a tree of namespace-resolved elements (Namespaces in XML 1.0 Third Edition,
 * sections 3 and 6), built from fast-xml-parser's ordered output. fast-xml-parser checks
 * well-formedness (XMLValidator) and tokenises; it is run with entity processing off, so no
 * entity is ever expanded by it, and this module decodes exactly the five predefined entities
 * and character references (XML 1.0 section 4.6 and 4.1); any other entity reference is
 * refused. Runs only on text lexical-guard.ts has passed.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PROTOTYPE_MEMBER_NAMES } from '../../ledger/encoding/strict-json.js';
import type { EpcisXmlLimits } from './limits.js';
import { EpcisXmlRefusal, refuse } from './problems.js';

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

export interface XmlName {
  /** '' for no namespace. */
  namespace: string;
  local: string;
  /** The prefix the document used, '' for none. */
  prefix: string;
}

export interface XmlAttribute extends XmlName {
  value: string;
}

export interface XmlElement extends XmlName {
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Character data directly inside the element, entities decoded, pieces joined. */
  text: string;
  /** Where it is, for messages: `/EPCISDocument/EPCISBody/EventList/ObjectEvent[2]`. */
  path: string;
  /** Prefix to namespace bindings in scope at this element, for QName-valued content. */
  scope: ReadonlyMap<string, string>;
}

const TEXT = '#text';
const CDATA = '#cdata';
const ATTRIBUTES = ':@';

/**
 * One node of fast-xml-parser's ordered output: a single key, the element's qualified name (or
 * #text, #cdata, which no XML name can be), holding its children, and ':@' for its attributes.
 */
type OrderedNode = Record<string, unknown>;

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const REFERENCE = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_:][A-Za-z0-9_:.-]*);|&/g;

function isXmlCharacter(codePoint: number): boolean {
  return (
    codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) || (codePoint >= 0xe000 && codePoint <= 0xfffd) || (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/** Decodes the predefined entities and character references; refuses every other entity. */
export function decodeReferences(raw: string, path: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(REFERENCE, (whole: string, body: string | undefined) => {
    if (body === undefined) refuse('malformed-xml', 'a "&" that starts no reference; write &amp;', path);
    if (body.startsWith('#')) {
      const codePoint = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (body.length > 10 || !isXmlCharacter(codePoint)) refuse('invalid-character', `character reference ${whole} is not an XML character`, path);
      return String.fromCodePoint(codePoint);
    }
    const replacement = PREDEFINED_ENTITIES[body];
    if (replacement === undefined) refuse('entity-refused', `entity reference ${whole}: only the five predefined entities are accepted, and no DTD may declare others`, path);
    return replacement;
  });
}

/** XML 1.0 section 3.3.3: attribute values have their white space characters read as spaces. */
function normalizeAttributeValue(raw: string, path: string): string {
  return decodeReferences(raw.replace(/[\t\n\r]/g, ' '), path);
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: CDATA,
  removeNSPrefix: false,
  allowBooleanAttributes: false,
  // Names such as toString are ordinary XML names; this module reads with Object.hasOwn, so they stay as written.
  onDangerousProperty: (name: string) => name,
});

function splitName(qualified: string): { prefix: string; local: string } {
  const colon = qualified.indexOf(':');
  return colon === -1 ? { prefix: '', local: qualified } : { prefix: qualified.slice(0, colon), local: qualified.slice(colon + 1) };
}

function checkName(name: string, path: string): void {
  if (PROTOTYPE_MEMBER_NAMES.includes(name)) refuse('reserved-name', `the name "${name}" is refused in input from outside`, path);
}

function checkText(text: string, path: string, limits: EpcisXmlLimits): void {
  if (text.length > limits.textLengthMax) refuse('text-too-long', `a text or attribute value is longer than ${limits.textLengthMax} characters`, path);
}

function buildElement(
  node: OrderedNode,
  parentScope: ReadonlyMap<string, string>,
  parentPath: string,
  siblingIndex: Map<string, number>,
  limits: EpcisXmlLimits,
  depth: number,
): XmlElement {
  if (depth > limits.depthMax) refuse('too-deep', `elements nest deeper than ${limits.depthMax} levels`, parentPath);
  const qualified = Object.keys(node).find((key) => key !== ATTRIBUTES)!;
  const { prefix, local } = splitName(qualified);
  const occurrence = (siblingIndex.get(qualified) ?? 0) + 1;
  siblingIndex.set(qualified, occurrence);
  const path = `${parentPath}/${qualified}${occurrence > 1 ? `[${occurrence}]` : ''}`;
  checkName(local, path);
  const rawAttributes = (node[ATTRIBUTES] ?? {}) as Record<string, string>;
  const attributeNames = Object.keys(rawAttributes);
  if (attributeNames.length > limits.attributesPerElementMax) {
    refuse('too-many-attributes', `an element has more than ${limits.attributesPerElementMax} attributes`, path);
  }
  let scope = parentScope;
  for (const name of attributeNames) {
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    const value = normalizeAttributeValue(rawAttributes[name]!, path);
    checkText(value, path, limits);
    if (scope === parentScope) scope = new Map(parentScope);
    (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
  }
  const resolve = (namePrefix: string, what: string): string => {
    if (namePrefix === 'xml') return XML_NAMESPACE;
    const namespace = scope.get(namePrefix);
    if (namespace === undefined) {
      if (namePrefix === '') return '';
      refuse('unbound-prefix', `${what} uses the prefix "${namePrefix}", which no xmlns declaration binds`, path);
    }
    return namespace;
  };
  const attributes: XmlAttribute[] = [];
  for (const name of attributeNames) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const split = splitName(name);
    checkName(split.local, path);
    const value = normalizeAttributeValue(rawAttributes[name]!, path);
    checkText(value, path, limits);
    // Unprefixed attributes are in no namespace, whatever the default namespace is.
    attributes.push({ namespace: split.prefix === '' ? '' : resolve(split.prefix, `attribute ${name}`), local: split.local, prefix: split.prefix, value });
  }
  const element: XmlElement = { namespace: resolve(prefix, `element ${qualified}`), local, prefix, attributes, children: [], text: '', path, scope };
  const childIndex = new Map<string, number>();
  const textPieces: string[] = [];
  for (const child of (node[qualified] ?? []) as OrderedNode[]) {
    if (TEXT in child) {
      textPieces.push(decodeReferences(String(child[TEXT]), path));
    } else if (CDATA in child) {
      for (const piece of child[CDATA] as OrderedNode[]) textPieces.push(String(piece[TEXT] ?? ''));
    } else {
      element.children.push(buildElement(child, scope, path, childIndex, limits, depth + 1));
    }
  }
  element.text = textPieces.join('');
  checkText(element.text, path, limits);
  return element;
}

/** Parses guarded XML text into its root element. Throws an EpcisXmlRefusal when it cannot. */
export function parseXmlTree(text: string, limits: EpcisXmlLimits): XmlElement {
  const validation = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (validation !== true) {
    refuse('malformed-xml', `not well-formed XML: ${validation.err.msg} (line ${validation.err.line}, column ${validation.err.col})`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (error) {
    if (error instanceof EpcisXmlRefusal) throw error;
    // fast-xml-parser refuses the names __proto__, constructor and prototype itself, by throwing
    // an error whose message starts [SECURITY]; a test pins this reading of it.
    const message = (error as Error).message;
    if (message.startsWith('[SECURITY]')) refuse('reserved-name', 'the names __proto__, constructor and prototype are refused in input from outside');
    refuse('malformed-xml', `not well-formed XML: ${message}`);
  }
  const elements = nodes.filter((node) => !(TEXT in node) && !(CDATA in node));
  if (elements.length !== 1) refuse('malformed-xml', 'the document must have exactly one root element');
  const scope = new Map<string, string>();
  return buildElement(elements[0]!, scope, '', new Map(), limits, 1);
}

export function attributeValue(element: XmlElement, local: string, namespace = ''): string | undefined {
  return element.attributes.find((attribute) => attribute.local === local && attribute.namespace === namespace)?.value;
}

/** XML white space (XML 1.0 section 2.3), not JavaScript's wider \s. */
export function trimXmlSpace(text: string): string {
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}
