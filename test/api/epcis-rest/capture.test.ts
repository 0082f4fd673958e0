/**
 * The GS1 EPCIS 2.0 REST binding's capture side on one in-process validator
 * (api/epcis-rest/capture-routes.ts; docs/epcis.md): signed capture through headers, capture jobs
 * from the ledger, rollback and proceed, POST /events, the advertised limits, and refusals as
 * problem+json (bad signatures, forged signers, oversized and overfull bodies, XML until a
 * converter is plugged in).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import { singleEventDocument } from '../../../api/epcis-rest/capture-signature.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import type { EpcisFormat } from '../../../api/epcis-rest/index.js';
import { ApiError } from '../../../node/http/errors.js';
import { startApiNode, type ApiNode } from '../support/api-node.js';
import { runCliInProcess } from '../../support/run-cli.js';
import { epcis, settledJob } from './support.js';

let node: ApiNode;
const events = liveEventBuilders();
let serial = 0;
const farmItem = () => `urn:epc:id:sgtin:0614141.0012345.CAP${serial++}`;
const processorItem = () => `urn:epc:id:sgtin:0614142.0012345.CAP${serial++}`;

/**
 * A stand-in for the EPCIS XML format the XML converter will plug in: its bodies are
 * "DOCUMENT <json>", its answers "ANSWER <json>". Registered, it proves the plug; XML stays 415.
 */
const testFormat: EpcisFormat = {
  mediaTypes: ['text/vnd.custodia-test'],
  parse: (text) => (text.startsWith('DOCUMENT ') ? { ok: true, document: JSON.parse(text.slice('DOCUMENT '.length)) as JsonValue } : { ok: false, problem: new ApiError(400, 'not-a-test-document', 'a test document starts with DOCUMENT', '') }),
  serialize: (document) => `ANSWER ${JSON.stringify(document)}`,
};

beforeAll(async () => {
  node = await startApiNode({ epcis: { formats: [testFormat] } });
});
afterAll(async () => {
  await node?.close();
});

function signedBy(document: JsonValue, name: string, options: { behaviour?: 'rollback' | 'proceed' } = {}): Record<string, string> {
  return node.client().epcisCaptureHeaders(document, [node.signers[name]!], options);
}

describe('POST /epcis/capture', () => {
  it('captures a document signed in headers: 202 with the job in Location, then the job from the ledger', async () => {
    const item = farmItem();
    const document = events.document(events.commissioning([item], { eventID: `urn:uuid:6b1f0e32-2f5b-4c41-9d1e-${String(serial).padStart(12, '0')}` }));
    // Whitespace and member order of the body are not signed: the validator signs over the parsed document.
    const answer = await epcis(node, 'POST', '/capture', { body: JSON.stringify(document, null, 2), headers: signedBy(document, 'farm') });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(answer.headers.get('gs1-epcis-capture-limit')).toMatch(/^\d+$/);
    const location = answer.headers.get('location')!;
    expect(location).toMatch(/^\/epcis\/capture\/[0-9a-f]{64}$/);
    const job = await settledJob(node, location);
    expect(job).toMatchObject({ captureID: location.split('/').pop(), running: false, success: true, captureErrorBehaviour: 'rollback', errors: [] });
    expect(job.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The same body and headers again are the same capture (its transaction id), recorded once.
    const headers = signedBy(document, 'farm');
    const first = await epcis(node, 'POST', '/capture', { body: document, headers });
    const again = await epcis(node, 'POST', '/capture', { body: document, headers });
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
  });
});

describe('authentication of a capture', () => {
  it('refuses a capture without signature headers, with a bad signature, or signed by someone else for the signer, as 401 problems', async () => {
    const document = events.document(events.commissioning([farmItem()]));
    const missing = await epcis(node, 'POST', '/capture', { body: document });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ type: 'epcisException:SecurityException', title: expect.any(String), status: 401, code: 'credential-required', instance: '/epcis/capture' });

    // A signature over another nonce: the rebuilt transaction's id differs.
    const headers = signedBy(document, 'farm');
    const badSignature = await epcis(node, 'POST', '/capture', { body: document, headers: { ...headers, 'custodia-nonce': 'not-the-signed-nonce' } });
    expect(badSignature.status).toBe(401);
    expect(badSignature.body).toMatchObject({ type: 'epcisException:SecurityException', code: 'bad-signature' });

    // The body changed after signing.
    const tampered = events.document(events.commissioning([farmItem()]));
    expect((await epcis(node, 'POST', '/capture', { body: tampered, headers })).body).toMatchObject({ status: 401, code: 'bad-signature' });

    // The retailer signs and claims to be the farm: its key is not the farm's.
    const forged = node.client().epcisCaptureHeaders(document, [{ ...node.signers['retailer']!, participant: node.participantId('farm') }]);
    const forgedAnswer = await epcis(node, 'POST', '/capture', { body: document, headers: forged });
    expect(forgedAnswer.status).toBe(401);
    expect(forgedAnswer.body).toMatchObject({ code: 'unknown-key', type: 'epcisException:SecurityException' });

    const garbled = await epcis(node, 'POST', '/capture', { body: document, headers: { 'custodia-nonce': 'n1', 'custodia-signature': 'urn:x not-hex sig' } });
    expect(garbled.body).toMatchObject({ status: 401, code: 'bad-credential', path: 'custodia-signature' });
  });

  it('takes an already signed epcis.capture transaction as application/vnd.custodia.transaction+json', async () => {
    const client = node.client();
    const transaction = client.transaction('epcis.capture', events.capture(events.commissioning([farmItem()])), [node.signers['farm']!]);
    const answer = await epcis(node, 'POST', '/capture', { body: transaction as unknown as JsonValue, headers: { 'content-type': 'application/vnd.custodia.transaction+json' } });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('location')).toBe(`/epcis/capture/${client.idOf(transaction)}`);
    expect(await settledJob(node, answer.headers.get('location')!)).toMatchObject({ success: true });
  });
});

