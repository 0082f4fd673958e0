/**
 * GET /v1/openapi.json (OpenAPI 3.1, schemas in JSON Schema draft 2020-12): it covers every route,
 * the node's own submission routes included, and real responses of a running validator, successes
 * and errors alike, validate against the response schemas it declares (checked with ajv).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

let node: ApiNode;
let document: any;
let ajv: Ajv2020;

beforeAll(async () => {
  node = await startApiNode();
  document = (await get(`${node.url}/v1/openapi.json`)).body;
  // The OpenAPI document's own members are not JSON Schema keywords: not strict.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its function is both the module and its `default` member.
  ajvFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  // A proof must be checkable before it is served; let the head cover the demo's last transaction.
  await node.as('regulator').waitForTransactionProof(node.demo.recallId);
}, 60_000);

afterAll(async () => {
  await node?.close();
});

/** The validator of the response schema the document declares for this operation and status. */
function responseValidator(path: string, method: string, status: number, contentType = 'application/json'): ValidateFunction {
  const response = document.paths[path]?.[method]?.responses?.[String(status)];
  expect(response, `${method} ${path} ${status} is documented`).toBeDefined();
  const schema = response.content?.[contentType]?.schema;
  expect(schema, `${method} ${path} ${status} has a ${contentType} schema`).toBeDefined();
  return ajv.compile(schema.$ref === undefined ? schema : { $ref: `openapi.json${schema.$ref}` });
}

