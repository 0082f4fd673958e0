/**
 * Writes test/vectors/epcis-xml/NAME.json for every NAME.xml there: the RFC 8785 canonical
 * JSON of the EPCIS 2.0 JSON-LD document parseEpcisXml makes of it, which is what a signer
 * signs and what the content hash covers (docs/encoding.md section 14). Run with
 * `npx tsx test/vectors/generate-epcis-xml-vectors.ts`; test/vectors/epcis-xml-vectors.test.ts
 * checks the files are what this writes.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEpcisXml } from '../../api/epcis-xml/index.js';
import { canonicalize } from '../../ledger/encoding/canonical-json.js';

export const EPCIS_XML_VECTORS_DIRECTORY = fileURLToPath(new URL('./epcis-xml/', import.meta.url));

/** The canonical JSON text of the document an XML vector converts to. */
export function canonicalJsonOfXmlVector(xml: string): string {
  const result = parseEpcisXml(xml);
  if (!result.ok) throw new Error(`${result.problem.code}: ${result.problem.message}`);
  return canonicalize(result.document);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const name of readdirSync(EPCIS_XML_VECTORS_DIRECTORY).filter((file) => file.endsWith('.xml'))) {
    const xml = readFileSync(join(EPCIS_XML_VECTORS_DIRECTORY, name), 'utf8');
    writeFileSync(join(EPCIS_XML_VECTORS_DIRECTORY, name.replace(/\.xml$/, '.json')), canonicalJsonOfXmlVector(xml));
  }
}