describe('capture error behaviour', () => {
  it('rollback records nothing when one event is refused; the job names the rule', async () => {
    const kept = farmItem();
    const document = events.document(events.commissioning([kept]), events.commissioning([processorItem()]));
    const answer = await epcis(node, 'POST', '/capture', { body: document, headers: signedBy(document, 'farm') });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('gs1-capture-error-behaviour')).toBe('rollback');
    const job = await settledJob(node, answer.headers.get('location')!);
    expect(job).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'rollback', errors: [expect.objectContaining({ type: 'epcisException:ValidationException', code: 'not-own-company-prefix' })] });
    const page = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(kept)}`, { token: 'regulator' });
    expect(page.body.epcisBody.queryResults.resultsBody.eventList).toEqual([]);
  });

  it('proceed records the events that pass and reports each refused one', async () => {
    const kept = farmItem();
    const refused = processorItem();
    const document = events.document(events.commissioning([kept]), events.commissioning([refused]));
    const answer = await epcis(node, 'POST', '/capture', { body: document, headers: { ...signedBy(document, 'farm', { behaviour: 'proceed' }) } });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('gs1-capture-error-behaviour')).toBe('proceed');
    const job = await settledJob(node, answer.headers.get('location')!);
    expect(job).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'proceed' });
    expect(job.errors).toEqual([expect.objectContaining({ code: 'not-own-company-prefix', eventIndex: 1, detail: expect.stringContaining(refused) })]);
    const page = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(kept)}`, { token: 'regulator' });
    expect(page.body.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    // The behaviour is part of what is signed: the same signature sent as rollback does not verify.
    const { ['GS1-Capture-Error-Behaviour']: proceed, ...signature } = signedBy(document, 'farm', { behaviour: 'proceed' });
    expect(proceed).toBe('proceed');
    const asRollback = await epcis(node, 'POST', '/capture', { body: document, headers: { ...signature, 'GS1-Capture-Error-Behaviour': 'rollback' } });
    expect(asRollback.body).toMatchObject({ status: 401, code: 'bad-signature' });
    expect((await epcis(node, 'POST', '/capture', { body: document, headers: { ...signedBy(document, 'farm'), 'gs1-capture-error-behaviour': 'maybe' } })).body).toMatchObject({ status: 400, code: 'bad-capture-error-behaviour' });
  });
});

