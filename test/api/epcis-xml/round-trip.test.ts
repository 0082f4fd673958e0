/**
 * serializeEpcisXml and parseEpcisXml are inverses for everything XML can say: every EPCIS 2.0
 * JSON-LD document of GS1's examples and of examples/ comes back from XML equal to itself
 * under support/normalise.ts, and every XML fixture comes back from JSON-LD to the same JSON-LD.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalize, type JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { epcisQueryDocumentToXml, parseEpcisXml, serializeEpcisXml } from '../../../api/epcis-xml/index.js';
import { validateEpcisDocument } from '../../../contracts/epcis/index.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';
import { differences, normaliseDocument } from './support/normalise.js';

type JsonObject = { [key: string]: JsonValue };

const EXAMPLES_DIRECTORY = fileURLToPath(new URL('../../../examples/', import.meta.url));

function filesUnder(directory: string, extension: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path, extension) : name.endsWith(extension) ? [path] : [];
  });
}

function fromXml(xml: string): JsonObject {
  const result = parseEpcisXml(xml);
  if (!result.ok) throw new Error(`${result.problem.code}: ${result.problem.message}`);
  return result.document;
}

const jsonDocuments = [...filesUnder(join(GS1_DIRECTORY, 'examples'), '.jsonld'), ...filesUnder(EXAMPLES_DIRECTORY, '.jsonld')];
const xmlDocuments = filesUnder(join(GS1_DIRECTORY, 'xml'), '.xml');

describe('JSON-LD to XML to JSON-LD', () => {
  it('finds the documents', () => {
    expect(jsonDocuments.length).toBeGreaterThanOrEqual(35);
  });

  it.each(jsonDocuments.map((file) => [relative(join(GS1_DIRECTORY, '..'), file), file]))('%s comes back valid and equal', (_name, file) => {
    const document = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    expect(validateEpcisDocument(document).ok).toBe(true);
    const { xml, warnings } = serializeEpcisXml(document);
    // The only thing these documents carry that XML cannot is the document id.
    expect(warnings.map((warning) => warning.path)).toEqual(document['id'] === undefined ? [] : ['id']);
    const back = fromXml(xml);
    expect(validateEpcisDocument(back).ok).toBe(true);
    expect(differences(normaliseDocument(back, { collapseSingletonLists: true }), normaliseDocument(document, { collapseSingletonLists: true }))).toEqual([]);
  });

  it('writes the query answer interface the REST binding calls as the same XML', () => {
    const query = JSON.parse(readFileSync(join(GS1_DIRECTORY, 'examples', 'EPCISQueryDocument.jsonld'), 'utf8')) as JsonObject;
    const xml = epcisQueryDocumentToXml(query);
    expect(xml).toBe(serializeEpcisXml(query).xml);
    expect(xml).toContain('<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2"');
    const back = fromXml(xml);
    expect(back['type']).toBe('EPCISQueryDocument');
    expect((back['epcisBody'] as JsonObject)['queryResults']).toMatchObject({ queryName: (query['epcisBody'] as JsonObject)['queryResults'] && ((query['epcisBody'] as JsonObject)['queryResults'] as JsonObject)['queryName'] });
  });
});

describe('XML to JSON-LD to XML to JSON-LD', () => {
  it.each(xmlDocuments.map((file) => [relative(join(GS1_DIRECTORY, 'xml'), file), file]))('%s gives the same JSON-LD twice', (_name, file) => {
    const first = fromXml(readFileSync(file, 'utf8'));
    const { xml, warnings } = serializeEpcisXml(first);
    expect(warnings).toEqual([]);
    expect(canonicalize(fromXml(xml))).toBe(canonicalize(first));
  });
});