async function expectConforms(requestPath: string, path: string, status: number, options: { token?: string; method?: string; contentType?: string } = {}): Promise<void> {
  const response = await get(`${node.url}${requestPath}`, options.token);
  expect(response.status, `${requestPath}: ${response.text.slice(0, 300)}`).toBe(status);
  const validate = responseValidator(path, options.method ?? 'get', status, options.contentType);
  const valid = validate(response.body);
  expect(valid, `${requestPath}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
}

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document covering every route, with security and parameters from the zod schemas', () => {
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /v1/transactions',
        'GET /v1/transactions/{id}',
        'GET /v1/ledger/head',
        'GET /v1/blocks/{height}',
        'GET /v1/blocks',
        'GET /v1/blocks-with-transactions',
        'GET /v1/block-events',
        'GET /v1/search',
        'GET /v1/events',
        'GET /v1/items/{epc}/history',
        'GET /v1/items/{epc}/trace',
        'GET /v1/recalls/{id}/scope',
        'GET /v1/recalls/{id}/scope.csv',
        'GET /v1/proofs/transactions/{id}',
        'GET /v1/proofs/transactions/{id}/tlog-proof',
        'GET /v1/proofs/consistency',
        'GET /v1/proofs/state/{key}',
        'GET /v1/approvals',
        'GET /v1/approvals/{id}',
        'GET /v1/exports/epcis',
        'GET /v1/exports/fsma204.csv',
        'GET /v1/stream',
        'GET /v1/openapi.json',
        'GET /v1/genesis',
        'POST /v1/epcis/capture',
        'GET /v1/epcis/capture/{id}',
      ].sort(),
    );
    const events = document.paths['/v1/events'].get;
    const names = events.parameters.map((parameter: { name: string }) => parameter.name);
    for (const name of ['MATCH_epc', 'MATCH_anyEPC', 'MATCH_epcClass', 'MATCH_parentID', 'MATCH_inputEPC', 'MATCH_outputEPC', 'EQ_bizStep', 'EQ_disposition', 'EQ_bizLocation', 'EQ_readPoint', 'GE_eventTime', 'LT_eventTime', 'EQ_eventID', 'EQ_type', 'perPage', 'nextPageToken']) {
      expect(names).toContain(name);
    }
    expect(events.security).toEqual([{ readToken: [] }, { participantSignature: [] }]);
    expect(document.paths['/v1/blocks'].get.security).toEqual([]);
    expect(document.paths['/v1/epcis/capture'].post.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//);
    expect(document.components.securitySchemes.readToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Every reference resolves inside the document.
    const references = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const reference of references) {
      const target = reference.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(document.components.schemas[target], reference).toBeDefined();
    }
    // A request parameter is documented as a client writes it: a query string value.
    expect(names.length).toBe(new Set(names).size);
    expect(events.parameters.find((parameter: { name: string }) => parameter.name === 'perPage').schema.type).toBe('string');
  });

  it('describes real successful responses of every JSON endpoint', async () => {
    const encode = encodeURIComponent;
    const salad = encode(node.demo.saladLot);
    await expectConforms('/v1/events?perPage=4', '/v1/events', 200, { token: TOKENS.regulator, contentType: 'application/ld+json' });
    await expectConforms(`/v1/items/${salad}/history`, '/v1/items/{epc}/history', 200, { token: TOKENS.regulator });
    await expectConforms(`/v1/items/${salad}/trace?direction=back`, '/v1/items/{epc}/trace', 200, { token: TOKENS.regulator });
    await expectConforms(`/v1/recalls/${node.demo.recallId}/scope`, '/v1/recalls/{id}/scope', 200, { token: TOKENS.farm });
    await expectConforms('/v1/blocks?from=1&limit=50', '/v1/blocks', 200);
    await expectConforms('/v1/blocks/2', '/v1/blocks/{height}', 200);
    await expectConforms('/v1/ledger/head', '/v1/ledger/head', 200);
    await expectConforms(`/v1/transactions/${node.demo.recallId}`, '/v1/transactions/{id}', 200);
    await expectConforms(`/v1/proofs/transactions/${node.demo.recallId}`, '/v1/proofs/transactions/{id}', 200, { token: TOKENS.regulator });
    await expectConforms('/v1/proofs/consistency?from=2&to=5', '/v1/proofs/consistency', 200);
    await expectConforms(`/v1/proofs/state/${encode(`lot/${node.demo.saladLot}`)}`, '/v1/proofs/state/{key}', 200, { token: TOKENS.regulator });
    await expectConforms(`/v1/proofs/state/${encode('recall/never-issued')}`, '/v1/proofs/state/{key}', 200, { token: TOKENS.farm });
    await expectConforms(`/v1/approvals?pendingFor=${encode(node.participantId('lab'))}`, '/v1/approvals', 200, { token: TOKENS.regulator });
    await expectConforms(`/v1/approvals/${node.demo.approvalId}`, '/v1/approvals/{id}', 200, { token: TOKENS.regulator });
    await expectConforms(`/v1/exports/epcis?epc=${salad}`, '/v1/exports/epcis', 200, { token: TOKENS.regulator, contentType: 'application/ld+json' });
    await expectConforms(`/v1/approvals?subject=${salad}`, '/v1/approvals', 200, { token: TOKENS.regulator });
    await expectConforms('/v1/search?q=salad', '/v1/search', 200, { token: TOKENS.regulator });
    await expectConforms('/v1/blocks-with-transactions?limit=3', '/v1/blocks-with-transactions', 200);
    await expectConforms('/v1/block-events?from=1&limit=50', '/v1/block-events', 200, { token: TOKENS.regulator });
  });

  it('describes a batch submission and its outcomes, admitted and refused alike', async () => {
    const farm = node.signers['farm']!;
    const client = node.client();
    const lot = `urn:epc:class:lgtin:0614141.0012345.OPENAPI-${Date.now()}`;
    const valid = client.transaction('epcis.capture', { document: liveEventBuilders().document(liveEventBuilders().commissionLot(lot, 2)) } as never, [farm]);
    const response = await fetch(`${node.url}/v1/transactions?wait=commit&timeoutMs=30000`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([valid, { not: 'a transaction' }]) });
    expect(response.status).toBe(200);
    const outcomes = await response.json();
    expect(outcomes).toMatchObject([{ status: 'committed' }, { status: 'refused', code: 'malformed' }]);
    const validate = responseValidator('/v1/transactions', 'post', 200);
    expect(validate(outcomes), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    // The request body is documented as one transaction or an array of them.
    const reference: string = document.paths['/v1/transactions'].post.requestBody.content['application/json'].schema.$ref;
    const body = document.components.schemas[reference.slice('#/components/schemas/'.length)];
    expect(body.anyOf.map((option: { type?: string }) => option.type)).toEqual(['object', 'array']);
  });

  it('describes real error responses', async () => {
    await expectConforms('/v1/events?perPage=0', '/v1/events', 400, { token: TOKENS.regulator });
    await expectConforms('/v1/events', '/v1/events', 401);
    await expectConforms(`/v1/items/${encodeURIComponent(node.demo.lettuceLot)}/history`, '/v1/items/{epc}/history', 403, { token: TOKENS.retailer });
    await expectConforms(`/v1/recalls/${'0'.repeat(64)}/scope`, '/v1/recalls/{id}/scope', 404, { token: TOKENS.regulator });
    await expectConforms('/v1/proofs/consistency?from=1&to=999999999', '/v1/proofs/consistency', 409);
    await expectConforms('/v1/blocks/0', '/v1/blocks/{height}', 400);
  });

  it('rejects a response that does not fit: the schemas constrain, not merely describe', () => {
    const validate = responseValidator('/v1/proofs/consistency', 'get', 200);
    expect(validate({ from: 1, to: 2, fromRoot: 'zz', toRoot: 'a'.repeat(64), path: [] })).toBe(false);
    const error = responseValidator('/v1/events', 'get', 400);
    expect(error({ code: 'bad-query', message: 'x' })).toBe(false);
  });
});
