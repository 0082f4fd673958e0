/**
 * The EPCIS XML vectors (test/vectors/epcis-xml/, docs/encoding.md section 14): each NAME.xml
 * converts to exactly the bytes of NAME.json, the RFC 8785 canonical JSON a signer signs when
 * the events came as XML, and that document is valid EPCIS 2.0.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import { validateEpcisDocument } from '../../contracts/epcis/index.js';
import { canonicalJsonOfXmlVector, EPCIS_XML_VECTORS_DIRECTORY } from './generate-epcis-xml-vectors.js';

const vectors = readdirSync(EPCIS_XML_VECTORS_DIRECTORY)
  .filter((name) => name.endsWith('.xml'))
  .map((name) => name.replace(/\.xml$/, ''));

describe('EPCIS XML vectors', () => {
  it('has a JSON file for every XML file, and the three kinds of input', () => {
    expect(vectors.sort()).toEqual(['object-event-2.0', 'query-document-2.0', 'transformation-event-1.2']);
    expect(readdirSync(EPCIS_XML_VECTORS_DIRECTORY).filter((name) => name.endsWith('.json')).length).toBe(vectors.length);
  });

  it.each(vectors)('%s.xml converts to the bytes of %s.json, which are canonical and valid', (name) => {
    const xml = readFileSync(join(EPCIS_XML_VECTORS_DIRECTORY, `${name}.xml`), 'utf8');
    const expected = readFileSync(join(EPCIS_XML_VECTORS_DIRECTORY, `${name}.json`), 'utf8');
    expect(canonicalJsonOfXmlVector(xml)).toBe(expected);
    const document: unknown = JSON.parse(expected);
    expect(canonicalize(document)).toBe(expected);
    expect(validateEpcisDocument(document).ok).toBe(true);
  });
});
