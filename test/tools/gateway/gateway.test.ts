/**
 * The participant gateway in-process (issue 14, "The participant gateway"; tools/gateway/): in
 * front of one real validator (test/api/support/api-node.ts), it serves the GS1 binding behind its
 * bearer token, signs captures as the participant, keeps them queued while no validator answers
 * and across a restart, settles each only on a transaction proof that verifies against the genesis
 * keys (a validator that claims a commit with a bad proof is not believed and the next is used),
 * fails over from a validator that is down, refuses new captures when its outbox is full, takes
 * XML, and forwards queries with the participant's signed read. An existing EPCIS tool, the
 * epcis2.js SDK, captures and reads through it with nothing but the gateway's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { BizLocation, CaptureResponse, EPCISDocument, ObjectEvent, ReadPoint, capture, cbv } from 'epcis2.js';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import { serializeEpcisXml } from '../../../api/epcis-xml/index.js';
import type { JsonObject } from '../../../api/epcis-xml/read-values.js';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { generateKeyFile } from '../../../ledger/files/key-file.js';
import { loadOrCreateToken } from '../../../tools/gateway/local-auth.js';
import { startGateway } from '../../../tools/gateway/start-gateway.js';
import { readGenesisFile } from '../../../ledger/files/genesis-file.js';
import { signTransaction, transactionId, type Transaction } from '../../../ledger/model/transaction.js';
import { captureTransactionBody } from '../../../api/epcis-rest/capture-signature.js';
import { Outbox } from '../../../tools/gateway/outbox.js';
import { verifyTransactionProof } from '../../../ledger/verify/proof.js';
import { startApiNode, type ApiNode } from '../../api/support/api-node.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { cuttableProxy, dataIn, jobWhen, request, settled, startTestGateway, type TestGateway } from './support.js';

const directories = temporaryDirectories('gateway');
const events = liveEventBuilders();
let node: ApiNode;
let gateway: TestGateway;
let mainData: string;
let serial = 0;

/** A commissioning of a new item by the farm, with an eventID of its own. */
function newDocument(): { document: JsonObject; eventId: string; item: string } {
  serial += 1;
  const item = `urn:epc:id:sgtin:0614141.0012345.GW${serial}`;
  const eventId = `urn:uuid:7c0e5a10-0000-4000-8000-${String(serial).padStart(12, '0')}`;
  return { document: events.document(events.commissioning([item], { eventID: eventId })) as JsonObject, eventId, item };
}

beforeAll(async () => {
  node = await startApiNode();
  mainData = dataIn(await directories(), 'main');
  gateway = await startTestGateway({ validators: [node.url], dataDirectory: mainData, keyFile: node.participantKeyFiles['farm']! });
});
afterAll(async () => {
  await gateway?.close();
  await node?.close();
});

describe('the gateway’s local authentication', () => {
  it('answers every path 401 problem+json without its token or with another', async () => {
    for (const path of ['/epcis/events', '/epcis/capture', '/gateway/status', '/nowhere']) {
      const missing = await request(gateway, 'GET', path, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(missing.body).toMatchObject({ type: 'epcisException:SecurityException', code: 'credential-required' });
    }
    const wrong = await request(gateway, 'POST', '/epcis/capture', { token: `${gateway.token}x`, body: newDocument().document });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'bad-credential' } });
    expect(gateway.outbox.counts().queued + gateway.outbox.counts().submitted).toBe(0);
  });

  it('made its token file readable by its owner only, and refuses a token file others may read or a short token', async () => {
    expect((await stat(gateway.tokenFile)).mode & 0o777).toBe(0o600);
    const directory = await directories();
    const open = dataIn(directory, 'open-token');
    await writeFile(open, 'a-token-that-is-long-enough-0123456789\n', { mode: 0o644 });
    await chmod(open, 0o644);
    expect(await loadOrCreateToken(open)).toMatchObject({ ok: false, message: expect.stringMatching(/read by others/) });
    const short = dataIn(directory, 'short-token');
    await writeFile(short, 'short\n', { mode: 0o600 });
    expect(await loadOrCreateToken(short)).toMatchObject({ ok: false });
    const made = await loadOrCreateToken(dataIn(directory, 'new-token'));
    expect(made).toMatchObject({ ok: true, created: true });
    expect(await loadOrCreateToken(dataIn(directory, 'new-token'))).toEqual({ ok: true, created: false, token: made.ok ? made.token : '' });
  });
});

