/**
 * The query API against a real listening validator holding the devnet demo supply chain (issue 6,
 * "Queries"): the EPCIS 2.0 SimpleEventQuery with every parameter, alternatives and paging;
 * chain of custody; traces; recall scope; block ranges; approvals; exports. Access rules for
 * each are checked with the regulator (reads everything) and with participants (their own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { fromHex } from '../../ledger/encoding/hex.js';
import { verifyFor } from '../../ledger/crypto/signatures.js';
import { validateEpcisDocument } from '../../contracts/epcis/index.js';
import { FSMA204_COLUMNS } from '../../api/http/fsma204.js';
import { gtinOf } from '../../ledger/store/identifiers.js';
import { csvObjects, parseCsv } from './support/csv.js';
import { CHAIN_ID, get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

let node: ApiNode;
/** Every recorded event, as the regulator sees them. */
let everything: JsonValue[];
let pallet: string;
let crates: string[];

beforeAll(async () => {
  node = await startApiNode();
  everything = (await node.as('regulator').events({ perPage: 1000 })).events;
  ({ pallet, crates } = node.demo);
}, 60_000);

afterAll(async () => {
  await node?.close();
});

const url = (path: string) => `${node.url}${path}`;
const encode = encodeURIComponent;
const key = (event: JsonValue) => JSON.stringify(event);

async function eventsFor(query: string, token: string = TOKENS.regulator): Promise<Array<Record<string, any>>> {
  const response = await get(url(`/v1/events?perPage=1000&${query}`), token);
  expect(response.status, response.text).toBe(200);
  return response.body.epcisBody.queryResults.resultsBody.eventList;
}

/** `token` null sends no credential. */
async function expectError(path: string, status: number, code: string, field: string, token: string | null = TOKENS.regulator): Promise<void> {
  const response = await get(url(path), token ?? undefined);
  expect(response.status, response.text).toBe(status);
  expect(response.body).toEqual({ code, message: expect.any(String), path: field });
}

