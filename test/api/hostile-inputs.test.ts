/**
 * The API's edge against hostile clients (issue 10, docs/security.md "Inputs at the edge" and
 * "Unauthenticated clients"), against a real validator: prototype member names and invalid UTF-8
 * are refused (never silently dropped or replaced), bodies must be JSON, integers in paths and
 * queries are decimal digits only, every unknown route and every error on the API and metrics
 * ports is JSON, transactions of outsiders are refused with their reason and leave no trace, and
 * each address is held to a request rate.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { signTransaction, transactionId } from '../../ledger/model/transaction.js';
import { keyFor } from '../support/test-chain.js';
import { CHAIN_ID, get, startApiNode, type ApiNode } from './support/api-node.js';

let node: ApiNode;
const events = liveEventBuilders();
let serial = 0;
const RATE = { requestsPerSecondPerAddress: 20, requestsBurstPerAddress: 400 };

beforeAll(async () => {
  node = await startApiNode({ rateLimit: RATE });
}, 60_000);

afterAll(async () => {
  await node?.close();
});

/** `contentType: null` sends none (fetch adds text/plain to a string body, nothing to bytes). */
async function post(path: string, body: string | Uint8Array, contentType: string | null = 'application/json') {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const response = await fetch(`${node.url}${path}`, { method: 'POST', headers: contentType === null ? {} : { 'content-type': contentType }, body: bytes as unknown as BodyInit });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

/** A fresh commissioning transaction signed by the demo farm. */
function farmTransaction() {
  serial += 1;
  return node.client().transaction('epcis.capture', events.capture(events.commissionLot(`urn:epc:class:lgtin:0614141.0012345.EDGE${serial}`, 5)), [node.signers['farm']!]);
}

function expectJsonError(response: { status: number; headers: Headers; body: unknown }, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body).toMatchObject({ code, message: expect.any(String), path: expect.any(String) });
}