describe('the chain’s genesis', () => {
  it('is pinned from the first validator that serves it, used when none answers later, and without either the gateway does not start', async () => {
    const pinned = JSON.parse(await readFile(dataIn(mainData, 'genesis.json'), 'utf8'));
    const genesis = await readGenesisFile(node.genesisFile);
    if (!genesis.ok) throw new Error(genesis.message);
    expect(pinned).toEqual(genesis.genesis);
    const directory = await directories();
    const refused = await startGateway({ validators: ['http://127.0.0.1:1'], keyFile: node.participantKeyFiles['farm']!, dataDirectory: dataIn(directory, 'nothing'), listen: { host: '127.0.0.1', port: 0 }, logger: { info: () => undefined, warn: () => undefined } });
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/no validator served the chain's genesis/) });
  });
});

describe('capture through the gateway', () => {
  it('signs as the participant, answers 202 with the transaction id, and the job settles committed with its block and a proof that verifies', async () => {
    const { document, eventId } = newDocument();
    const answer = await request(gateway, 'POST', '/epcis/capture', { body: document });
    expect(answer.status).toBe(202);
    const location = answer.headers.get('location')!;
    const captureId = location.split('/').pop()!;
    const job = await jobWhen(gateway, location, settled);
    expect(job).toMatchObject({ captureID: captureId, running: false, success: true, errors: [], 'custodia:state': 'committed', 'custodia:proven': true, 'custodia:proof': `/gateway/captures/${captureId}/proof` });

    // The ledger holds the farm's signed transaction under that id, at the height the job names.
    const status = await node.client().status(captureId);
    expect(status).toMatchObject({ status: 'committed', height: job['custodia:height'], blockHash: job['custodia:blockHash'] });
    const proof = await request(gateway, 'GET', job['custodia:proof']);
    const genesis = await readGenesisFile(node.genesisFile);
    if (!genesis.ok) throw new Error(genesis.message);
    const verdict = verifyTransactionProof(proof.body, genesis.genesis.chainId, genesis.validators);
    expect(verdict).toMatchObject({ ok: true, txId: captureId, result: { status: 'accepted' } });
    expect((proof.body.transaction as Transaction).body).toMatchObject({ type: 'epcis.capture', signers: [node.participantId('farm')], payload: { document } });

    // The same document again is the same capture: one id, one record.
    const again = await request(gateway, 'POST', '/epcis/capture', { body: document });
    expect(again.headers.get('location')).toBe(location);
    const read = await request(gateway, 'GET', `/epcis/events?EQ_eventID=${encodeURIComponent(eventId)}`);
    expect(read.body.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    const one = await request(gateway, 'GET', `/epcis/events/${encodeURIComponent(eventId)}`);
    expect(one.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining({ eventID: eventId })]);
  });

  it('reports a capture the rules reject in a block as rejected with the rule’s reason, proven', async () => {
    const { document } = newDocument();
    const first = await request(gateway, 'POST', '/epcis/capture', { body: document });
    await jobWhen(gateway, first.headers.get('location')!, settled);
    // The same event under another nonce: a second transaction, which the rules refuse.
    const second = await request(gateway, 'POST', '/epcis/capture', { body: document, headers: { 'custodia-nonce': 'second-try' } });
    expect(second.headers.get('location')).not.toBe(first.headers.get('location'));
    const job = await jobWhen(gateway, second.headers.get('location')!, settled);
    expect(job).toMatchObject({ running: false, success: false, 'custodia:state': 'rejected', 'custodia:proven': true, errors: [{ code: 'duplicate-event', type: 'epcisException:ValidationException' }] });
  });

  it('takes one event on POST /events and answers 201 with it once committed', async () => {
    const { document, eventId } = newDocument();
    const event = (document['epcisBody'] as { eventList: JsonObject[] }).eventList[0]!;
    const answer = await request(gateway, 'POST', '/epcis/events', { body: { '@context': document['@context']!, ...event } });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(`/epcis/events/${encodeURIComponent(eventId)}`);
    expect(answer.body).toMatchObject({ eventID: eventId, type: 'ObjectEvent' });
  });

  it('takes EPCIS XML, signs its JSON-LD conversion, and answers queries in XML', async () => {
    const { document, item } = newDocument();
    const answer = await request(gateway, 'POST', '/epcis/capture', { body: serializeEpcisXml(document).xml, headers: { 'content-type': 'application/xml' } });
    expect(answer.status).toBe(202);
    expect(await jobWhen(gateway, answer.headers.get('location')!, settled)).toMatchObject({ success: true, 'custodia:state': 'committed' });
    const xml = await request(gateway, 'GET', `/epcis/events?MATCH_epc=${encodeURIComponent(item)}`, { headers: { accept: 'application/xml' } });
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(xml.text).toContain(item);
  });

  it('refuses what the binding refuses before signing anything', async () => {
    const invalid = await request(gateway, 'POST', '/epcis/capture', { body: { type: 'EPCISDocument' } });
    expect(invalid).toMatchObject({ status: 400, body: { code: 'invalid-document' } });
    const subscription = await request(gateway, 'POST', '/epcis/queries/none-such/subscriptions', { body: { dest: 'http://127.0.0.1:1/hook', stream: true }, headers: { 'content-type': 'application/json' } });
    expect(subscription).toMatchObject({ status: 404, body: { type: 'epcisException:NoSuchNameException' } });
  });
});

