/**
 * EPCIS XML through a validator's GS1 EPCIS binding (issue 14, "XML 1.2 and 2.0 documents are
 * captured and queried"): EPCIS 2.0 and 1.2 XML bodies are converted (api/epcis-xml), the
 * participant's signature covers the converted JSON-LD document (docs/encoding.md sections 14
 * and 15), the events commit, and queries answer in EPCIS 2.0 XML when asked for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import { parseEpcisXml, serializeEpcisXml } from '../../../api/epcis-xml/index.js';
import type { JsonObject } from '../../../api/epcis-xml/read-values.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { startApiNode, type ApiNode } from '../support/api-node.js';
import { epcis, settledJob } from './support.js';

let node: ApiNode;
const events = liveEventBuilders();

beforeAll(async () => {
  node = await startApiNode();
});
afterAll(async () => {
  await node?.close();
});

/** Captures an XML body signed over its conversion, as a participant's tool (or the gateway) does it. */
async function captureXml(xml: string, contentType: string): Promise<{ status: number; job: any }> {
  const converted = parseEpcisXml(xml);
  if (!converted.ok) throw new Error(`the test's XML does not convert: ${converted.problem.message}`);
  const headers = node.client().epcisCaptureHeaders(converted.document as JsonValue, [node.signers['farm']!]);
  const answer = await epcis(node, 'POST', '/capture', { body: xml, headers: { 'content-type': contentType, ...headers } });
  return { status: answer.status, job: answer.status === 202 ? await settledJob(node, answer.headers.get('location')!) : answer.body };
}

/** The events an XML query answer lists, read back through the XML reader. */
function eventsOfXmlAnswer(xml: string): JsonObject[] {
  const parsed = parseEpcisXml(xml);
  if (!parsed.ok) throw new Error(`the answer is not EPCIS XML: ${parsed.problem.message}`);
  const document = parsed.document as any;
  return document.epcisBody.queryResults.resultsBody.eventList as JsonObject[];
}

describe('EPCIS XML through the binding', () => {
  it('captures EPCIS 2.0 XML signed over its JSON-LD conversion, and answers a query in EPCIS 2.0 XML', async () => {
    const item = 'urn:epc:id:sgtin:0614141.0012345.XML20';
    const document = events.document(events.commissioning([item])) as JsonObject;
    const written = serializeEpcisXml(document);
    const captured = await captureXml(written.xml, 'application/xml');
    expect(captured).toMatchObject({ status: 202, job: { success: true, errors: [] } });

    const answer = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(item)}`, { token: 'farm', headers: { accept: 'application/xml' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(eventsOfXmlAnswer(answer.text)).toEqual([expect.objectContaining({ type: 'ObjectEvent', action: 'ADD', epcList: [item] })]);
  });

  it('captures EPCIS 1.2 XML (what older systems export) as the EPCIS 2.0 event it converts to', async () => {
    const item = 'urn:epc:id:sgtin:0614141.0012345.XML12';
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" creationDate="2026-01-01T00:00:00Z" schemaVersion="1.2">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2026-01-01T00:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcList><epc>${item}</epc></epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
      </ObjectEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>`;
    const captured = await captureXml(xml, 'text/xml');
    expect(captured).toMatchObject({ status: 202, job: { success: true } });
    const answer = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(item)}`, { token: 'farm' });
    expect(answer.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining({ bizStep: 'commissioning', disposition: 'active', epcList: [item] })]);
  });

  it('refuses XML signed over something else (401), and hostile XML as a 400 naming the rule', async () => {
    const item = 'urn:epc:id:sgtin:0614141.0012345.XMLBAD';
    const document = events.document(events.commissioning([item])) as JsonObject;
    const other = events.document(events.commissioning(['urn:epc:id:sgtin:0614141.0012345.XMLOTHER'])) as JsonObject;
    const headers = node.client().epcisCaptureHeaders(other as JsonValue, [node.signers['farm']!]);
    const forged = await epcis(node, 'POST', '/capture', { body: serializeEpcisXml(document).xml, headers: { 'content-type': 'application/xml', ...headers } });
    expect(forged.status).toBe(401);
    const entities = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">&a;</epcis:EPCISDocument>';
    const hostile = await epcis(node, 'POST', '/capture', { body: entities, headers: { 'content-type': 'application/xml', ...headers } });
    expect(hostile.status).toBe(400);
    expect(hostile.body).toMatchObject({ code: expect.stringMatching(/^xml-/), type: 'epcisException:ValidationException' });
  });
});