describe('limits and hostile bodies', () => {
  it('advertises its limits on OPTIONS and refuses a capture over them with 413, before any signature check', async () => {
    const options = await epcis(node, 'OPTIONS', '/capture');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('OPTIONS, GET, POST');
    expect(options.headers.get('gs1-capture-error-behaviour')).toBe('rollback, proceed');
    const limit = Number(options.headers.get('gs1-epcis-capture-limit'));
    const bytesLimit = Number(options.headers.get('gs1-epcis-capture-file-size-limit'));
    expect(limit).toBeGreaterThan(0);
    expect(bytesLimit).toBeGreaterThan(0);

    const small = (index: number) => ({ type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [`urn:epc:id:sgtin:0614141.1.${index}`] });
    const overfull = { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z', epcisBody: { eventList: Array.from({ length: limit + 1 }, (_, index) => small(index)) } };
    const tooMany = await epcis(node, 'POST', '/capture', { body: overfull });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ type: 'epcisException:CaptureLimitExceededException', code: 'capture-limit-exceeded' });
    expect(tooMany.headers.get('gs1-epcis-capture-limit')).toBe(String(limit));

    const tooLarge = await epcis(node, 'POST', '/capture', { body: `{"pad":"${'x'.repeat(bytesLimit)}"}` });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ type: 'epcisException:CaptureLimitExceededException', code: 'body-too-large' });
  });

  it('answers 415 for XML until a converter is plugged in, 406 for an answer it cannot make, 400 for broken JSON and invalid documents', async () => {
    const xml = await epcis(node, 'POST', '/capture', { body: '<epcis:EPCISDocument/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expect(xml.body).toMatchObject({ type: 'epcisException:ImplementationException', code: 'unsupported-media-type', detail: expect.stringContaining('EPCIS XML') });
    expect(xml.headers.get('accept-post')).toContain('application/ld+json');
    expect((await epcis(node, 'POST', '/capture', { body: 'text', headers: { 'content-type': 'text/plain' } })).status).toBe(415);

    const notAcceptable = await epcis(node, 'GET', '/events', { token: 'regulator', headers: { accept: 'application/xml' } });
    expect(notAcceptable.status).toBe(406);
    expect(notAcceptable.body).toMatchObject({ type: 'epcisException:ImplementationException', code: 'not-acceptable' });
    expect((await epcis(node, 'GET', '/events', { token: 'regulator', headers: { 'GS1-EPCIS-Version': '1.2' } })).status).toBe(406);

    expect((await epcis(node, 'POST', '/capture', { body: '{"type": "EPCISDocument", "type": "x"}' })).body).toMatchObject({ status: 400, code: 'json-duplicate-key', type: 'epcisException:ValidationException' });
    const invalid = { type: 'EPCISDocument', schemaVersion: '2.0', creationDate: 'yesterday', epcisBody: { eventList: [] } } as JsonValue;
    const refused = await epcis(node, 'POST', '/capture', { body: invalid, headers: signedBy(invalid, 'farm') });
    expect(refused.body).toMatchObject({ status: 400, code: 'invalid-document', type: 'epcisException:ValidationException' });
    expect(refused.body.errors.length).toBeGreaterThan(0);
  });
});

describe('POST /epcis/events', () => {
  it('captures one event synchronously: 201 with the event and its Location; a duplicate is 409', async () => {
    const event = { ...(events.commissioning([farmItem()], { eventID: 'urn:uuid:6b1f0e32-2f5b-4c41-9d1e-00000000e001' }) as Record<string, JsonValue>), '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'] };
    const headers = node.client().epcisCaptureHeaders(singleEventDocument(event), [node.signers['farm']!]);
    const created = await epcis(node, 'POST', '/events', { body: event, headers });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/epcis/events/${encodeURIComponent('urn:uuid:6b1f0e32-2f5b-4c41-9d1e-00000000e001')}`);
    expect(created.body).toMatchObject({ type: 'ObjectEvent', eventID: 'urn:uuid:6b1f0e32-2f5b-4c41-9d1e-00000000e001' });
    const read = await epcis(node, 'GET', created.headers.get('location')!.slice('/epcis'.length), { token: 'farm' });
    expect(read.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining({ eventID: 'urn:uuid:6b1f0e32-2f5b-4c41-9d1e-00000000e001' })]);
    const duplicate = await epcis(node, 'POST', '/events', { body: event, headers: node.client().epcisCaptureHeaders(singleEventDocument(event), [node.signers['farm']!]) });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ code: 'duplicate-event' });

    // Without an eventID, the event is found under the content hash the ledger files it by.
    const anonymous = events.commissioning([farmItem()]);
    const located = await epcis(node, 'POST', '/events', { body: anonymous, headers: node.client().epcisCaptureHeaders(singleEventDocument(anonymous), [node.signers['farm']!]) });
    expect(located.status).toBe(201);
    expect(decodeURIComponent(located.headers.get('location')!)).toMatch(/^\/epcis\/events\/ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    const byHash = await epcis(node, 'GET', located.headers.get('location')!.slice('/epcis'.length), { token: 'farm' });
    expect(byHash.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining({ epcList: (anonymous as { epcList: string[] }).epcList })]);
    expect((await epcis(node, 'GET', located.headers.get('location')!.slice('/epcis'.length), { token: 'carrier' })).status).toBe(404);
  });
});

describe('capture jobs', () => {
  it('GET /capture lists the reader\'s jobs newest first in pages; an auditor sees all; a job is 404 when unknown', async () => {
    const farmJobs = await epcis(node, 'GET', '/capture?perPage=2', { token: 'farm' });
    expect(farmJobs.status).toBe(200);
    expect(farmJobs.body).toHaveLength(2);
    const next = farmJobs.headers.get('link')!;
    expect(next).toMatch(/^<\/epcis\/capture\?perPage=2&nextPageToken=\d+>; rel="next"$/);
    const secondPage = await epcis(node, 'GET', next.slice(1, next.indexOf('>')).slice('/epcis'.length), { token: 'farm' });
    expect(secondPage.body.length).toBeGreaterThan(0);
    const ids = [...farmJobs.body, ...secondPage.body].map((job: { captureID: string }) => job.captureID);
    expect(new Set(ids).size).toBe(ids.length);
    // The retailer captured nothing through the binding.
    expect((await epcis(node, 'GET', '/capture', { token: 'retailer' })).body).toEqual([]);
    expect((await epcis(node, 'GET', '/capture?perPage=100', { token: 'regulator' })).body.length).toBeGreaterThanOrEqual(ids.length);
    expect((await epcis(node, 'GET', '/capture')).status).toBe(401);
    const unknown = await epcis(node, 'GET', `/capture/${'ab'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: 'epcisException:NoSuchNameException' });
    expect((await epcis(node, 'GET', '/capture?nextPageToken=bad!')).status).toBe(401);
  });
});