describe('epcis2.js through the gateway', () => {
  it('captures with its own capture call and only the gateway’s token, polls its own capture-status call, and reads the events back', async () => {
    const item = 'urn:epc:id:sgtin:0614141.0012345.GWEJS1';
    const eventId = 'urn:uuid:5f7a0c52-8f2e-4c11-9a3e-00000009a7e1';
    const commissioning = new ObjectEvent()
      .setEventID(eventId)
      .setEventTime('2026-03-02T08:00:00.000Z')
      .setEventTimeZoneOffset('+01:00')
      .setAction(cbv.actionTypes.add)
      .setBizStep(cbv.bizSteps.commissioning)
      .setDisposition(cbv.dispositions.active)
      .addEPC(item)
      .setReadPoint(new ReadPoint().setId('urn:epc:id:sgln:0614141.00001.1'))
      .setBizLocation(new BizLocation().setId('urn:epc:id:sgln:0614141.00001.0'));
    const document = new EPCISDocument().addEvent(commissioning);
    const settings = { apiUrl: `${gateway.url}/epcis`, headers: { Authorization: `Bearer ${gateway.token}` } };
    const response = await capture(document, settings);
    expect(response.status).toBe(202);
    const job = new CaptureResponse(response);
    await job.pollForTheCaptureToFinish(400, 50, settings);
    expect(job.getRunningStatus()).toBe(false);
    expect(job.getSuccessStatus()).toBe(true);
    expect(job.getErrors()).toEqual([]);

    const read = await request(gateway, 'GET', `/epcis/events?MATCH_epc=${encodeURIComponent(item)}`);
    expect(read.body.epcisBody.queryResults.resultsBody.eventList).toEqual([expect.objectContaining(document.toObject().epcisBody.eventList[0] as Record<string, unknown>)]);
    // The farm signed it: the ledger names the farm as its signer.
    const recorded = await node.as('regulator').events({ EQ_eventID: eventId });
    expect(recorded.events).toHaveLength(1);
    expect((await node.client().status(job.getLocation().split('/').pop()!)).status).toBe('committed');

    const refused = await capture(document, { apiUrl: settings.apiUrl });
    expect(refused.status).toBe(401);
  });
});