describe('GET /v1/events', () => {
  it('answers an EPCIS 2.0 EPCISQueryDocument that GS1-conformant validation accepts', async () => {
    const response = await get(url('/v1/events?perPage=5'), TOKENS.regulator);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(response.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(response.body).toMatchObject({ type: 'EPCISQueryDocument', schemaVersion: '2.0', epcisBody: { queryResults: { queryName: 'SimpleEventQuery' } } });
    expect(Number.isNaN(Date.parse(response.body.creationDate))).toBe(false);
    expect(response.body.epcisBody.queryResults.resultsBody.eventList).toHaveLength(5);
    const validation = validateEpcisDocument(response.body);
    expect(validation.ok, JSON.stringify(validation)).toBe(true);
    // The demo's 19 events and the 4 extras of support/api-node.ts.
    expect(everything.length).toBe(23);
  });

  it('matches EPCs by role: epcList/childEPCs, any role, parent, inputs and outputs', async () => {
    const { itemA, itemB, itemC } = node.extras;
    expect((await eventsFor(`MATCH_epc=${encode(itemB)}`)).map((event) => event['bizStep'])).toEqual(['commissioning', 'shipping', 'receiving']);
    expect((await eventsFor(`MATCH_epc=${encode(crates[0]!)}`)).map((event) => event['type'])).toEqual(['ObjectEvent', 'AggregationEvent']);
    expect((await eventsFor(`MATCH_anyEPC=${encode(pallet)}`)).map((event) => event['type'])).toEqual(['AggregationEvent', 'ObjectEvent']);
    expect(await eventsFor(`MATCH_parentID=${encode(pallet)}`)).toHaveLength(1);
    expect((await eventsFor(`MATCH_inputEPC=${encode(itemA)}`)).map((event) => event['eventID'])).toEqual([node.extras.transformationEventId]);
    expect((await eventsFor(`MATCH_outputEPC=${encode(itemC)}`)).map((event) => event['eventID'])).toEqual([node.extras.transformationEventId]);
    expect(await eventsFor(`MATCH_inputEPC=${encode(itemC)}`)).toEqual([]);
  });

  it('matches classes: MATCH_epcClass in quantityList and childQuantityList, MATCH_anyEPCClass in every quantity list', async () => {
    const salad = encode(node.demo.saladLot);
    const direct = await eventsFor(`MATCH_epcClass=${salad}`);
    const any = await eventsFor(`MATCH_anyEPCClass=${salad}`);
    expect(direct).toHaveLength(11);
    expect(any).toHaveLength(12);
    expect(any.filter((event) => !direct.some((other) => key(other) === key(event))).map((event) => event['type'])).toEqual(['TransformationEvent']);
  });

  it('matches business steps and dispositions in any CBV spelling, locations, event ids, types and actions', async () => {
    const spellings = ['shipping', 'urn:epcglobal:cbv:bizstep:shipping', 'https://ref.gs1.org/cbv/BizStep-shipping'];
    const results = await Promise.all(spellings.map((spelling) => eventsFor(`EQ_bizStep=${encode(spelling)}`)));
    expect(results[0]).toHaveLength(5);
    for (const result of results) expect(result.map(key)).toEqual(results[0]!.map(key));
    expect(await eventsFor(`EQ_disposition=${encode('urn:epcglobal:cbv:disp:in_transit')}`)).toHaveLength(5);
    expect(await eventsFor(`EQ_bizLocation=${encode(node.extras.bizLocation)}`)).toHaveLength(2);
    expect(await eventsFor(`EQ_readPoint=${encode(node.extras.readPoint)}`)).toHaveLength(2);
    expect((await eventsFor(`EQ_eventID=${encode(node.extras.shippingEventId)}`)).map((event) => event['eventID'])).toEqual([node.extras.shippingEventId]);
    expect(await eventsFor('EQ_type=TransformationEvent')).toHaveLength(2);
    expect(await eventsFor('eventType=TransformationEvent')).toHaveLength(2);
    // The harvest (a lot and its crates), the lettuce packed into three crates, the crates on the pallet, and an extra.
    expect((await eventsFor('EQ_action=ADD')).map((event) => event['type'])).toEqual(['ObjectEvent', 'ObjectEvent', 'AggregationEvent', 'AggregationEvent', 'AggregationEvent', 'AggregationEvent', 'ObjectEvent']);
  });

  it('combines criteria (all must hold) and pipe-separated alternatives (any may), without duplicates', async () => {
    const shippedSalad = await eventsFor(`EQ_bizStep=shipping&MATCH_epcClass=${encode(node.demo.saladLot)}`);
    expect(shippedSalad).toHaveLength(3);
    expect(await eventsFor('EQ_type=AggregationEvent|TransformationEvent')).toHaveLength(6);
    // The crate's commissioning and filling, the pallet's loading (which names both) and handover: each once.
    const either = await eventsFor(`MATCH_anyEPC=${encode(`${pallet}|${crates[0]}`)}`);
    expect(either).toHaveLength(4);
    expect(new Set(either.map(key)).size).toBe(4);
  });

  it('filters by event time: GE_eventTime inclusive, LT_eventTime exclusive', async () => {
    const transformation = (await eventsFor(`MATCH_anyEPCClass=${encode(node.demo.saladLot)}&EQ_type=TransformationEvent`))[0]!;
    const time = Date.parse(transformation['eventTime']);
    const at = (milliseconds: number) => encode(new Date(milliseconds).toISOString());
    expect((await eventsFor(`GE_eventTime=${at(time)}&LT_eventTime=${at(time + 1)}`)).map(key)).toEqual([key(transformation)]);
    expect(await eventsFor(`GE_eventTime=${at(time + 1)}&LT_eventTime=${at(time + 1)}`)).toEqual([]);
    const before = await eventsFor(`LT_eventTime=${at(time)}`);
    const after = await eventsFor(`GE_eventTime=${at(time)}`);
    expect(before.length + after.length).toBe(everything.length);
    // A time range with another criterion scans the other index and filters by time in memory.
    expect((await eventsFor(`EQ_type=TransformationEvent&GE_eventTime=${at(time)}&LT_eventTime=${at(time + 1)}`)).map(key)).toEqual([key(transformation)]);
  });

  it('pages through every event exactly once, by Link header and by custodia:nextPageToken', async () => {
    for (const [query, perPage] of [
      ['', 3],
      ['EQ_type=ObjectEvent|AggregationEvent|TransformationEvent', 2],
      [`MATCH_anyEPC=${encode(`${pallet}|${crates.join('|')}`)}`, 1],
    ] as const) {
      const single = await eventsFor(query);
      const walked: string[] = [];
      let next: string | null = `/v1/events?perPage=${perPage}${query === '' ? '' : `&${query}`}`;
      let pages = 0;
      while (next !== null) {
        const response = await get(url(next), TOKENS.regulator);
        expect(response.status, response.text).toBe(200);
        const events = response.body.epcisBody.queryResults.resultsBody.eventList as JsonValue[];
        expect(events.length).toBeLessThanOrEqual(perPage);
        walked.push(...events.map(key));
        const link = response.headers.get('link');
        const token = response.body['custodia:nextPageToken'] as string | undefined;
        expect(link === null).toBe(token === undefined);
        if (link !== null) expect(link).toContain(`nextPageToken=${token}`);
        next = link === null ? null : /^<([^>]+)>; rel="next"$/.exec(link)![1]!;
        pages += 1;
        expect(pages).toBeLessThan(100);
      }
      expect(new Set(walked).size).toBe(walked.length);
      expect(walked).toEqual(single.map(key));
      expect(pages).toBeGreaterThan(1);
    }
  });

  it('refuses bad parameters with 400 naming the parameter', async () => {
    await expectError('/v1/events?perPage=0', 400, 'bad-query', 'perPage');
    await expectError('/v1/events?perPage=1001', 400, 'bad-query', 'perPage');
    await expectError('/v1/events?perPage=ten', 400, 'bad-query', 'perPage');
    await expectError('/v1/events?MATCH_epc=', 400, 'bad-query', 'MATCH_epc');
    await expectError('/v1/events?MATCH_epc=a||b', 400, 'bad-query', 'MATCH_epc');
    await expectError(`/v1/events?MATCH_epc=${Array.from({ length: 33 }, (_, index) => `urn:x:${index}`).join('|')}`, 400, 'bad-query', 'MATCH_epc');
    await expectError('/v1/events?MATCH_epc=a&MATCH_epc=b', 400, 'bad-query', 'MATCH_epc');
    await expectError('/v1/events?EQ_type=Event', 400, 'bad-query', 'EQ_type');
    await expectError('/v1/events?EQ_action=UPDATE', 400, 'bad-query', 'EQ_action');
    await expectError('/v1/events?GE_eventTime=yesterday', 400, 'bad-query', 'GE_eventTime');
    await expectError('/v1/events?LT_eventTime=2026-01-01T00:00:00', 400, 'bad-query', 'LT_eventTime');
    await expectError('/v1/events?MATCH_everything=1', 400, 'bad-query', 'MATCH_everything');
    await expectError(`/v1/events?MATCH_epc=${'x'.repeat(3000)}`, 400, 'bad-query', 'MATCH_epc');
  });

  it('refuses page tokens that are forged, altered or from another query', async () => {
    const first = await get(url('/v1/events?perPage=2'), TOKENS.regulator);
    const token = first.body['custodia:nextPageToken'] as string;
    await expectError('/v1/events?perPage=2&nextPageToken=not-a-token', 400, 'bad-page-token', 'nextPageToken');
    await expectError('/v1/events?perPage=2&nextPageToken=a+b', 400, 'bad-query', 'nextPageToken');
    await expectError(`/v1/events?perPage=2&EQ_type=ObjectEvent&nextPageToken=${token}`, 400, 'bad-page-token', 'nextPageToken');
    // Another reader's view of the same query is another query.
    await expectError(`/v1/events?perPage=2&nextPageToken=${token}`, 400, 'bad-page-token', 'nextPageToken', TOKENS.farm);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    const altered = Buffer.from(JSON.stringify({ ...decoded, s: 9999 }), 'utf8').toString('base64url');
    await expectError(`/v1/events?perPage=2&nextPageToken=${altered}`, 400, 'bad-page-token', 'nextPageToken');
    const misplaced = Buffer.from(JSON.stringify({ ...decoded, c: Buffer.from('x:elsewhere').toString('base64url') }), 'utf8').toString('base64url');
    await expectError(`/v1/events?perPage=2&nextPageToken=${misplaced}`, 400, 'bad-page-token', 'nextPageToken');
  });

  it('shows participants only the events they are a party to', async () => {
    const retailer = await eventsFor('', TOKENS.retailer);
    expect(retailer).toHaveLength(4);
    expect(retailer.map((event) => event['bizStep'])).toEqual(['shipping', 'receiving', 'shipping', 'receiving']);
    expect(await eventsFor(`MATCH_anyEPCClass=${encode(node.demo.lettuceLot)}`, TOKENS.retailer)).toEqual([]);
    expect(await eventsFor(`MATCH_epcClass=${encode(node.demo.saladLot)}`, TOKENS.retailer)).toHaveLength(2);
    const farm = await eventsFor('', TOKENS.farm);
    expect(farm).toHaveLength(11);
    for (const event of [...farm, ...retailer]) expect(everything.map(key)).toContain(key(event));
  });

  it('needs a read credential', async () => {
    await expectError('/v1/events', 401, 'credential-required', 'authorization', null);
  });
});

describe('GET /v1/items/:epc/history', () => {
  it('gives the chain of custody of a lot: each step with who, where, when and the signing parties, and the current record', async () => {
    const history = await node.as('regulator').itemHistory(node.demo.saladLot);
    expect(history.kind).toBe('class');
    expect(history.truncated).toBe(false);
    expect(history.events.map((event) => event.step)).toEqual(['produced', 'shipped', 'received', 'observed', 'observed', 'observed', 'observed', 'shipped', 'received', 'observed', 'shipped', 'received']);
    const [produced, toCarrier, atCarrier, ...rest] = history.events;
    expect(produced).toMatchObject({ to: node.participantId('processor'), quantity: { quantity: 480, uom: 'KGM' }, signers: [node.participantId('processor')] });
    expect(toCarrier).toMatchObject({ from: node.participantId('processor'), to: node.participantId('carrier') });
    expect(atCarrier).toMatchObject({ from: node.participantId('processor'), to: node.participantId('carrier'), signers: [node.participantId('carrier')] });
    expect(rest.slice(0, 4).map((reading) => reading.readings)).toEqual([3.8, 4.6, 6.9, 11.5].map((value) => [{ type: 'Temperature', value, uom: 'CEL' }]));
    // Hours apart, in order.
    const times = history.events.map((event) => Date.parse(event.eventTime));
    expect(times).toEqual([...times].sort((left, right) => left - right));
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(24 * 3_600_000);
    for (const event of history.events) {
      expect(event.txId).toMatch(/^[0-9a-f]{64}$/);
      expect(event.recordedAt).toBeGreaterThan(0);
      expect(event.parties).toEqual(expect.arrayContaining(event.signers));
    }
    expect(history.current).toMatchObject({ id: node.demo.saladLot, status: 'active', holdings: { [node.participantId('distributor')]: 360, [node.participantId('retailer')]: 120 }, recalls: [node.demo.recallId], excursions: 1 });
    expect(history.participants[node.participantId('retailer')]).toEqual({ name: 'Corner Grocer', roles: ['retailer'] });
  });

  it('follows an item into its container: the pallet’s handover moves the crate, signed by both parties', async () => {
    const history = await node.as('regulator').itemHistory(crates[0]!);
    expect(history.kind).toBe('instance');
    expect(history.events.map((event) => [event.step, event.via])).toEqual([
      ['commissioned', undefined],
      ['packed', undefined],
      ['packed', undefined],
      ['handed-over', pallet],
    ]);
    expect(history.events[3]).toMatchObject({ from: node.participantId('farm'), to: node.participantId('processor'), signers: [node.participantId('farm'), node.participantId('processor')] });
    expect(history.current).toMatchObject({ possessor: node.participantId('processor'), parent: pallet });
  });

  it('shows a participant only its own events of an item, and refuses items it had no part in', async () => {
    const history = await node.as('retailer').itemHistory(node.demo.saladLot);
    expect(history.events.map((event) => event.step)).toEqual(['shipped', 'received']);
    await expectError(`/v1/items/${encode(node.demo.lettuceLot)}/history`, 403, 'not-a-party', 'epc', TOKENS.retailer);
    // Refused alike whether or not the item exists: the answer reveals nothing about others' goods.
    await expectError(`/v1/items/${encode('urn:epc:id:sgtin:0614141.0012345.NONE')}/history`, 403, 'not-a-party', 'epc', TOKENS.retailer);
  });

  it('answers 404 for unknown items, 400 for identifiers that are not URIs, 401 without a credential', async () => {
    await expectError(`/v1/items/${encode('urn:epc:id:sgtin:0614141.0012345.NONE')}/history`, 404, 'not-found', 'epc');
    await expectError(`/v1/items/${encode('not an epc')}/history`, 400, 'bad-parameter', 'epc');
    await expectError(`/v1/items/${encode(node.demo.saladLot)}/history?extra=1`, 400, 'bad-query', 'extra');
    await expectError(`/v1/items/${encode(node.demo.saladLot)}/history`, 401, 'credential-required', 'authorization', null);
  });
});

describe('GET /v1/items/:epc/trace', () => {
  it('traces forward from an ingredient to what was made from it, and back again', async () => {
    // Forward: what was made of the lettuce, and what carried it (the crates it was packed in, the pallet they were on).
    const forward = await node.as('regulator').trace(node.demo.lettuceLot, 'forward');
    expect(forward.nodes.map((entry) => entry.id)).toEqual([node.demo.lettuceLot, node.demo.saladLot, ...crates, pallet]);
    expect(forward.edges).toEqual([
      { from: node.demo.saladLot, to: node.demo.lettuceLot, relation: 'made-from' },
      ...crates.map((crate) => ({ from: crate, to: node.demo.lettuceLot, relation: 'contains' })),
      ...crates.map((crate) => ({ from: pallet, to: crate, relation: 'contains' })),
    ]);
    const back = await node.as('regulator').trace(node.demo.saladLot, 'back');
    expect(back.nodes.map((entry) => entry.id)).toEqual([node.demo.saladLot, node.demo.lettuceLot]);
    const pack = await node.as('regulator').trace(pallet, 'back');
    // Back from the pallet: the crates on it, and the lettuce in each crate.
    expect(pack.edges.filter((edge) => edge.from === pallet).map((edge) => edge.to).sort()).toEqual([...crates].sort());
    expect(pack.edges.filter((edge) => edge.from !== pallet)).toEqual(crates.map((crate) => ({ from: crate, to: node.demo.lettuceLot, relation: 'contains' })));
    const defaulted = await get(url(`/v1/items/${encode(node.demo.saladLot)}/trace`), TOKENS.regulator);
    expect(defaulted.body.direction).toBe('back');
  });

  it('applies the party rule and documents its errors', async () => {
    // The retailer may trace its salad back, but sees of the lettuce (whose history it is refused) only that it is there, and its recall.
    const back = await node.as('retailer').trace(node.demo.saladLot, 'back');
    expect(back.root).toBe(node.demo.saladLot);
    expect(back.nodes.find((entry) => entry.id === node.demo.saladLot)).toMatchObject({ holdings: { [node.participantId('retailer')]: 120 } });
    expect(back.nodes.find((entry) => entry.id === node.demo.lettuceLot)).toEqual({ id: node.demo.lettuceLot, kind: 'class', redacted: true, recalls: [node.demo.recallId] });
    await expectError(`/v1/items/${encode(node.demo.lettuceLot)}/history`, 403, 'not-a-party', 'epc', TOKENS.retailer);
    await expectError(`/v1/items/${encode(node.demo.lettuceLot)}/trace?direction=forward`, 403, 'not-a-party', 'epc', TOKENS.retailer);
    await expectError(`/v1/items/${encode(node.demo.saladLot)}/trace?direction=sideways`, 400, 'bad-query', 'direction');
    await expectError(`/v1/items/${encode('urn:epc:class:lgtin:0614141.0012345.NONE')}/trace`, 404, 'not-found', 'epc');
  });
});

describe('GET /v1/recalls/:id/scope', () => {
  it('lists the recalled lot, what contains it and what was made from it, and where each is now, for any credentialed reader, with custody only where the reader is a party', async () => {
    const scope = await node.as('regulator').recallScope(node.demo.recallId);
    expect(scope).toMatchObject({ recallId: node.demo.recallId, target: node.demo.lettuceLot, issuedBy: [node.participantId('regulator')], scope: [node.demo.lettuceLot, ...crates, node.demo.saladLot, pallet] });
    expect(scope.members.find((member) => member.id === node.demo.saladLot)).toMatchObject({ status: 'active', holdings: { [node.participantId('retailer')]: 120 }, quarantined: false });
    // The crates and the pallet that carried the lettuce, at the processor's.
    for (const container of [...crates, pallet]) expect(scope.members.find((member) => member.id === container), container).toMatchObject({ kind: 'instance', possessor: node.participantId('processor') });
    for (const member of scope.scope) expect((await node.as('regulator').itemHistory(member)).current?.recalls, member).toEqual([node.demo.recallId]);
    // The farm is a party to its lettuce, not to the salad the processor made of it.
    const asFarm = await node.as('farm').recallScope(node.demo.recallId);
    expect(asFarm.scope).toEqual(scope.scope);
    expect(asFarm.members.find((member) => member.id === node.demo.lettuceLot)).toMatchObject({ status: 'consumed', quarantined: false });
    expect(asFarm.members.find((member) => member.id === node.demo.saladLot)).toEqual({ id: node.demo.saladLot, kind: 'class', redacted: true, recalls: [node.demo.recallId] });
  });

  it('is a spreadsheet too: one row per holder of each thing in scope, with its product, quantity and unit', async () => {
    const response = await get(url(`/v1/recalls/${node.demo.recallId}/scope.csv`), TOKENS.regulator);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="recall-/);
    const rows = csvObjects(response.text);
    const salad = rows.filter((row) => row['Recalled'] === node.demo.saladLot);
    expect(salad.map((row) => [row['Held by'], row['Quantity'], row['Unit of Measure']]).sort()).toEqual([
      [`Corner Grocer (${node.participantId('retailer')})`, '120', 'KGM'],
      [`Metro Food Distribution (${node.participantId('distributor')})`, '360', 'KGM'],
    ]);
    expect(salad[0]).toMatchObject({ Kind: 'lot', Product: 'Chopped salad mix, 1 kg bags', Status: 'recalled', 'Recall ID': node.demo.recallId });
    for (const container of [...crates, pallet]) expect(rows.find((row) => row['Recalled'] === container)).toMatchObject({ Kind: 'item', 'Held by': `FreshCut Processing (${node.participantId('processor')})`, Quantity: '1' });
    // The farm sees the salad's row without its holders.
    const asFarm = csvObjects((await get(url(`/v1/recalls/${node.demo.recallId}/scope.csv`), TOKENS.farm)).text);
    expect(asFarm.filter((row) => row['Recalled'] === node.demo.saladLot).map((row) => row['Held by'])).toEqual(['not shared with you']);
  });

  it('answers 404 for an unknown recall, 400 for a malformed id, 401 without a credential', async () => {
    await expectError(`/v1/recalls/${'0'.repeat(64)}/scope`, 404, 'not-found', 'id');
    await expectError('/v1/recalls/NOT-HEX/scope', 400, 'bad-parameter', 'id');
    await expectError(`/v1/recalls/${node.demo.recallId}/scope`, 401, 'credential-required', 'authorization', null);
  });
});

describe('rule-driven changes in the history', () => {
  it('show the certificate, the quarantine and its release, and the recall of the salad, in ledger order, each with who signed it', async () => {
    const history = await node.as('regulator').itemHistory(node.demo.saladLot);
    expect(history.changes.map((change) => change.kind)).toEqual(['certified', 'quarantined', 'released', 'recalled']);
    const [certified, quarantined, released, recalled] = history.changes;
    expect(certified).toMatchObject({ detail: 'microbiology-clearance', approvalId: node.demo.approvalId, signers: [node.participantId('regulator')] });
    expect(quarantined).toMatchObject({ detail: 'temperature 11.5 °C outside 2 to 8 °C', signers: [node.participantId('carrier')] });
    expect(released).toMatchObject({ detail: 'core temperature and microbiology within limits', reference: quarantined!.reference, signers: [node.participantId('lab')] });
    expect(recalled).toMatchObject({ reference: node.demo.recallId, txId: node.demo.recallId, signers: [node.participantId('regulator')] });
    expect(recalled!.detail).toContain(node.demo.lettuceLot);
    for (const change of history.changes) {
      expect(change.recordedAt).toBeGreaterThan(0);
      expect(history.participants[change.signers[0]!]).toBeDefined();
    }
  });

  it('reach everything the recall reached: the lettuce, its crates and the pallet', async () => {
    for (const member of [node.demo.lettuceLot, ...crates, pallet]) {
      const changes = (await node.as('regulator').itemHistory(member)).changes;
      expect(changes.map((change) => [change.kind, change.reference]), member).toEqual([['recalled', node.demo.recallId]]);
    }
    expect((await node.as('regulator').itemHistory(node.demo.lettuceLot)).changes[0]!.detail).toBe('E. coli O157:H7 found in irrigation water');
  });

  it('filter events by event time and changes by block time, from a day or instant, to a day (inclusive) or instant', async () => {
    const full = await node.as('regulator').itemHistory(node.demo.saladLot);
    const from = full.events[4]!.eventTime;
    const since = (await get(url(`/v1/items/${encode(node.demo.saladLot)}/history?from=${encode(from)}`), TOKENS.regulator)).body;
    expect(since.events.map((event: { reference: string }) => event.reference)).toEqual(full.events.slice(4).map((event) => event.reference));
    const day = full.events[0]!.eventTime.slice(0, 10);
    const thatDay = (await get(url(`/v1/items/${encode(node.demo.saladLot)}/history?from=${day}&to=${day}`), TOKENS.regulator)).body;
    expect(thatDay.events.length).toBeGreaterThan(0);
    expect(thatDay.events.every((event: { eventTime: string }) => event.eventTime.startsWith(day))).toBe(true);
    // Changes are dated by the block that made them: all of today's.
    expect(thatDay.changes).toEqual([]);
    await expectError(`/v1/items/${encode(node.demo.saladLot)}/history?from=last-week`, 400, 'bad-query', 'from');
  });
});

describe('GET /v1/search', () => {
  const search = async (query: string, token: string = TOKENS.regulator) => {
    const response = await get(url(`/v1/search?q=${encode(query)}`), token);
    expect(response.status, response.text).toBe(200);
    return response.body as { results: Array<{ id: string; match: string; description?: string; status?: string }>; complete: boolean };
  };
  const lotCode = () => node.demo.saladLot.split('.').pop()!;

  it('finds a lot by its lot code, a part of it, its GS1 key and its GTIN, exact matches first, with its product and status', async () => {
    const exact = await search(lotCode());
    expect(exact.results[0]).toEqual({ id: node.demo.saladLot, kind: 'class', match: 'exact', description: 'Chopped salad mix, 1 kg bags', status: 'recalled' });
    expect((await search('SALAD')).results.map((result) => [result.id, result.match])).toContainEqual([node.demo.saladLot, 'word']);
    expect((await search('SAL')).results.map((result) => result.id)).toContain(node.demo.saladLot);
    expect((await search(node.demo.saladLot.replace('urn:epc:class:lgtin:', ''))).results[0]).toMatchObject({ id: node.demo.saladLot, match: 'exact' });
    expect((await search(node.demo.lettuceLot)).results[0]).toMatchObject({ id: node.demo.lettuceLot, match: 'exact', description: 'Romaine lettuce, whole heads' });
    const byGtin = await search(gtinOf(node.demo.saladLot)!);
    expect(byGtin.results.filter((result) => result.match === 'exact').map((result) => result.id)).toContain(node.demo.saladLot);
  });

  it('finds for a participant only what it may read, and needs a credential', async () => {
    expect((await search(lotCode(), TOKENS.retailer)).results.map((result) => result.id)).toEqual([node.demo.saladLot]);
    expect((await search(node.demo.lettuceLot.split('.').pop()!, TOKENS.retailer)).results).toEqual([]);
    await expectError('/v1/search?q=', 400, 'bad-query', 'q');
    await expectError('/v1/search?q=salad', 401, 'credential-required', 'authorization', null);
  });
});

describe('GET /v1/blocks-with-transactions', () => {
  it('lists the blocks that carry transactions, newest first, page after page, and nothing else', async () => {
    const head = (await node.client().head()).height;
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await get(url(`/v1/blocks-with-transactions?limit=7${before === undefined ? '' : `&before=${before}`}`));
      expect(response.status, response.text).toBe(200);
      for (const block of response.body.blocks) {
        expect(block.transactions.length).toBeGreaterThan(0);
        seen.push(block.height);
      }
      before = response.body.before;
      if (before === undefined) break;
    }
    expect(seen).toEqual([...seen].sort((left, right) => right - left));
    expect(new Set(seen).size).toBe(seen.length);
    // Exactly the blocks of the ledger that carry transactions.
    const busy: number[] = [];
    for (let from = 1; from <= head; from += 100) {
      for (const block of (await node.client().blocks({ from, limit: 100 })).blocks) if (block.transactions.length > 0) busy.push(block.height);
    }
    expect(seen).toEqual(busy.filter((height) => height <= head).reverse().filter((height) => height <= seen[0]!));
    expect(seen.length).toBeGreaterThanOrEqual(node.demo.transactions);
  });
});

