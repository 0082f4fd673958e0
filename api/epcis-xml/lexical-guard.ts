/**
 * The first look at EPCIS XML, before any parser runs (XML 1.0 Fifth Edition sections 2.2,
 * 2.8, 2.6 and 3.1 for characters, the prolog, processing instructions and tags). It refuses
 * what Custodia never processes and bounds what the parser would spend work on:
 *  - more than `bytesMax` UTF-8 bytes;
 *  - characters XML forbids (control characters, lone surrogates, U+FFFE, U+FFFF);
 *  - a document type declaration with anything in it: an internal subset (ENTITY, ELEMENT,
 *    ATTLIST declarations: entity expansion, "billion laughs") or an external identifier
 *    (SYSTEM, PUBLIC: external entities, XXE). A bare `<!DOCTYPE name>` declares nothing and
 *    is allowed, since GS1's own examples carry one; it is blanked out before parsing;
 *  - processing instructions other than the XML declaration at the very start;
 *  - any other markup declaration (`<!ENTITY` and its kin outside a DOCTYPE);
 *  - `<` inside an attribute value (not well-formed, and it would let markup hide from this
 *    scan inside quotes);
 *  - element nesting deeper than `depthMax` and more than `elementsMax` elements.
 * It scans once, forward only, so its cost is linear in the input.
 */
import type { EpcisXmlLimits } from './limits.js';
import { refuse } from './problems.js';

const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** XML 1.0 section 2.8: `<?xml version="1.x" encoding="..." standalone="yes|no"?>`, in that order. */
const XML_DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/;

/** A document type declaration that declares nothing: a name and nothing else. */
const EMPTY_DOCTYPE = /^<!DOCTYPE\s+[A-Za-z_:][A-Za-z0-9_:.-]*\s*>/;

const ENCODINGS_ACCEPTED = /encoding\s*=\s*(["'])(?:utf-?8|us-ascii)\1/i;

/** The UTF-8 length of a string, without allocating the bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let position = text.indexOf('\n'); position !== -1 && position < index; position = text.indexOf('\n', position + 1)) line++;
  return line;
}

/** The end of a start or end tag that begins at `start`, skipping quoted attribute values. */
function tagEnd(xml: string, start: number): number {
  let quote = '';
  for (let index = start + 1; index < xml.length; index++) {
    const character = xml[index];
    if (quote !== '') {
      if (character === quote) quote = '';
      else if (character === '<') refuse('malformed-xml', `"<" inside an attribute value (line ${lineOf(xml, index)})`);
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (character === '>') {
      return index;
    } else if (character === '<') {
      refuse('malformed-xml', `a tag is not closed before the next "<" (line ${lineOf(xml, index)})`);
    }
  }
  return refuse('malformed-xml', `a tag is not closed (line ${lineOf(xml, start)})`);
}

function sectionEnd(xml: string, start: number, terminator: string, what: string): number {
  const end = xml.indexOf(terminator, start);
  if (end === -1) refuse('malformed-xml', `${what} is not closed (line ${lineOf(xml, start)})`);
  return end + terminator.length;
}

/**
 * Checks `xml` and returns the text the parser may see: the byte order mark and the XML
 * declaration removed (the input is already a string, so its encoding is settled), line ends
 * normalised and an empty DOCTYPE blanked out. Throws an EpcisXmlRefusal for anything refused.
 */
export function guardXml(xml: string, limits: EpcisXmlLimits): string {
  // Cheap first: a string cannot be shorter in UTF-8 than it is in code units.
  if (xml.length > limits.bytesMax || utf8Length(xml) > limits.bytesMax) {
    refuse('too-large', `the document is larger than ${limits.bytesMax} bytes`);
  }
  const forbidden = FORBIDDEN_CHARACTER.exec(xml);
  if (forbidden !== null) {
    refuse('invalid-character', `character U+${forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML (line ${lineOf(xml, forbidden.index)})`);
  }
  // XML 1.0 section 2.11: a parser reads CR LF and a lone CR as LF.
  let text = (xml.startsWith('\uFEFF') ? xml.slice(1) : xml).replace(/\r\n?/g, '\n');
  if (/^<\?xml[ \t\r\n]/.test(text)) {
    const declaration = XML_DECLARATION.exec(text);
    if (declaration === null) refuse('malformed-xml', 'the XML declaration is malformed (XML 1.0 section 2.8)');
    if (/encoding/.test(declaration[0]) && !ENCODINGS_ACCEPTED.test(declaration[0])) {
      refuse('malformed-xml', 'the XML declaration names an encoding other than UTF-8; send UTF-8');
    }
    text = ' '.repeat(declaration[0].length) + text.slice(declaration[0].length);
  }
  let depth = 0;
  let elements = 0;
  let rootSeen = false;
  let doctypeSeen = false;
  let index = text.indexOf('<');
  while (index !== -1) {
    if (text.startsWith('<!--', index)) {
      index = sectionEnd(text, index + 4, '-->', 'a comment');
    } else if (text.startsWith('<![CDATA[', index)) {
      index = sectionEnd(text, index + 9, ']]>', 'a CDATA section');
    } else if (text.startsWith('<?', index)) {
      refuse('processing-instruction-refused', `processing instructions are not accepted, only the XML declaration at the start (line ${lineOf(text, index)})`);
    } else if (text.startsWith('<!DOCTYPE', index)) {
      const declaration = EMPTY_DOCTYPE.exec(text.slice(index, index + 1024));
      if (rootSeen || doctypeSeen || declaration === null) {
        refuse('doctype-refused', `document type declarations are not accepted, except an empty <!DOCTYPE name> before the root: no entities, no DTD (line ${lineOf(text, index)})`);
      }
      doctypeSeen = true;
      text = text.slice(0, index) + ' '.repeat(declaration[0].length) + text.slice(index + declaration[0].length);
      index += declaration[0].length;
    } else if (text.startsWith('<!', index)) {
      refuse('doctype-refused', `markup declarations such as <!ENTITY are not accepted (line ${lineOf(text, index)})`);
    } else {
      const end = tagEnd(text, index);
      const closing = text[index + 1] === '/';
      const selfClosing = !closing && text[end - 1] === '/';
      if (closing) {
        depth--;
      } else {
        elements++;
        rootSeen = true;
        if (!selfClosing) depth++;
      }
      // A self-closing element is as deep as an opened one, for as long as it lasts.
      if (depth + (selfClosing ? 1 : 0) > limits.depthMax) {
        refuse('too-deep', `elements nest deeper than ${limits.depthMax} levels (line ${lineOf(text, index)})`);
      }
      if (elements > limits.elementsMax) refuse('too-many-elements', `the document has more than ${limits.elementsMax} elements`);
      index = end + 1;
    }
    index = text.indexOf('<', index);
  }
  return text;
}