describe('outages, restarts and failover', () => {
  it('queues captures while no validator answers, keeps them across a restart, and commits each once when one answers again', async () => {
    const proxy = await cuttableProxy(new URL(node.url));
    const directory = dataIn(await directories(), 'partition');
    const options = { validators: [proxy.url], dataDirectory: directory, keyFile: node.participantKeyFiles['farm']!, genesisFile: node.genesisFile };
    proxy.cut();
    let partitioned = await startTestGateway(options);
    const documents = [newDocument(), newDocument(), newDocument()];
    const locations: string[] = [];
    for (const { document } of documents) {
      const answer = await request(partitioned, 'POST', '/epcis/capture', { body: document });
      expect(answer.status).toBe(202);
      locations.push(answer.headers.get('location')!);
    }
    const queued = await request(partitioned, 'GET', locations[0]!);
    expect(queued.body).toMatchObject({ running: true, success: true, 'custodia:state': 'queued' });
    // Reads need a validator: a 503 that says when to come back.
    const read = await request(partitioned, 'GET', '/epcis/events');
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toMatch(/^[0-9]+$/);
    const status = await request(partitioned, 'GET', '/gateway/status');
    expect(status.body).toMatchObject({ outbox: { queued: 3 }, validators: [{ url: proxy.url, reachable: false }] });

    await partitioned.close();
    partitioned = await startTestGateway(options);
    expect(partitioned.outbox.pending().map((record) => `/epcis/capture/${record.id}`)).toEqual(locations);
    proxy.restore();
    const heights: number[] = [];
    for (const location of locations) {
      const job = await jobWhen(partitioned, location, settled);
      expect(job).toMatchObject({ success: true, 'custodia:state': 'committed' });
      heights.push(job['custodia:height']);
    }
    // Forwarded in acceptance order, each recorded once.
    expect([...heights].sort((a, b) => a - b)).toEqual(heights);
    for (const { eventId } of documents) {
      const found = await node.as('regulator').events({ EQ_eventID: eventId });
      expect(found.events).toHaveLength(1);
    }
    await partitioned.close();
    await proxy.close();
  });

  it('fails over from a validator that is down, and believes no validator’s commit without a proof that verifies', async () => {
    // A validator that claims every transaction committed and serves a proof of nothing.
    const liar = express();
    liar.use(express.json({ limit: '4mb' }));
    const claim = (id: string) => ({ id, status: 'committed', height: 1, position: 0, blockHash: 'ab'.repeat(32), result: { status: 'accepted' } });
    liar.post('/v1/transactions', (request, response) => void response.json((request.body as Transaction[]).map((transaction) => claim(transactionId(transaction.body)))));
    liar.get('/v1/transactions/:id', (request, response) => void response.json(claim(String(request.params['id']))));
    liar.get('/v1/proofs/transactions/:id', (_request, response) => void response.json({ format: 'custodia-transaction-proof/1', chainId: 'x' }));
    const liarServer: Server = createServer(liar);
    await new Promise<void>((resolve) => liarServer.listen(0, '127.0.0.1', resolve));
    const liarUrl = `http://127.0.0.1:${(liarServer.address() as AddressInfo).port}`;
    const down = await cuttableProxy(new URL(node.url));
    down.cut();

    const failover = await startTestGateway({ validators: [down.url, liarUrl, node.url], dataDirectory: dataIn(await directories(), 'failover'), keyFile: node.participantKeyFiles['farm']!, genesisFile: node.genesisFile });
    const { document } = newDocument();
    const answer = await request(failover, 'POST', '/epcis/capture', { body: document });
    const job = await jobWhen(failover, answer.headers.get('location')!, settled);
    expect(job).toMatchObject({ success: true, 'custodia:state': 'committed', 'custodia:proven': true });
    expect(job['custodia:height']).not.toBe(1);
    expect(failover.warnings.some((warning) => warning.includes('does not verify against the genesis keys') && warning.includes(liarUrl))).toBe(true);
    const status = await request(failover, 'GET', '/gateway/status');
    const byUrl = Object.fromEntries((status.body.validators as any[]).map((validator) => [validator.url, validator]));
    expect(byUrl[down.url].lastError).toBeDefined();
    expect(byUrl[liarUrl].lastError).toMatch(/does not verify/);
    await failover.close();
    await down.close();
    await new Promise((resolve) => liarServer.close(resolve));
  });

  it('sends a capture a validator refused for load again after its Retry-After', async () => {
    // A validator in front of the real one that sends back the first batch as overloaded.
    let refusals = 0;
    const loaded = express();
    loaded.use(express.raw({ type: () => true, limit: '4mb' }));
    loaded.all('/{*path}', async (request, response) => {
      if (request.method === 'POST' && refusals === 0) {
        refusals += 1;
        const batch = JSON.parse((request.body as Buffer).toString()) as unknown[];
        response.set('Retry-After', '1').json(batch.map(() => ({ status: 'refused', httpStatus: 503, code: 'overloaded', message: 'too many waiting', path: '' })));
        return;
      }
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('x-custodia') || name === 'content-type' || name === 'accept')) as Record<string, string>;
      const forwarded = await fetch(`${node.url}${request.originalUrl}`, { method: request.method, headers, ...(request.method === 'POST' ? { body: (request.body as Buffer).toString() } : {}) });
      response.status(forwarded.status).type(forwarded.headers.get('content-type') ?? 'application/json').send(Buffer.from(await forwarded.arrayBuffer()));
    });
    const server: Server = createServer(loaded);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const patient = await startTestGateway({ validators: [url], dataDirectory: dataIn(await directories(), 'loaded'), keyFile: node.participantKeyFiles['farm']!, genesisFile: node.genesisFile });
    const answer = await request(patient, 'POST', '/epcis/capture', { body: newDocument().document });
    const location = answer.headers.get('location')!;
    const waiting = await jobWhen(patient, location, (job) => job['custodia:lastError'] !== undefined || job.running === false);
    // Queued until its Retry-After has passed, then submitted again: a loaded box may first look
    // after the second send, and the job still says why the first failed.
    expect(waiting).toMatchObject({ running: true, 'custodia:state': expect.stringMatching(/^(queued|submitted)$/), 'custodia:lastError': expect.stringMatching(/overloaded/) });
    expect(await jobWhen(patient, location, settled)).toMatchObject({ success: true, 'custodia:state': 'committed', 'custodia:attempts': 2 });
    expect(refusals).toBe(1);
    await patient.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses new captures with 503 and Retry-After when its outbox is full, and never drops accepted ones', async () => {
    const proxy = await cuttableProxy(new URL(node.url));
    proxy.cut();
    const full = await startTestGateway({ validators: [proxy.url], dataDirectory: dataIn(await directories(), 'full'), keyFile: node.participantKeyFiles['farm']!, genesisFile: node.genesisFile, outboxLimits: { entriesMax: 2 } });
    for (const expected of [202, 202, 503]) {
      const answer = await request(full, 'POST', '/epcis/capture', { body: newDocument().document });
      expect(answer.status).toBe(expected);
      if (expected === 503) {
        expect(answer.headers.get('retry-after')).toMatch(/^[0-9]+$/);
        expect(answer.body).toMatchObject({ code: 'outbox-entries-full' });
      }
    }
    expect(full.outbox.counts().queued).toBe(2);
    await full.close();
    await proxy.close();
  });

  it('never sends a capture whose stored transaction changed on disk, goes on with the next, and refuses a second gateway on the same folder', async () => {
    const directory = dataIn(await directories(), 'damaged');
    const outbox = await Outbox.open(dataIn(directory, 'outbox'));
    const signer = node.signers['farm']!;
    const sign = (document: JsonObject) => signTransaction(captureTransactionBody(gateway.chainId, [signer.participant], 'n1', document, 'rollback'), [signer]);
    const original = sign(newDocument().document);
    const changed = { ...original, body: { ...original.body, nonce: 'changed' } };
    await outbox.accept(changed, transactionId(original.body), 'rollback');
    const intact = sign(newDocument().document);
    await outbox.accept(intact, transactionId(intact.body), 'rollback');
    await outbox.close();

    const damaged = await startTestGateway({ validators: [node.url], dataDirectory: directory, keyFile: node.participantKeyFiles['farm']!, genesisFile: node.genesisFile });
    expect(await jobWhen(damaged, `/epcis/capture/${transactionId(original.body)}`, settled)).toMatchObject({ success: false, 'custodia:state': 'rejected', 'custodia:proven': false, errors: [{ code: 'outbox-damaged' }] });
    expect(await jobWhen(damaged, `/epcis/capture/${transactionId(intact.body)}`, settled)).toMatchObject({ success: true, 'custodia:state': 'committed' });
    await expect(node.client().status(transactionId(changed.body))).rejects.toThrow(/404 not-found/);
    const second = await startGateway({ validators: [node.url], keyFile: node.participantKeyFiles['farm']!, dataDirectory: directory, genesisFile: node.genesisFile, listen: { host: '127.0.0.1', port: 0 }, logger: { info: () => undefined, warn: () => undefined } });
    expect(second).toMatchObject({ ok: false, message: expect.stringMatching(/cannot open the outbox/) });
    await damaged.close();
  });

  it('settles a capture the validator refuses to admit (an unregistered participant) as rejected, marked unproven', async () => {
    const directory = await directories();
    const keyFile = dataIn(directory, 'stranger.key');
    await generateKeyFile(keyFile, 'urn:epc:id:pgln:9999999.00001');
    const stranger = await startTestGateway({ validators: [node.url], dataDirectory: dataIn(directory, 'stranger'), keyFile });
    const answer = await request(stranger, 'POST', '/epcis/capture', { body: newDocument().document });
    const job = await jobWhen(stranger, answer.headers.get('location')!, settled);
    expect(job).toMatchObject({ success: false, 'custodia:state': 'rejected', 'custodia:proven': false, errors: [{ code: 'unknown-participant' }] });
    await stranger.close();
  });
});
