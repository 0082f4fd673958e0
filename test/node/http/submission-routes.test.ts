/**
 * POST /v1/transactions with a batch (node/http/submission-routes.ts): each transaction of an
 * array is admitted or refused on its own, in order, with what a single submission of it would
 * have answered; wait=commit answers once every admitted one is decided; the batch's size is
 * bounded; refusals for load carry Retry-After. The route runs over a real store, mempool and
 * transaction service; only consensus is absent, so commits are reported to the service by hand.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionRefusal } from '../../../contracts/admission.js';
import { genesisWrites } from '../../../contracts/participants.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { signTransaction, transactionId, type Transaction } from '../../../ledger/model/transaction.js';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { errorHandler, notFoundHandler } from '../../../node/http/errors.js';
import { SUBMISSION_BATCH_TRANSACTIONS_MAX, submissionRoutes } from '../../../node/http/submission-routes.js';
import { Mempool } from '../../../node/mempool.js';
import { ParticipantDirectory } from '../../../node/participant-directory.js';
import { VerifiedTransactions } from '../../../node/payload.js';
import { AdmissionControl } from '../../../node/admission-control.js';
import { TransactionService, type TransactionServiceOptions } from '../../../node/transactions.js';
import { CHAIN_ID, PARTIES, prefixOf, testConsortium } from '../../contracts/support/harness.js';
import { keyFor, TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const temporaryDirectory = temporaryDirectories('submission-routes');
let serial = 0;

function capture(signer: string = PARTIES.farm.id, seedName: string = signer): Transaction {
  serial++;
  const document = {
    '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T00:00:00.000Z',
    epcisBody: {
      eventList: [
        {
          type: 'ObjectEvent',
          eventTime: new Date(Date.UTC(2026, 0, 1) + serial).toISOString(),
          eventTimeZoneOffset: '+00:00',
          action: 'ADD',
          bizStep: 'commissioning',
          quantityList: [{ epcClass: `urn:epc:class:lgtin:${prefixOf('farm')}.107346.BATCH${serial}`, quantity: 10, uom: 'KGM' }],
        },
      ],
    },
  };
  return signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [signer], nonce: `batch-${serial}`, payload: { document } as JsonValue }, [{ participant: signer, ...keyFor(seedName) }]);
}

async function startRoute(mempool: Mempool, extra: Partial<TransactionServiceOptions> = {}) {
  const chain = new TestChain({ chainId: CHAIN_ID, genesisWrites: genesisWrites(testConsortium()) });
  const opened = await BlockStore.open({ directory: join(await temporaryDirectory(), 'ledger'), genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  const directory = await ParticipantDirectory.load(opened.store);
  const frames: JsonValue[] = [];
  const transactions = new TransactionService({
    chainId: CHAIN_ID,
    store: opened.store,
    mempool,
    verified: new VerifiedTransactions(),
    relay: (_channel, payload) => frames.push(payload),
    transactionsReady: () => undefined,
    admission: (transaction) => admissionRefusal(transaction, directory.lookup),
    ...extra,
  });
  // Relay frames are arrays of transactions (node/relay-batch.ts): what was relayed so far, once the batch being gathered is sent.
  const relayed = () => {
    transactions.flushRelay();
    return frames.flatMap((frame) => frame as JsonValue[]);
  };
  const app = express();
  app.use(submissionRoutes({ transactions, store: opened.store, bodyBytesMax: 4 * 1024 * 1024 }));
  app.use(notFoundHandler);
  app.use(errorHandler(() => undefined));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async (body: unknown, query = '') => {
    const response = await fetch(`${url}/v1/transactions${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
  };
  return { transactions, relayed, post, close: async () => { await new Promise((resolve) => server.close(resolve)); await opened.store.close(); } };
}

describe('POST /v1/transactions with a batch', () => {
  let route: Awaited<ReturnType<typeof startRoute>>;
  beforeAll(async () => {
    route = await startRoute(new Mempool());
  });
  afterAll(async () => {
    await route?.close();
  });

  it('admits or refuses each transaction on its own, in order, as a single submission would', async () => {
    const valid = [capture(), capture(PARTIES.carrier.id)];
    const forged = capture(PARTIES.farm.id, 'not the farm key');
    const stranger = capture('urn:epc:id:pgln:0999999.00001');
    const tampered = capture();
    tampered.signatures[0]!.signature = tampered.signatures[0]!.signature.replace(/^./, (digit) => (digit === '0' ? '1' : '0'));
    const answer = await route.post([valid[0], forged, stranger, { not: 'a transaction' }, tampered, valid[1]]);
    expect(answer.status).toBe(200);
    expect(answer.retryAfter).toBeNull();
    const outcomes = answer.body as any[];
    expect(outcomes).toHaveLength(6);
    expect(outcomes[0]).toEqual({ id: transactionId(valid[0]!.body), status: 'pending' });
    expect(outcomes[5]).toEqual({ id: transactionId(valid[1]!.body), status: 'pending' });
    expect(outcomes[1]).toMatchObject({ status: 'refused', httpStatus: 403, code: 'unknown-key', path: '1.body.signers' });
    expect(outcomes[2]).toMatchObject({ status: 'refused', httpStatus: 403, code: 'unknown-participant', path: '2.body.signers' });
    expect(outcomes[3]).toMatchObject({ status: 'refused', httpStatus: 422, code: 'malformed' });
    expect(outcomes[3].path.startsWith('3')).toBe(true);
    expect(outcomes[4]).toMatchObject({ status: 'refused', httpStatus: 422, code: 'bad-signature' });
    // The same refusals as one at a time.
    const single = await route.post(forged);
    expect(single.status).toBe(403);
    expect(single.body.code).toBe('unknown-key');
    // Only the admitted ones were relayed.
    expect(route.relayed().map((transaction) => transactionId((transaction as unknown as Transaction).body))).toEqual(valid.map((transaction) => transactionId(transaction.body)));
  });

  it('with wait=commit answers once every admitted transaction is committed, each with its result', async () => {
    const batch = [capture(), capture()];
    const ids = batch.map((transaction) => transactionId(transaction.body));
    const answered = route.post([...batch, { not: 'a transaction' }], '?wait=commit&timeoutMs=30000');
    // The waiters are registered once both are admitted; report the commit of both.
    const waiting = async () => {
      while (route.transactions.waiting < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await waiting();
    const result = { status: 'accepted' as const };
    route.transactions.executed({ height: 1, blockHash: 'ab'.repeat(32), ids, results: [result, result] as never });
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(answer.body[0]).toMatchObject({ id: ids[0], status: 'committed', height: 1, position: 0 });
    expect(answer.body[1]).toMatchObject({ id: ids[1], status: 'committed', height: 1, position: 1 });
    expect(answer.body[2]).toMatchObject({ status: 'refused', code: 'malformed' });
  });

  it('refuses an empty batch and one over the limit as a whole', async () => {
    const empty = await route.post([]);
    expect(empty.status).toBe(422);
    expect(empty.body.code).toBe('empty-batch');
    const transaction = capture();
    const oversized = await route.post(Array.from({ length: SUBMISSION_BATCH_TRANSACTIONS_MAX + 1 }, () => transaction));
    expect(oversized.status).toBe(413);
    expect(oversized.body.code).toBe('batch-too-large');
    // Nothing of a refused batch was admitted.
    expect((await route.post(transaction)).body.status).toBe('pending');
    expect(route.relayed().filter((relayed) => transactionId((relayed as unknown as Transaction).body) === transactionId(transaction.body))).toHaveLength(1);
  });
});

describe('a batch that meets a full mempool', () => {
  it('admits what fits and refuses the rest with 503 and Retry-After', async () => {
    const route = await startRoute(new Mempool({ transactionsMax: 2, bytesMax: 1024 * 1024, perSubmitterMax: 2 }));
    try {
      const answer = await route.post([capture(), capture(), capture()]);
      expect(answer.status).toBe(200);
      expect(answer.retryAfter).toBe('1');
      expect(answer.body.map((outcome: { status: string }) => outcome.status)).toEqual(['pending', 'pending', 'refused']);
      expect(answer.body[2]).toMatchObject({ httpStatus: 503, code: 'mempool-full', path: '2' });
    } finally {
      await route.close();
    }
  });
});

describe('a validator overloaded beyond what it commits in the target delay', () => {
  // A cold start (no commit measured yet): the bound is the floor, 2 pending transactions.
  const overloadedRoute = () => {
    let nowMs = 1_000_000;
    const admissionControl = new AdmissionControl({ targetDelayMs: 2000, pendingFloor: 2, pendingCeiling: 100, rateTimeConstantMs: 5000, rateSampleMs: 500 }, nowMs);
    const refused: string[] = [];
    const mempool = new Mempool();
    return startRoute(mempool, { admissionControl, now: () => nowMs, onSubmissionRefused: (reason) => refused.push(reason) }).then((route) => ({
      ...route,
      mempool,
      refused,
      advance: (ms: number) => (nowMs += ms),
    }));
  };

  it('admits up to the bound and refuses the excess of a batch with 503 overloaded and Retry-After, relaying only what it admitted', async () => {
    const route = await overloadedRoute();
    try {
      const batch = [capture(), capture(), capture(), capture()];
      const answer = await route.post(batch);
      expect(answer.status).toBe(200);
      expect(answer.body.map((outcome: { status: string }) => outcome.status)).toEqual(['pending', 'pending', 'refused', 'refused']);
      expect(answer.body[2]).toMatchObject({ httpStatus: 503, code: 'overloaded', path: '2' });
      // Refused ones do not wait: each is 1 over a bound of 2 that commits in 2 s, so back in 1 s.
      expect(answer.retryAfter).toBe('1');
      expect(route.refused).toEqual(['overloaded', 'overloaded']);
      expect(route.relayed().map((transaction) => transactionId((transaction as unknown as Transaction).body))).toEqual(batch.slice(0, 2).map((transaction) => transactionId(transaction.body)));

      // One at a time: the same refusal as a 503 of its own.
      const single = await route.post(capture());
      expect(single.status).toBe(503);
      expect(single.body.code).toBe('overloaded');
      expect(Number(single.retryAfter)).toBeGreaterThanOrEqual(1);
      // A resubmission of a pending transaction still gets its status, and an invalid one its own refusal.
      const again = await route.post(batch[0]);
      expect(again.status).toBe(202);
      expect(again.body.status).toBe('pending');
      expect((await route.post({ not: 'a transaction' })).status).toBe(422);

      // The two commit, in a block executed 1 s later (execution takes them out of the mempool): admission reopens.
      route.advance(1000);
      const result = { status: 'accepted' as const };
      const committed = batch.slice(0, 2).map((transaction) => transactionId(transaction.body));
      for (const id of committed) route.mempool.remove(id);
      route.transactions.executed({ height: 1, blockHash: 'ab'.repeat(32), ids: committed, results: [result, result] as never });
      expect(route.transactions.admissionStatus()!.commitRatePerS).toBeGreaterThan(0);
      expect((await route.post(batch[2])).status).toBe(202);
    } finally {
      await route.close();
    }
  });
});
