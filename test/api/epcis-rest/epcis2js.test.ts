/**
 * An existing EPCIS tool, unchanged, against a validator (issue 14): the real epcis2.js SDK
 * builds a document with its own builders, captures it with its own `capture` call through the
 * validator's GS1 REST binding (the participant's signature headers passed through its request
 * settings, computed by the typed client's epcisCaptureHeaders), and polls its own capture-status
 * call; the same events then come back from GET /epcis/events and /epcis/events/{eventID}.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BizLocation, CaptureResponse, EPCISDocument, ObjectEvent, ReadPoint, capture, cbv } from 'epcis2.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { startApiNode, type ApiNode } from '../support/api-node.js';
import { epcis } from './support.js';

let node: ApiNode;
beforeAll(async () => {
  node = await startApiNode();
});
afterAll(async () => {
  await node?.close();
});

describe('epcis2.js', () => {
  it('captures through the standard binding, polls its capture job, and the events read back', async () => {
    const items = ['urn:epc:id:sgtin:0614141.0012345.EJS1', 'urn:epc:id:sgtin:0614141.0012345.EJS2'];
    const eventId = 'urn:uuid:5f7a0c52-8f2e-4c11-9a3e-0000000e2e01';
    const commissioning = new ObjectEvent()
      .setEventID(eventId)
      .setEventTime('2026-03-01T08:00:00.000Z')
      .setEventTimeZoneOffset('+01:00')
      .setAction(cbv.actionTypes.add)
      .setBizStep(cbv.bizSteps.commissioning)
      .setDisposition(cbv.dispositions.active)
      .addEPCList(items)
      .setReadPoint(new ReadPoint().setId('urn:epc:id:sgln:0614141.00001.1'))
      .setBizLocation(new BizLocation().setId('urn:epc:id:sgln:0614141.00001.0'));
    const inspection = new ObjectEvent()
      .setEventTime('2026-03-01T08:05:00.000Z')
      .setEventTimeZoneOffset('+01:00')
      .setAction(cbv.actionTypes.observe)
      .setBizStep(cbv.bizSteps.inspecting)
      .addEPC(items[0]!)
      .setReadPoint(new ReadPoint().setId('urn:epc:id:sgln:0614141.00001.1'));
    const document = new EPCISDocument().addEvent(commissioning).addEvent(inspection);
    expect(document.isValid()).toBe(true);

    // The signature covers what epcis2.js will send: its own document object.
    const headers = node.client().epcisCaptureHeaders(document.toObject() as JsonValue, [node.signers['farm']!]);
    const apiUrl = `${node.url}/epcis`;
    const response = await capture(document, { apiUrl, headers });
    expect(response.status).toBe(202);

    const job = new CaptureResponse(response);
    expect(job.getLocation()).toMatch(/\/epcis\/capture\/[0-9a-f]{64}$/);
    await job.pollForTheCaptureToFinish(200, 50, { apiUrl });
    expect(job.getRunningStatus()).toBe(false);
    expect(job.getSuccessStatus()).toBe(true);
    expect(job.getErrors()).toEqual([]);

    const read = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(items[0]!)}&EQ_bizStep=commissioning|inspecting`, { token: 'farm' });
    const events = read.body.epcisBody.queryResults.resultsBody.eventList as Array<Record<string, unknown>>;
    expect(events).toEqual([document.toObject().epcisBody.eventList[0], document.toObject().epcisBody.eventList[1]].map((sent) => expect.objectContaining(sent as Record<string, unknown>)));
    const one = await epcis(node, 'GET', `/events/${encodeURIComponent(eventId)}`, { token: 'farm' });
    expect(one.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining(commissioning.toObject() as Record<string, unknown>)]);

    // A capture epcis2.js sends without the participant's signature is refused, as its own call reports.
    const unsigned = await capture(new EPCISDocument().addEvent(new ObjectEvent().setEventTime('2026-03-01T09:00:00.000Z').setEventTimeZoneOffset('+00:00').setAction(cbv.actionTypes.observe).addEPC(items[1]!)), { apiUrl });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ type: 'epcisException:SecurityException' });
  });
});
