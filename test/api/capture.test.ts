/** The EPCIS capture interface against a real validator: capture, poll per-event status, and refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodiaClient } from '../../api/client.js';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { signTransaction } from '../../ledger/model/transaction.js';
import { CHAIN_ID, get, startApiNode, type ApiNode } from './support/api-node.js';

let node: ApiNode;
const events = liveEventBuilders();
let nonce = 0;

beforeAll(async () => {
  node = await startApiNode();
}, 60_000);

afterAll(async () => {
  await node?.close();
});

function captureTransaction(document: unknown, type = 'epcis.capture') {
  const farm = node.signers['farm']!;
  return signTransaction({ chainId: CHAIN_ID, type, signers: [farm.participant], nonce: `capture-${nonce++}`, payload: { document } as never }, [farm]);
}

async function post(body: string, query = '') {
  const response = await fetch(`${node.url}/v1/epcis/capture${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as any };
}

async function pollUntilSettled(id: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const status = await get(`${node.url}/v1/epcis/capture/${id}`);
    if (status.body.status !== 'pending') return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`capture ${id} stayed pending`);
}

describe('POST /v1/epcis/capture', () => {
  it('takes a signed document, answers 202 with its events, and reports each event committed', async () => {
    const lots = [1, 2].map((serial) => `urn:epc:class:lgtin:0614141.0012345.CAPTURE-${Date.now()}-${serial}`);
    const document = events.document(events.commissionLot(lots[0]!, 5), events.commissionLot(lots[1]!, 7));
    const accepted = await post(JSON.stringify(captureTransaction(document)));
    expect(accepted.status).toBe(202);
    expect(accepted.location).toBe(`/v1/epcis/capture/${accepted.body.captureId}`);
    expect(accepted.body.events).toHaveLength(2);
    expect(accepted.body.events.every((event: { status: string }) => event.status === 'pending')).toBe(true);
    const settled = await pollUntilSettled(accepted.body.captureId);
    expect(settled.body).toMatchObject({ captureId: accepted.body.captureId, status: 'committed', result: { status: 'accepted' } });
    expect(settled.body.events.map((event: { status: string }) => event.status)).toEqual(['committed', 'committed']);
    // The typed client reads the same status, and verifies the capture's proof offline against the genesis keys.
    const farm = node.signers['farm']!;
    const client = new CustodiaClient(node.url, CHAIN_ID, { credential: { participant: farm.participant, seed: farm.seed } });
    expect(await client.captureStatus(accepted.body.captureId)).toEqual(settled.body);
    const genesis = await readGenesisFile(node.genesisFile);
    if (!genesis.ok) throw new Error(genesis.message);
    expect(await client.verifyTransaction(accepted.body.captureId, { chainId: CHAIN_ID, validators: genesis.validators })).toMatchObject({ ok: true, txId: accepted.body.captureId });
    const again = await post(JSON.stringify(captureTransaction(document)));
    expect(again.status).toBe(202);
    expect((await pollUntilSettled(again.body.captureId)).body).toMatchObject({ status: 'rejected', result: { code: 'duplicate-event' } });
  });

  it('with wait=commit answers once the capture is committed, with the status of each event', async () => {
    const lot = `urn:epc:class:lgtin:0614141.0012345.WAIT-${Date.now()}`;
    const committed = await post(JSON.stringify(captureTransaction(events.document(events.commissionLot(lot, 3)))), '?wait=commit&timeoutMs=30000');
    expect(committed.status).toBe(200);
    expect(committed.body).toMatchObject({ status: 'committed', result: { status: 'accepted' }, events: [{ status: 'committed' }] });
    expect(committed.body.height).toBeGreaterThan(0);
    expect(await post(JSON.stringify(captureTransaction(events.document())), '?wait=soon')).toMatchObject({ status: 400, body: { code: 'bad-query' } });
  });

  it('refuses what is not a capture or not a valid EPCIS document, naming the field, and unknown ids', async () => {
    const notCapture = await post(JSON.stringify(captureTransaction(events.document(), 'recall.issue')));
    expect(notCapture).toMatchObject({ status: 422, body: { code: 'not-a-capture', path: 'body.type' } });
    const invalid = await post(JSON.stringify(captureTransaction({ type: 'EPCISDocument', schemaVersion: '2.0' })));
    expect(invalid.status).toBe(422);
    expect(invalid.body.code).toBe('invalid-document');
    expect(invalid.body.path).toMatch(/^body\.payload\.document/);
    expect(await post('{"body": 1, "body": 2}')).toMatchObject({ status: 400, body: { code: 'json-duplicate-key' } });
    expect((await get(`${node.url}/v1/epcis/capture/${'ab'.repeat(32)}`)).status).toBe(404);
    expect((await get(`${node.url}/v1/epcis/capture/xyz`)).status).toBe(400);
  });
});

describe("the validator's latency metrics", () => {
  it('count where each committed submission spent its time, the transactions of each block, and each block from proposal to commit', async () => {
    const lot = `urn:epc:class:lgtin:0614141.0012345.METRICS-${Date.now()}`;
    const accepted = await post(JSON.stringify(captureTransaction(events.document(events.commissionLot(lot, 3)))));
    expect(accepted.status).toBe(202);
    await pollUntilSettled(accepted.body.captureId);
    const { metrics } = node.validator;
    // One snapshot: the test node commits a heartbeat block every 50 ms, and each get() reads its metric when called.
    const [stages, latency, commits, perBlock, transactions, blockCommit] = await Promise.all([
      metrics.commitStageSeconds.get(),
      metrics.commitLatencySeconds.get(),
      metrics.commits.get(),
      metrics.blockTransactions.get(),
      metrics.transactions.get(),
      metrics.blockCommitSeconds.get(),
    ]);
    const series = (values: typeof stages.values, name: string, stage?: string) => values.find((value) => value.metricName === name && (stage === undefined || value.labels['stage'] === stage))?.value ?? 0;
    const submittedHere = series(latency.values, 'custodia_commit_latency_seconds_count');
    expect(submittedHere).toBeGreaterThan(0);
    // Every submission committed here is counted once in each stage.
    for (const stage of ['admitted-to-proposed', 'proposed-to-committed', 'committed-to-executed', 'admitted-to-executed']) {
      expect(series(stages.values, 'custodia_commit_stage_seconds_count', stage)).toBe(submittedHere);
    }
    const blocks = commits.values[0]!.value;
    expect(series(perBlock.values, 'custodia_block_transactions_count')).toBe(blocks);
    expect(series(perBlock.values, 'custodia_block_transactions_sum')).toBe(transactions.values.reduce((sum, value) => sum + value.value, 0));
    expect(series(blockCommit.values, 'custodia_block_commit_seconds_count')).toBe(blocks);
  });
});