/** Sends raw bytes and returns what the server answered before it closed the socket. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('request bodies', () => {
  it('refuse __proto__, constructor and prototype members anywhere, naming where, instead of dropping them', async () => {
    const transaction = farmTransaction();
    const text = JSON.stringify(transaction);
    const withProto = text.replace('"epcisBody":{', '"epcisBody":{"__proto__":{"polluted":true},');
    const refused = await post('/v1/transactions', withProto);
    expectJsonError(refused, 400, 'json-forbidden-member');
    expect(refused.body['path']).toBe('body.payload.document.epcisBody.__proto__');
    expectJsonError(await post('/v1/epcis/capture', text.replace('"eventList":[{', '"eventList":[{"constructor":1,')), 400, 'json-forbidden-member');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // Nothing of it was taken: the clean body is new to the node.
    expect((await get(`${node.url}/v1/transactions/${transactionId(transaction.body)}`)).status).toBe(404);
  });

  it('refuse invalid UTF-8 rather than replace it', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(farmTransaction()));
    const index = bytes.indexOf(0x45); // an ASCII "E" inside the lot code
    const broken = new Uint8Array([...bytes.slice(0, index), 0xc3, 0x28, ...bytes.slice(index + 1)]);
    expectJsonError(await post('/v1/transactions', broken), 400, 'invalid-utf8');
    expectJsonError(await post('/v1/epcis/capture', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d])), 400, 'invalid-utf8');
  });

  it('must be JSON: another media type, or none, is 415 with the types accepted', async () => {
    const text = JSON.stringify(farmTransaction());
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/json; charset=latin1', null]) {
      const response = await post('/v1/transactions', text, contentType);
      expectJsonError(response, 415, 'unsupported-media-type');
      expect(response.headers.get('accept-post')).toMatch(/application\/json/);
    }
    expect((await post('/v1/transactions', text, 'application/ld+json; charset=UTF-8')).status).toBe(202);
  });
});

describe('integers in paths and queries', () => {
  it('are decimal digits only: exponents, hexadecimal, signs, spaces and leading zeros are refused', async () => {
    for (const height of ['1e3', '0x10', '+1', '%201', '01', '1.0', '-1', '9007199254740993']) {
      expectJsonError(await get(`${node.url}/v1/blocks/${height}`), 400, 'bad-height');
    }
    expect((await get(`${node.url}/v1/blocks/1`)).status).toBe(200);
    expectJsonError(await get(`${node.url}/v1/blocks?from=0x1`), 400, 'bad-query');
    expectJsonError(await get(`${node.url}/v1/blocks?limit=1e1`), 400, 'bad-query');
    expectJsonError(await get(`${node.url}/v1/proofs/consistency?from=1&to=2e0`), 400, 'bad-query');
    expectJsonError(await get(`${node.url}/v1/transactions/${'0'.repeat(64)}?wait=commit&timeoutMs=1e3`), 400, 'bad-query');
  });
});

describe('every answer is JSON', () => {
  it('for unknown routes and methods on the API port', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/v1/blocks/1/extra'],
      ['POST', '/v1/nope'],
      ['DELETE', '/v1/transactions'],
      ['PUT', '/'],
      ['GET', '/assets/../../package.json'],
    ] as const) {
      const response = await fetch(`${node.url}${path}`, { method });
      expect(response.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/);
      expectJsonError({ status: response.status, headers: response.headers, body: await response.json() }, 404, 'no-such-route');
    }
  });

  it('for malformed URLs, and for requests the HTTP parser refuses, on the API and the metrics port', async () => {
    expectJsonError(await get(`${node.url}/v1/items/%E0%A4%A/history`), 400, 'bad-request');
    for (const base of [node.url, node.validator.metricsUrl!]) {
      const port = Number(new URL(base).port);
      const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toMatch(/Content-Type: application\/json/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'bad-request' });
    }
  });

  it('for unknown routes on the metrics port, which still serves metrics and health', async () => {
    const unknown = await get(`${node.validator.metricsUrl}/nope`);
    expectJsonError(unknown, 404, 'no-such-route');
    expect((await get(`${node.validator.metricsUrl}/healthz`)).body).toEqual({ status: 'alive' });
    expect((await get(`${node.validator.metricsUrl}/metrics`)).text).toMatch(/custodia_ledger_height/);
  });
});

describe('transactions of outsiders', () => {
  const STRANGER = 'urn:epc:id:pgln:0999999.00001';
  const stranger = { participant: STRANGER, ...keyFor(STRANGER) };

  it('are refused at the API with their reason, before any signature check, and leave no trace', async () => {
    // A made-up signer id and a 250 KB blob: 403, not stored, not pending.
    const blob = signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [STRANGER], nonce: 'blob', payload: { blob: 'x'.repeat(250_000) } }, [stranger]);
    const refused = await post('/v1/transactions', JSON.stringify(blob));
    expectJsonError(refused, 403, 'unknown-participant');
    expect(refused.body['path']).toBe('body.signers');
    const forged = { ...blob, signatures: [{ ...blob.signatures[0]!, signature: '0'.repeat(128) }] };
    expectJsonError(await post('/v1/transactions', JSON.stringify(forged)), 403, 'unknown-participant');
    expectJsonError(await get(`${node.url}/v1/transactions/${transactionId(blob.body)}`), 404, 'not-found');

    // A registered id with a key that is not its own.
    const document = events.capture(events.commissionLot('urn:epc:class:lgtin:0614141.0012345.IMPOSTOR', 5));
    const impostor = signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [node.participantId('farm')], nonce: 'impostor', payload: document }, [{ participant: node.participantId('farm'), ...keyFor('not the farm') }]);
    expectJsonError(await post('/v1/epcis/capture', JSON.stringify(impostor)), 403, 'unknown-key');
    expectJsonError(await post('/v1/transactions', JSON.stringify(impostor)), 403, 'unknown-key');
  });

  it('refuse types no one may submit, naming the type', async () => {
    const client = node.client();
    const governance = client.transaction('governance.add-participant', { participant: {} }, [node.signers['admin1']!]);
    const unknown = client.transaction('lot.teleport', {}, [node.signers['farm']!]);
    const governanceRefused = await post('/v1/transactions', JSON.stringify(governance));
    expectJsonError(governanceRefused, 422, 'approval-required');
    expect(governanceRefused.body['path']).toBe('body.type');
    expectJsonError(await post('/v1/transactions', JSON.stringify(unknown)), 422, 'unknown-transaction-type');
  });
});

describe('one address', () => {
  it('is held to its request rate: 429 with Retry-After beyond the burst, and served again later', async () => {
    const statuses = await Promise.all(Array.from({ length: 2 * RATE.requestsBurstPerAddress }, () => get(`${node.url}/v1/ledger/head`)));
    const limited = statuses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expectJsonError(limited[0]!, 429, 'rate-limited');
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    // Refills at the configured rate: wait for one token, not for a fixed time.
    let served = 0;
    for (let attempt = 0; attempt < 200 && served === 0; attempt++) {
      if ((await get(`${node.url}/v1/ledger/head`)).status === 200) served++;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(served).toBe(1);
  });
});
