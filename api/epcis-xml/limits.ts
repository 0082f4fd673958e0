/**
 * Bounds on EPCIS XML input (EPCIS 2.0 section 9.3 XML binding; EPCIS 1.2 section 9.5). XML is
 * hostile input: every count that parsing or conversion spends work or memory on has a named
 * limit with its unit, checked before the work is done (lexical-guard.ts) or while it is done
 * (xml-tree.ts). The numbers leave room for the largest document EPCIS_LIMITS admits.
 */
import { EPCIS_LIMITS } from '../../contracts/epcis/index.js';

export interface EpcisXmlLimits {
  /** The whole document, in UTF-8 bytes. */
  bytesMax: number;
  /** Nesting of elements, the root counting as 1. */
  depthMax: number;
  /** Start tags in the whole document. */
  elementsMax: number;
  /** Attributes on one element, namespace declarations included. */
  attributesPerElementMax: number;
  /** One text node or attribute value after entity decoding, in UTF-16 code units. */
  textLengthMax: number;
}

/**
 * For capture: XML is two to four times the size of the same document in JSON, and a
 * transaction's canonical body is at most LEDGER_LIMITS.transactionBodyBytesMax (256 KiB), so
 * 4 MiB leaves ample room while bounding what one request can make the parser build (each
 * element becomes a few hundred bytes of tree: elementsMax bounds that too).
 */
export const EPCIS_XML_LIMITS: Readonly<EpcisXmlLimits> = {
  bytesMax: 4 * 1024 * 1024,
  // EPCISDocument/EPCISBody/EventList/extension/extension/event/sensorElementList/sensorElement
  // is 8 levels before any extension content, which EPCIS_LIMITS lets nest 16 deep.
  depthMax: 8 + EPCIS_LIMITS.extensionDepthMax + 8,
  elementsMax: 250_000,
  attributesPerElementMax: 256,
  textLengthMax: EPCIS_LIMITS.stringLengthMax,
};
