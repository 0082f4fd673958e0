/**
 * Read access to the query API (issue 6, "Access"): read tokens and requests signed with a
 * participant's registered ed25519 key (valid, expired, from the future, under the wrong key,
 * for another request, for another chain, by an unknown participant), that writes stay open to
 * signed transactions without a read credential, and which endpoints are public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Request } from 'express';
import { ReadAccess } from '../../api/http/access.js';
import { signReadRequest, READ_SIGNATURE_CLOCK_SKEW_MS } from '../../api/http/read-signature.js';
import type { ValidatorContext } from '../../node/validator.js';
import { CHAIN_ID, get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
}, 60_000);

afterAll(async () => {
  await node?.close();
});

/** A GET signed as `signer` with the key of `keyOf`, at `at`, over `signedPath`, sent to `path`. */
async function signedGet(path: string, options: { signer?: string; keyOf?: string; at?: number; signedPath?: string; chainId?: string } = {}) {
  const signer = options.signer ?? node.participantId('farm');
  const seed = node.signers[options.keyOf ?? 'farm']!.seed;
  const headers = signReadRequest(options.chainId ?? CHAIN_ID, signer, seed, 'GET', options.signedPath ?? path, options.at ?? Date.now());
  return get(`${node.url}${path}`, undefined, headers);
}

function expectUnauthorized(response: { status: number; body: any; headers: Headers }, code: string, path: string): void {
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ code, message: expect.any(String), path });
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="custodia"/);
}

describe('read tokens', () => {
  it('read as the organisation the operator configured them for', async () => {
    const asFarm = await get(`${node.url}/v1/events?perPage=1000`, TOKENS.farm);
    const signedAsFarm = await signedGet('/v1/events?perPage=1000');
    expect(asFarm.status).toBe(200);
    expect(signedAsFarm.body.epcisBody.queryResults.resultsBody.eventList).toEqual(asFarm.body.epcisBody.queryResults.resultsBody.eventList);
  });

  it('refuse unknown tokens and malformed Authorization headers', async () => {
    expectUnauthorized(await get(`${node.url}/v1/events`, 'not-a-configured-token-at-all'), 'unknown-token', 'authorization');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, { authorization: `Basic ${Buffer.from('farm:secret').toString('base64')}` }), 'bad-credential', 'authorization');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, { authorization: 'Bearer' }), 'bad-credential', 'authorization');
    expectUnauthorized(await get(`${node.url}/v1/events`), 'credential-required', 'authorization');
  });
});

describe('signed read requests', () => {
  it('read as the signing participant, through the typed client too', async () => {
    const response = await signedGet(`/v1/items/${encodeURIComponent(node.extras.itemB)}/history`, { signer: node.participantId('retailer'), keyOf: 'retailer' });
    expect(response.status, response.text).toBe(200);
    expect(response.body.events.map((event: { step: string }) => event.step)).toEqual(['shipped', 'received']);
    const history = await node.signedAs('retailer').itemHistory(node.demo.saladLot);
    expect(history.events).toHaveLength(2);
  });

  it('refuse a signature older or newer than the allowed clock skew', async () => {
    const skew = READ_SIGNATURE_CLOCK_SKEW_MS + 60_000;
    expectUnauthorized(await signedGet('/v1/events', { at: Date.now() - skew }), 'stale-signature', 'x-custodia-timestamp');
    expectUnauthorized(await signedGet('/v1/events', { at: Date.now() + skew }), 'stale-signature', 'x-custodia-timestamp');
  });

  it('refuse a signature under another participant’s key, over another request or for another chain', async () => {
    expectUnauthorized(await signedGet('/v1/events', { keyOf: 'retailer' }), 'bad-signature', 'x-custodia-signature');
    expectUnauthorized(await signedGet('/v1/events?perPage=1000', { signedPath: '/v1/events?perPage=1' }), 'bad-signature', 'x-custodia-signature');
    expectUnauthorized(await signedGet('/v1/events', { chainId: 'custodia-other-chain' }), 'bad-signature', 'x-custodia-signature');
  });

  it('refuse unknown participants and incomplete or malformed signature headers', async () => {
    expectUnauthorized(await signedGet('/v1/events', { signer: 'urn:epc:id:pgln:0999999.00001' }), 'unknown-participant', 'x-custodia-participant');
    const headers = signReadRequest(CHAIN_ID, node.participantId('farm'), node.signers['farm']!.seed, 'GET', '/v1/events', Date.now());
    const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([header]) => header !== name));
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, without('x-custodia-signature')), 'bad-credential', 'x-custodia-signature');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, without('x-custodia-timestamp')), 'bad-credential', 'x-custodia-timestamp');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, without('x-custodia-participant')), 'bad-credential', 'x-custodia-participant');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, { ...headers, 'x-custodia-signature': headers['x-custodia-signature']!.toUpperCase() }), 'bad-credential', 'x-custodia-signature');
    expectUnauthorized(await get(`${node.url}/v1/events`, undefined, { ...headers, 'x-custodia-timestamp': '1e12' }), 'bad-credential', 'x-custodia-timestamp');
  });
});

