/** The EPCIS XML format the REST binding registers: capture bodies in, query answers out. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { epcisXmlFormat } from '../../../api/epcis-xml/rest-format.js';
import { validateEpcisDocument } from '../../../contracts/epcis/index.js';
import { ApiError } from '../../../node/http/errors.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

describe('epcisXmlFormat', () => {
  it('reads a capture body into the JSON-LD document, and refuses hostile XML with a 400 naming the problem', () => {
    const converted = epcisXmlFormat.parse(readFileSync(join(GS1_DIRECTORY, 'xml', '1.2', 'AggregationEvent.xml'), 'utf8'));
    expect(converted.ok && validateEpcisDocument(converted.document).ok).toBe(true);
    const refused = epcisXmlFormat.parse('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problem).toBeInstanceOf(ApiError);
    expect([refused.problem.status, refused.problem.code]).toEqual([400, 'xml-doctype-refused']);
    const unknown = epcisXmlFormat.parse('<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"><EPCISBody><EventList><Event/></EventList></EPCISBody></epcis:EPCISDocument>');
    expect(!unknown.ok && [unknown.problem.code, unknown.problem.path]).toEqual(['xml-unknown-element', '/epcis:EPCISDocument/EPCISBody/EventList/Event']);
  });

  it('writes a query answer as EPCIS 2.0 XML, and names both XML media types', () => {
    const query = JSON.parse(readFileSync(join(GS1_DIRECTORY, 'examples', 'EPCISQueryDocument.jsonld'), 'utf8'));
    expect(epcisXmlFormat.serialize(query)).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<epcisq:EPCISQueryDocument /);
    expect(epcisXmlFormat.mediaTypes).toEqual(['application/xml', 'text/xml']);
  });
});
