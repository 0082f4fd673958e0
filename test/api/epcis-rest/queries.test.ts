/**
 * Reading through the GS1 EPCIS 2.0 REST binding (api/epcis-rest/event-routes.ts and
 * query-routes.ts): the standard query parameters and nextPageToken paging on the engine of
 * /v1/events, the party rule, the top-level resources, named queries, discovery, and JSON
 * problems for every unknown route (here and on the rest of the validator).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReadRequest } from '../../../api/http/read-signature.js';
import { CHAIN_ID, startApiNode, type ApiNode } from '../support/api-node.js';
import { epcis } from './support.js';

let node: ApiNode;
beforeAll(async () => {
  node = await startApiNode();
});
afterAll(async () => {
  await node?.close();
});

const eventsOf = (answer: { body: any }) => answer.body.epcisBody.queryResults.resultsBody.eventList as Array<Record<string, any>>;
const encode = encodeURIComponent;

describe('GET /epcis/events', () => {
  it('answers an EPCISQueryDocument with the GS1 headers, the same events /v1/events answers', async () => {
    const answer = await epcis(node, 'GET', `/events?MATCH_epc=${encode(node.extras.itemB)}`, { token: 'regulator' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/ld+json; charset=utf-8');
    expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(answer.headers.get('gs1-cbv-version')).toBe('2.0.0');
    expect(answer.body).toMatchObject({ type: 'EPCISQueryDocument', schemaVersion: '2.0' });
    const v1 = await node.as('regulator').events({ MATCH_epc: node.extras.itemB });
    expect(eventsOf(answer)).toEqual(v1.events);
    expect(eventsOf(answer).map((event) => event['bizStep'])).toEqual(['commissioning', 'shipping', 'receiving']);
    const asJson = await epcis(node, 'GET', '/events?perPage=1', { token: 'regulator', headers: { accept: 'application/json' } });
    expect(asJson.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('pages with perPage and nextPageToken, linking the next page, without repeating or skipping an event', async () => {
    const all = eventsOf(await epcis(node, 'GET', '/events?perPage=1000', { token: 'regulator' }));
    expect(all.length).toBeGreaterThan(4);
    const seen: Array<Record<string, any>> = [];
    let path: string | undefined = '/events?perPage=3';
    while (path !== undefined) {
      const page = await epcis(node, 'GET', path, { token: 'regulator' });
      seen.push(...eventsOf(page));
      const link = page.headers.get('link');
      expect(link === null).toBe(page.body['custodia:nextPageToken'] === undefined);
      path = link === null ? undefined : link.slice('</epcis'.length, link.indexOf('>'));
    }
    expect(seen).toEqual(all);
    expect((await epcis(node, 'GET', '/events?nextPageToken=AAAA', { token: 'regulator' })).body).toMatchObject({ status: 400, type: 'epcisException:QueryParameterException', code: 'bad-page-token' });
    expect((await epcis(node, 'GET', '/events?EQ_colour=red', { token: 'regulator' })).body).toMatchObject({ status: 400, type: 'epcisException:QueryParameterException', path: 'EQ_colour' });
  });

  it('narrows a participant to the events it is a party to, and needs a credential', async () => {
    const farm = eventsOf(await epcis(node, 'GET', '/events?perPage=1000', { token: 'farm' }));
    const regulator = eventsOf(await epcis(node, 'GET', '/events?perPage=1000', { token: 'regulator' }));
    expect(farm.length).toBeGreaterThan(0);
    expect(farm.length).toBeLessThan(regulator.length);
    expect(await node.as('farm').events({ perPage: 1000 }).then((page) => page.events)).toEqual(farm);
    // A read signed with the farm's key is the farm's, as on /v1.
    const path = '/epcis/events?perPage=1000';
    const signed = await epcis(node, 'GET', path.slice('/epcis'.length), { headers: signReadRequest(CHAIN_ID, node.signers['farm']!.participant, node.signers['farm']!.seed, 'GET', path, Date.now()) });
    expect(eventsOf(signed)).toEqual(farm);
    const anonymous = await epcis(node, 'GET', '/events');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ type: 'epcisException:SecurityException', code: 'credential-required' });
  });

  it('reads one event by its eventID, only for a reader who may read it', async () => {
    const path = `/events/${encode(node.extras.shippingEventId)}`;
    expect(eventsOf(await epcis(node, 'GET', path, { token: 'retailer' }))).toEqual([expect.objectContaining({ eventID: node.extras.shippingEventId })]);
    // The carrier is no party to the shipment: to it the event does not exist.
    expect((await epcis(node, 'GET', path, { token: 'carrier' })).body).toMatchObject({ status: 404, type: 'epcisException:NoSuchNameException' });
    expect((await epcis(node, 'GET', `/events/${encode('urn:uuid:00000000-0000-4000-8000-000000000000')}`, { token: 'regulator' })).status).toBe(404);
  });
});

describe('top-level resources', () => {
  it('serves /eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints, /dispositions and their events', async () => {
    expect((await epcis(node, 'GET', '/eventTypes', { token: 'regulator' })).body).toMatchObject({ type: 'EventTypeItemList', eventType: expect.arrayContaining(['ObjectEvent', 'TransformationEvent']) });
    expect((await epcis(node, 'GET', '/eventTypes/ObjectEvent', { token: 'regulator' })).body).toEqual(['events']);
    expect((await epcis(node, 'GET', '/eventTypes/TeleportEvent/events', { token: 'regulator' })).status).toBe(404);
    expect(eventsOf(await epcis(node, 'GET', '/eventTypes/TransformationEvent/events?perPage=1000', { token: 'regulator' })).every((event) => event['type'] === 'TransformationEvent')).toBe(true);
    const conflict = await epcis(node, 'GET', '/eventTypes/ObjectEvent/events?EQ_type=AggregationEvent', { token: 'regulator' });
    expect(conflict.body).toMatchObject({ status: 412, type: 'epcisException:QueryParameterException' });

    expect(eventsOf(await epcis(node, 'GET', `/epcs/${encode(node.extras.itemB)}/events`, { token: 'regulator' })).map((event) => event['bizStep'])).toEqual(['commissioning', 'shipping', 'receiving']);
    const shipping = eventsOf(await epcis(node, 'GET', '/bizSteps/shipping/events?perPage=1000', { token: 'regulator' }));
    expect(shipping.length).toBeGreaterThan(0);
    expect(shipping.every((event) => String(event['bizStep']).endsWith('shipping'))).toBe(true);
    expect(eventsOf(await epcis(node, 'GET', `/bizLocations/${encode(node.extras.bizLocation)}/events`, { token: 'regulator' })).length).toBeGreaterThan(0);
    expect(eventsOf(await epcis(node, 'GET', `/readPoints/${encode(node.extras.readPoint)}/events`, { token: 'regulator' })).length).toBeGreaterThan(0);
    expect(eventsOf(await epcis(node, 'GET', '/dispositions/active/events?perPage=1', { token: 'regulator' }))).toHaveLength(1);

    expect((await epcis(node, 'GET', '/bizSteps', { token: 'regulator' })).body).toMatchObject({ type: 'BizStepItemList', bizStep: expect.arrayContaining(['commissioning', 'shipping', 'receiving']) });
    expect((await epcis(node, 'GET', '/readPoints', { token: 'regulator' })).body.readPoint).toContain(node.extras.readPoint);
    expect((await epcis(node, 'GET', '/bizLocations', { token: 'regulator' })).body.bizLocation).toContain(node.extras.bizLocation);
    expect((await epcis(node, 'GET', '/epcs', { token: 'regulator' })).body.epc).toContain(node.extras.itemB);
    expect((await epcis(node, 'GET', `/epcs/${encode(node.extras.itemB)}`, { token: 'regulator' })).body).toEqual(['events']);
    expect((await epcis(node, 'GET', '/dispositions', { token: 'regulator' })).body).toMatchObject({ type: 'DispositionItemList', disposition: expect.arrayContaining(['active']) });
    // The carrier lists only what its own events name: not the farm's location.
    expect((await epcis(node, 'GET', '/bizLocations', { token: 'carrier' })).body.bizLocation).not.toContain(node.extras.bizLocation);
  });
});

describe('named queries', () => {
  it('creates, lists, runs and deletes a participant\'s own named queries', async () => {
    const created = await epcis(node, 'POST', '/queries', { token: 'farm', body: { name: 'shipped', query: { EQ_bizStep: ['shipping', 'receiving'], eventType: ['ObjectEvent'] } }, headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/epcis/queries/shipped');
    expect((await epcis(node, 'POST', '/queries', { token: 'farm', body: { name: 'shipped', query: {} } })).body).toMatchObject({ status: 409, code: 'query-exists' });
    expect((await epcis(node, 'POST', '/queries', { token: 'farm', body: { name: 'bad', query: { EQ_colour: 'red' } } })).body).toMatchObject({ status: 400, path: 'query.EQ_colour' });
    expect((await epcis(node, 'GET', '/queries', { token: 'farm' })).body).toEqual([expect.objectContaining({ name: 'shipped', query: { EQ_bizStep: ['shipping', 'receiving'], eventType: ['ObjectEvent'] } })]);
    const results = await epcis(node, 'GET', '/queries/shipped/events?perPage=1000', { token: 'farm' });
    expect(results.body.epcisBody.queryResults.queryName).toBe('shipped');
    const steps = eventsOf(results).map((event) => String(event['bizStep']));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.every((step) => step.endsWith('shipping') || step.endsWith('receiving'))).toBe(true);
    // Another participant's names are its own: the retailer sees no query "shipped".
    expect((await epcis(node, 'GET', '/queries/shipped', { token: 'retailer' })).status).toBe(404);
    // A validator delivers to no internal address unless its operator allows it (api.webhooks.privateDestinations).
    for (const dest of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'http://user:pw@example.com/']) {
      expect((await epcis(node, 'POST', '/queries/shipped/subscriptions', { token: 'farm', body: { dest, stream: true } })).body).toMatchObject({ status: 400, code: 'destination-not-allowed', path: 'dest' });
    }
    expect((await epcis(node, 'DELETE', '/queries/shipped', { token: 'farm' })).status).toBe(204);
    expect((await epcis(node, 'GET', '/queries/shipped', { token: 'farm' })).body).toMatchObject({ status: 404, type: 'epcisException:NoSuchNameException' });
  });
});

describe('discovery and unknown routes', () => {
  it('answers OPTIONS with Allow and the GS1 version headers, and every unknown route with a JSON problem, never HTML', async () => {
    const root = await epcis(node, 'OPTIONS', '/');
    expect(root.status).toBe(204);
    expect(root.headers.get('gs1-epcis-max')).toBe('2.0.0');
    expect((await epcis(node, 'OPTIONS', '/queries/q/subscriptions')).headers.get('allow')).toBe('OPTIONS, GET, POST');
    expect((await epcis(node, 'GET', '/')).body).toContain('capture');

    for (const [method, path] of [['GET', '/nothing'], ['POST', '/events/x/y'], ['OPTIONS', '/nothing/here']] as const) {
      const answer = await epcis(node, method, path, { token: 'regulator' });
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'epcisException:NoSuchNameException', status: 404, title: expect.any(String) });
    }
    const wrongMethod = await epcis(node, 'DELETE', '/events', { token: 'regulator' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('OPTIONS, GET, POST');

    // Beyond the binding too: an unknown path of the validator is JSON, while the UI keeps its page.
    for (const path of ['/epcisx', '/no/such/page', '/v1/nothing']) {
      const response = await fetch(`${node.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/json/);
    }
    const ui = await fetch(`${node.url}/`);
    expect(ui.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