describe('GET /v1/blocks', () => {
  it('lists a bounded range of blocks with their certificates, and where the next range starts', async () => {
    const range = await node.client().blocks({ from: 1, limit: 5 });
    expect(range.blocks.map((block) => block.height)).toEqual([1, 2, 3, 4, 5]);
    expect(range.next).toBe(6);
    for (const block of range.blocks) expect(block.certificate.vote).toMatchObject({ blockHash: block.hash, height: block.height });
    const single = await get(url('/v1/blocks/3'));
    expect(single.body.hash).toBe(range.blocks[2]!.hash);
    const newest = await node.client().blocks();
    expect(newest.blocks).toHaveLength(20);
    expect(newest.blocks[19]!.height).toBe(newest.head);
    expect(newest.next).toBeUndefined();
    const beyond = await node.client().blocks({ from: newest.head + 1000 });
    expect(beyond.blocks).toEqual([]);
    const withTransactions = (await node.client().blocks({ from: 1, limit: 100 })).blocks.flatMap((block) => block.transactions);
    expect(withTransactions.length).toBeGreaterThan(0);
    expect(withTransactions[0]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), type: 'epcis.capture', result: { status: 'accepted' } });
  });

  it('refuses limits beyond the bound and heights that are not positive integers', async () => {
    await expectError('/v1/blocks?limit=101', 400, 'bad-query', 'limit', null);
    await expectError('/v1/blocks?limit=0', 400, 'bad-query', 'limit', null);
    await expectError('/v1/blocks?from=-1', 400, 'bad-query', 'from', null);
    await expectError('/v1/blocks?from=1.5', 400, 'bad-query', 'from', null);
  });
});