describe('what needs no read credential', () => {
  it('writes: a signed transaction is accepted without one (resubmission answers its status)', async () => {
    const block = await get(`${node.url}/v1/blocks?from=1&limit=100`);
    const height = block.body.blocks.find((entry: { transactions: unknown[] }) => entry.transactions.length > 0).height as number;
    const full = await node.validator.store.getBlock(height);
    const response = await fetch(`${node.url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(full!.transactions[0]) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'committed', height });
  });

  it('headers, certificates, consistency proofs and the OpenAPI document are public; events, items and proofs are not', async () => {
    for (const path of ['/v1/blocks?limit=1', '/v1/blocks/1', '/v1/ledger/head', '/v1/proofs/consistency?from=1&to=2', '/v1/openapi.json']) {
      expect((await get(`${node.url}${path}`)).status, path).toBe(200);
    }
    for (const path of [
      '/v1/events',
      `/v1/items/${encodeURIComponent(node.demo.saladLot)}/history`,
      `/v1/items/${encodeURIComponent(node.demo.saladLot)}/trace`,
      `/v1/recalls/${node.demo.recallId}/scope`,
      `/v1/proofs/transactions/${node.demo.recallId}`,
      `/v1/approvals/${node.demo.approvalId}`,
      `/v1/exports/epcis?epc=${encodeURIComponent(node.demo.saladLot)}`,
      '/v1/stream',
    ]) {
      expectUnauthorized(await get(`${node.url}${path}`), 'credential-required', 'authorization');
    }
  });
});

describe('the credential check', () => {
  const participant = 'urn:epc:id:pgln:0614141.00001';
  const token = 'a-read-token-for-the-credential-check';
  /** A ReadAccess over a store whose only state is one participant record, counting reads of each kind. */
  function accessOver(status: 'active' | 'inactive') {
    const record = { id: participant, name: 'Farm', roles: ['auditor'], status, keys: [] };
    const reads = { sync: 0, async: 0 };
    const state = new Map<string, unknown>([[`participant/${participant}`, record]]);
    const store = {
      getStateSync: (key: string) => (reads.sync++, state.get(key)),
      getState: async (key: string) => (reads.async++, state.get(key)),
    };
    const context = { config: { chainId: CHAIN_ID, api: { readTokens: [{ token, participant, scope: 'read' }] } }, store } as unknown as ValidatorContext;
    return { access: new ReadAccess(context), record, reads };
  }
  const request = (authorization: string) => ({ headers: { authorization } }) as unknown as Request;

  it('reads the token holder’s current record with a synchronous get, no trip through the thread pool', async () => {
    const { access, record, reads } = accessOver('active');
    expect(await access.authenticate(request(`Bearer ${token}`))).toEqual({ participant, roles: ['auditor'], readsEverything: true, credential: 'token' });
    expect(reads).toEqual({ sync: 1, async: 0 });
    // Nothing is kept between requests: a participant deactivated is refused from the next one on.
    record.status = 'inactive';
    await expect(access.authenticate(request(`Bearer ${token}`))).rejects.toMatchObject({ status: 401, code: 'participant-inactive' });
    expect(reads).toEqual({ sync: 2, async: 0 });
  });

  it('refuses a token whose participant is inactive', async () => {
    const { access } = accessOver('inactive');
    await expect(access.authenticate(request(`Bearer ${token}`))).rejects.toMatchObject({ status: 401, code: 'participant-inactive' });
  });
});
