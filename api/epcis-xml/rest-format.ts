/**
 * EPCIS XML as a format of the EPCIS 2.0 REST binding's content negotiation (EPCIS 2.0 section
 * 12; the binding's `EpcisFormat`: media types, a capture-body parser, an answer serializer).
 * Shaped to be registered as it is: `new EpcisMedia([epcisXmlFormat])`. A conversion problem is a
 * 400 whose code is the problem's prefixed with `xml-` (`xml-doctype-refused`), whose path is the
 * XML element's; the converted document is then validated by the binding as any JSON-LD body.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { ApiError } from '../../node/http/errors.js';
import { epcisDocumentFromXml, epcisQueryDocumentToXml, EPCIS_XML_MEDIA_TYPES } from './index.js';
import type { JsonObject } from './read-values.js';

export type XmlDocumentConversion = { ok: true; document: JsonValue } | { ok: false; problem: ApiError };

export const epcisXmlFormat = {
  mediaTypes: EPCIS_XML_MEDIA_TYPES,
  parse(text: string): XmlDocumentConversion {
    const result = epcisDocumentFromXml(text);
    if (result.ok) return { ok: true, document: result.document };
    const { code, message, path } = result.problem;
    return { ok: false, problem: new ApiError(400, `xml-${code}`, message, path ?? '') };
  },
  serialize(document: JsonValue): string {
    return epcisQueryDocumentToXml(typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as JsonObject) : {});
  },
} as const;