describe('GET /v1/approvals', () => {
  it('lists what waits on a party, by its role too', async () => {
    const pending = await node.signedAs('lab').pendingApprovals(node.participantId('lab'));
    expect(pending.approvals.map((entry) => entry.requestId)).toEqual([node.extras.pendingApprovalId]);
    expect(pending.approvals[0]).toMatchObject({ status: 'pending', requester: node.participantId('farm') });
    expect((await node.as('regulator').pendingApprovals(node.participantId('lab'))).approvals).toHaveLength(1);
    expect((await node.as('farm').pendingApprovals(node.participantId('farm'))).approvals).toEqual([]);
  });

  it('gives a request’s status and signature trail, each signature verifying under the signer’s key', async () => {
    const approval = await node.signedAs('lab').approval(node.demo.approvalId);
    expect(approval.status).toBe('executed');
    expect(approval.trail.map((entry) => [entry.kind, entry.party])).toEqual([
      ['request', node.participantId('processor')],
      ['approval', node.participantId('lab')],
      ['approval', node.participantId('regulator')],
    ]);
    for (const entry of approval.trail) {
      expect(entry.signatures).toHaveLength(1);
      const [signature] = entry.signatures;
      expect(signature!.signer).toBe(entry.party);
      expect(verifyFor('transaction', CHAIN_ID, fromHex(signature!.publicKey), fromHex(entry.txId), fromHex(signature!.signature))).toBe(true);
    }
    expect((await node.signedAs('processor').approval(node.demo.approvalId)).requestId).toBe(node.demo.approvalId);
  });

  it('lists every request about an item, and every request involving a party, whatever its age or status', async () => {
    const bySubject = await get(url(`/v1/approvals?subject=${encode(node.demo.saladLot)}`), TOKENS.regulator);
    expect(bySubject.body.approvals.map((entry: { requestId: string; status: string }) => [entry.requestId, entry.status])).toEqual([[node.demo.approvalId, 'executed']]);
    expect(bySubject.body.subject).toBe(node.demo.saladLot);
    const byParty = await get(url(`/v1/approvals?party=${encode(node.participantId('processor'))}`), TOKENS.regulator);
    expect(byParty.body.approvals.map((entry: { requestId: string }) => entry.requestId)).toEqual([node.demo.approvalId]);
    // By role: both requests that name role:laboratory.
    const byRole = await get(url(`/v1/approvals?party=${encode('role:laboratory')}`), TOKENS.regulator);
    expect(byRole.body.approvals.map((entry: { requestId: string }) => entry.requestId).sort()).toEqual([node.demo.approvalId, node.extras.pendingApprovalId].sort());
    // A participant sees by subject only what it may read: the retailer neither made nor may sign the salad's.
    expect((await get(url(`/v1/approvals?subject=${encode(node.demo.saladLot)}`), TOKENS.retailer)).body.approvals).toEqual([]);
    expect((await get(url(`/v1/approvals?party=${encode(node.participantId('farm'))}`), TOKENS.farm)).body.approvals.map((entry: { requestId: string }) => entry.requestId)).toEqual([node.extras.pendingApprovalId]);
  });

  it('refuses others’ lists and requests (403), bad parties and ids (400), unknown requests (404)', async () => {
    await expectError(`/v1/approvals?party=${encode(node.participantId('lab'))}`, 403, 'not-a-party', 'party', TOKENS.farm);
    await expectError(`/v1/approvals?party=role:laboratory`, 403, 'not-a-party', 'party', TOKENS.farm);
    await expectError(`/v1/approvals?subject=${encode(node.demo.saladLot)}&party=${encode(node.participantId('farm'))}`, 400, 'bad-query', 'pendingFor');
    await expectError(`/v1/approvals?pendingFor=${encode(node.participantId('farm'))}&after=0000000000000001:0000:0000`, 400, 'bad-query', 'after');
    await expectError(`/v1/approvals?pendingFor=${encode(node.participantId('lab'))}`, 403, 'not-a-party', 'pendingFor', TOKENS.farm);
    await expectError(`/v1/approvals/${node.demo.approvalId}`, 403, 'not-a-party', 'id', TOKENS.retailer);
    await expectError('/v1/approvals?pendingFor=someone', 400, 'bad-query', 'pendingFor');
    await expectError('/v1/approvals', 400, 'bad-query', 'pendingFor');
    await expectError('/v1/approvals/xyz', 400, 'bad-parameter', 'id');
    await expectError(`/v1/approvals/${'1'.repeat(64)}`, 404, 'not-found', 'id');
  });
});

