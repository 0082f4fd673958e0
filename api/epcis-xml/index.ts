/**
 * EPCIS XML for Custodia (EPCIS 2.0 section 9.3 XML binding, EPCIS 1.2 section 9.5): the
 * interface the EPCIS REST binding's content negotiation (and the participant gateway) calls.
 * Pure functions, no I/O. docs/epcis-xml.md describes the mapping; docs/encoding.md section 14
 * says what a signer signs when the events came as XML (the converted JSON-LD, never the XML).
 *
 *   capture:  epcisDocumentFromXml(body)            -> EpcisXmlParse (document | problem)
 *   answers:  epcisQueryDocumentToXml(queryDocument) -> XML text
 *   media:    EPCIS_XML_MEDIA_TYPES, isEpcisXmlMediaType(contentTypeHeader)
 */
import { parseEpcisXml, type EpcisXmlParse } from './parse.js';
import { serializeEpcisXml } from './serialize.js';
import type { JsonObject } from './read-values.js';
import { EPCIS_XML_LIMITS, type EpcisXmlLimits } from './limits.js';

export { parseEpcisXml, type EpcisXmlParse } from './parse.js';
export { serializeEpcisXml, type EpcisXmlSerialization } from './serialize.js';
export { EPCIS_XML_LIMITS, type EpcisXmlLimits } from './limits.js';
export type { EpcisXmlProblem, EpcisXmlProblemCode, EpcisXmlWarning, EpcisXmlWarningCode } from './problems.js';
export type { EpcisXmlVersion } from './read-document.js';

/**
 * The media types that mean EPCIS XML: application/xml, which GS1's EPCIS 2.0 REST binding
 * (openapi.yaml) offers beside application/ld+json, and text/xml, which older clients send.
 * The first is what Custodia answers with.
 */
export const EPCIS_XML_MEDIA_TYPES = ['application/xml', 'text/xml'] as const;

/** The Content-Type of an XML answer. */
export const EPCIS_XML_CONTENT_TYPE = `${EPCIS_XML_MEDIA_TYPES[0]}; charset=utf-8`;

/** Whether a Content-Type or Accept entry (parameters allowed, case ignored) names EPCIS XML. */
export function isEpcisXmlMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return (EPCIS_XML_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/**
 * Capture: an XML request body (EPCIS 2.0 or 1.2 EPCISDocument) as the EPCIS 2.0 JSON-LD
 * document to validate (validateEpcisDocument), sign and submit, or a problem to answer 400
 * with. Bytes beyond `limits.bytesMax` are refused before anything else; the caller should
 * also bound the body it reads.
 */
export function epcisDocumentFromXml(xml: string, limits: EpcisXmlLimits = EPCIS_XML_LIMITS): EpcisXmlParse {
  return parseEpcisXml(xml, limits);
}

/**
 * Query answers: a validated EPCISQueryDocument (or EPCISDocument) as EPCIS 2.0 XML text.
 * Members XML has no form for are left out (serializeEpcisXml reports them as warnings).
 */
export function epcisQueryDocumentToXml(queryDocument: JsonObject): string {
  return serializeEpcisXml(queryDocument, '2.0').xml;
}