describe('plugged formats', () => {
  it('captures a body a plugged format converts, signed over the converted document, and answers queries in it when asked', async () => {
    const item = farmItem();
    const document = events.document(events.commissioning([item]));
    const answer = await epcis(node, 'POST', '/capture', { body: `DOCUMENT ${JSON.stringify(document)}`, headers: { 'content-type': 'text/vnd.custodia-test', ...signedBy(document, 'farm') } });
    expect(answer.status).toBe(202);
    expect(await settledJob(node, answer.headers.get('location')!)).toMatchObject({ success: true });
    const refused = await epcis(node, 'POST', '/capture', { body: 'nonsense', headers: { 'content-type': 'text/vnd.custodia-test', ...signedBy(document, 'farm') } });
    expect(refused.body).toMatchObject({ status: 400, code: 'not-a-test-document', type: 'epcisException:ValidationException' });
    expect((await epcis(node, 'OPTIONS', '/capture')).status).toBe(204);
    const xml = await epcis(node, 'POST', '/capture', { body: '<x/>', headers: { 'content-type': 'text/xml' } });
    expect(xml.headers.get('accept-post')).toBe('application/ld+json, application/json, text/vnd.custodia-test');

    const query = await epcis(node, 'GET', `/events?MATCH_epc=${encodeURIComponent(item)}`, { token: 'farm', headers: { accept: 'text/vnd.custodia-test' } });
    expect(query.headers.get('content-type')).toBe('text/vnd.custodia-test; charset=utf-8');
    expect(query.text.startsWith('ANSWER ')).toBe(true);
    expect(JSON.parse(query.text.slice('ANSWER '.length)).epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining({ epcList: [item] })]);
    // Only query answers go through a format: a capture job is JSON, so asking for the format alone there is 406.
    expect((await epcis(node, 'GET', answer.headers.get('location')!.slice('/epcis'.length), { headers: { accept: 'text/vnd.custodia-test' } })).status).toBe(406);
  });
});

describe('custodia epcis sign', () => {
  const custodia = (...args: string[]) => runCliInProcess(args);

  it('prints headers with which any REST client captures a document file as the key\'s participant', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'custodia-epcis-sign-'));
    try {
      const document = events.document(events.commissioning([farmItem()]));
      const file = join(directory, 'document.jsonld');
      await writeFile(file, JSON.stringify(document, null, 2));
      // The chain id is read from the node.
      const run = await custodia('epcis', 'sign', '--key', node.participantKeyFiles['farm']!, '--node', node.url, '--proceed', file);
      expect(run.code).toBe(0);
      const headers = Object.fromEntries(run.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
      expect(Object.keys(headers)).toEqual(['custodia-nonce', 'custodia-signature', 'GS1-Capture-Error-Behaviour']);
      const answer = await epcis(node, 'POST', '/capture', { body: await readFile(file, 'utf8'), headers });
      expect(answer.status).toBe(202);
      expect(await settledJob(node, answer.headers.get('location')!)).toMatchObject({ success: true, captureErrorBehaviour: 'proceed' });
      expect((await custodia('epcis', 'sign', '--key', node.participantKeyFiles['farm']!, file)).code).toBe(2);
      expect((await custodia('epcis', 'sign', '--key', node.participantKeyFiles['farm']!, '--chain-id', 'x', '--nonce', 'not a nonce', file)).code).toBe(2);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