describe('exports', () => {
  it('exports a lot’s full history as a valid EPCIS 2.0 document', async () => {
    const response = await get(url(`/v1/exports/epcis?epc=${encode(node.demo.saladLot)}`), TOKENS.regulator);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.jsonld"$/);
    expect(response.body).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0' });
    expect(validateEpcisDocument(response.body).ok).toBe(true);
    expect(response.body.epcisBody.eventList.map(key)).toEqual((await eventsFor(`MATCH_anyEPCClass=${encode(node.demo.saladLot)}`)).map(key));
    const retailer = (await node.as('retailer').exportEpcis(node.demo.saladLot)) as { epcisBody: { eventList: unknown[] } };
    expect(retailer.epcisBody.eventList).toHaveLength(2);
    await expectError(`/v1/exports/epcis?epc=${encode(node.demo.lettuceLot)}`, 403, 'not-a-party', 'epc', TOKENS.retailer);
    await expectError(`/v1/exports/epcis?epc=${encode('urn:epc:class:lgtin:0614141.0012345.NONE')}`, 404, 'not-found', 'epc');
    await expectError('/v1/exports/epcis', 400, 'bad-query', 'epc');
  });

  it('exports the FSMA 204 shipping and receiving key data elements of a lot as RFC 4180 CSV', async () => {
    const response = await get(url(`/v1/exports/fsma204.csv?epc=${encode(node.demo.saladLot)}`), TOKENS.regulator);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(parseCsv(response.text)[0]).toEqual([...FSMA204_COLUMNS]);
    const rows = csvObjects(response.text);
    expect(rows.map((row) => [row['Critical Tracking Event'], row['Quantity']])).toEqual([
      ['Shipping', '480'],
      ['Receiving', '480'],
      ['Shipping', '480'],
      ['Receiving', '480'],
      ['Shipping', '120'],
      ['Receiving', '120'],
    ]);
    const [shipped, received] = rows;
    expect(shipped).toMatchObject({
      'Traceability Lot Code': node.demo.saladLot,
      'Traceability Lot Code Source': `FreshCut Processing (${node.participantId('processor')})`,
      'Unit of Measure': 'KGM',
      'Ship-From Location': `FreshCut Processing (${node.participantId('processor')})`,
      'Ship-To Location': `ColdLine Logistics (${node.participantId('carrier')})`,
      'Receive Date': '',
    });
    expect(shipped!['Ship Date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(received!['Receive Date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const times = rows.map((row) => row['Event Time (UTC)']!);
    expect([...times].sort()).toEqual(times);
  });

  it('exports a date range, quoting fields with commas and naming reference documents and locations', async () => {
    // The demo's story spans the days before today.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 10);
    const text = await node.as('regulator').exportFsma204({ from: yesterday, to: today });
    expect(text).toContain(`"${node.extras.purchaseOrder}"`);
    const rows = csvObjects(text);
    expect(rows).toHaveLength(10);
    const purchase = rows.find((row) => row['Traceability Lot Code'] === node.extras.itemB && row['Critical Tracking Event'] === 'Shipping');
    expect(purchase).toMatchObject({ 'Reference Document Type': 'po', 'Reference Document Number': node.extras.purchaseOrder, 'Ship-To Location': node.extras.retailerLocation, Quantity: '1', 'Unit of Measure': 'EA' });
    expect(csvObjects(await node.as('retailer').exportFsma204({ from: yesterday, to: today }))).toHaveLength(4);
    expect(csvObjects(await node.as('regulator').exportFsma204({ from: '2001-01-01', to: '2001-01-02' }))).toEqual([]);
    const lotInRange = csvObjects(await node.as('regulator').exportFsma204({ epc: node.demo.saladLot, from: yesterday }));
    expect(lotInRange).toHaveLength(6);
  });

  it('documents its errors: nothing selected, bad dates, an empty range, no credential, not a party', async () => {
    await expectError('/v1/exports/fsma204.csv', 400, 'bad-query', 'epc');
    await expectError('/v1/exports/fsma204.csv?from=last-week', 400, 'bad-query', 'from');
    await expectError('/v1/exports/fsma204.csv?from=2026-02-01&to=2026-01-01', 400, 'bad-query', 'to');
    await expectError(`/v1/exports/fsma204.csv?epc=${encode(node.demo.lettuceLot)}`, 403, 'not-a-party', 'epc', TOKENS.retailer);
    await expectError('/v1/exports/fsma204.csv?from=2026-01-01', 401, 'credential-required', 'authorization', null);
  });
});

describe('hostile input', () => {
  it('answers a JSON 404 for unknown routes under /v1', async () => {
    await expectError('/v1/lots', 404, 'no-such-route', '', null);
  });

  it('never answers a 5xx, and every refusal is JSON {code, message, path}', async () => {
    const huge = '9'.repeat(17);
    const requests: Array<[string, Record<string, string>]> = [
      ['/v1/items/%E0%A4%A/history', {}],
      [`/v1/items/${'a'.repeat(5000)}/history`, {}],
      ['/v1/items/urn%3Aepc%3Aid%3Asgtin%3A%00/history', {}],
      ['/v1/events?MATCH_epc[]=x', {}],
      ['/v1/events?MATCH_epc=%FF%FE', {}],
      ['/v1/events?GE_eventTime=9999-12-31T23:59:59Z&LT_eventTime=0001-01-01T00:00:00Z', {}],
      ['/v1/events?GE_eventTime=2026-02-30T00:00:00Z', {}],
      [`/v1/events?nextPageToken=${Buffer.from(JSON.stringify({ v: 1, f: '0'.repeat(32), a: 0, s: 0 })).toString('base64url')}`, {}],
      [`/v1/events?nextPageToken=${'A'.repeat(5000)}`, {}],
      [`/v1/proofs/consistency?from=${huge}&to=${huge}`, {}],
      [`/v1/proofs/consistency?from=${Number.MAX_SAFE_INTEGER}&to=${Number.MAX_SAFE_INTEGER}`, {}],
      [`/v1/blocks?from=${Number.MAX_SAFE_INTEGER}&limit=100`, {}],
      ['/v1/exports/fsma204.csv?from=0001-01-01&to=9999-12-31', {}],
      ['/v1/events', { authorization: `Bearer ${'x'.repeat(600)}` }],
      ['/v1/events', { authorization: '' }],
      ['/v1/events', { 'x-custodia-participant': 'p'.repeat(4000), 'x-custodia-timestamp': '1', 'x-custodia-signature': '0'.repeat(128) }],
      [`/v1/approvals/${'f'.repeat(64)}/../../events`, {}],
    ];
    for (const [path, headers] of requests) {
      const response = await get(url(path), 'authorization' in headers || 'x-custodia-participant' in headers ? undefined : TOKENS.regulator, headers);
      expect(response.status, `${path}: ${response.text.slice(0, 200)}`).toBeLessThan(500);
      if (response.status >= 400) expect(Object.keys(response.body ?? {}).sort(), path).toEqual(['code', 'message', 'path']);
    }
  });
});
