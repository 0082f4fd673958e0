/**
 * parseEpcisXml: an EPCIS 2.0 or EPCIS 1.2 XML document (EPCISDocument or EPCISQueryDocument)
 * as the EPCIS 2.0 JSON-LD document Custodia validates, signs and records (docs/epcis-xml.md;
 * docs/encoding.md section 14 on what a signer signs). Pure and total: no I/O, the same XML
 * always gives the same JSON, and any input, however hostile, gives a document or a problem
 * with a code, never an exception.
 */
import { EPCIS_XML_LIMITS, type EpcisXmlLimits } from './limits.js';
import { guardXml } from './lexical-guard.js';
import { PrefixRegistry } from './namespaces.js';
import { EpcisXmlRefusal, type EpcisXmlProblem, type EpcisXmlWarning } from './problems.js';
import { readDocument, type EpcisXmlVersion } from './read-document.js';
import type { JsonObject } from './read-values.js';
import { parseXmlTree } from './xml-tree.js';

export type EpcisXmlParse =
  | { ok: true; document: JsonObject; version: EpcisXmlVersion; warnings: EpcisXmlWarning[] }
  | { ok: false; problem: EpcisXmlProblem };

export function parseEpcisXml(xml: string, limits: EpcisXmlLimits = EPCIS_XML_LIMITS): EpcisXmlParse {
  try {
    if (typeof xml !== 'string') return { ok: false, problem: { code: 'malformed-xml', message: 'the document must be text' } };
    const root = parseXmlTree(guardXml(xml, limits), limits);
    const warnings: EpcisXmlWarning[] = [];
    const prefixes = new PrefixRegistry(warnings);
    const { document, version } = readDocument(root, { prefixes, warnings });
    // @context first, as GS1's examples write it; its prefixes are known only now.
    return { ok: true, document: { '@context': prefixes.context(), ...document }, version, warnings };
  } catch (error) {
    if (error instanceof EpcisXmlRefusal) return { ok: false, problem: error.problem };
    // Anything else is a bug in the converter (the guard bounds what the parser and the walks
    // see); the capture path still gets a value, and the property tests check it never happens.
    return { ok: false, problem: { code: 'internal-error', message: `the XML could not be converted: ${(error as Error).message}` } };
  }
}
