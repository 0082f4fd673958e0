/**
 * Batched relay (node/relay-batch.ts, node/transactions.ts): admitted transactions leave in
 * arrays, one frame per batch, sent when a batch reaches its count or byte limit, at the end of
 * the turn that admitted them when the batcher was quiet, or else when its window ends; a receiver checks every element of a frame on its own (a malformed or forged one is
 * refused and counted, the others admitted), takes a single transaction as before, and refuses a
 * frame beyond its limits whole, as a value. Timers are injected: nothing here waits on a clock.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { admissionRefusal } from '../../contracts/admission.js';
import { genesisWrites } from '../../contracts/participants.js';
import { Mempool } from '../../node/mempool.js';
import { ParticipantDirectory } from '../../node/participant-directory.js';
import { VerifiedTransactions } from '../../node/payload.js';
import { parseRelayFrame, RELAY_FRAME_TRANSACTIONS_MAX, relayBytes, RelayBatcher, type Schedule } from '../../node/relay-batch.js';
import { TransactionService } from '../../node/transactions.js';
import { CHAIN_ID, PARTIES, testConsortium } from '../contracts/support/harness.js';
import { keyFor, TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const temporaryDirectory = temporaryDirectories('relay-batch');
let serial = 0;

function certificate(signer: string = PARTIES.farm.id, seedName: string = signer, note = 'x'): Transaction {
  serial++;
  return signTransaction({ chainId: CHAIN_ID, type: 'certificate.record', signers: [signer], nonce: `relay-${serial}`, payload: { note } }, [{ participant: signer, ...keyFor(seedName) }]);
}
const idOf = (transaction: unknown) => transactionId((transaction as Transaction).body);

/** A schedule the test fires by hand. */
function manualTimers() {
  const due: Array<{ callback: () => void; delayMs: number; cancelled: boolean }> = [];
  const schedule: Schedule = (callback, delayMs) => {
    const entry = { callback, delayMs, cancelled: false };
    due.push(entry);
    return () => void (entry.cancelled = true);
  };
  const fire = () => {
    for (const entry of due.splice(0)) if (!entry.cancelled) entry.callback();
  };
  const scheduled = () => due.filter((entry) => !entry.cancelled).length;
  return { schedule, fire, scheduled, due };
}

describe('the relay batcher', () => {
  it('sends what a quiet turn admitted at the end of that turn, as one array, then gathers for a window of its delay', () => {
    const timers = manualTimers();
    const frames: JsonValue[][] = [];
    const batcher = new RelayBatcher((batch) => frames.push(batch), { flushDelayMs: 5 }, timers.schedule);
    const [a, b, c, d, e] = [certificate(), certificate(), certificate(), certificate(), certificate()];
    for (const transaction of [a, b, c]) batcher.add(transaction as unknown as JsonValue, 300);
    // A quiet batcher waits only for the end of the turn, so a client's array stays one frame.
    expect(frames).toEqual([]);
    expect(timers.scheduled()).toBe(1);
    expect(timers.due[0]!.delayMs).toBe(0);
    expect(batcher.waiting).toBe(3);
    timers.fire();
    expect(frames).toHaveLength(1);
    expect(frames[0]!.map(idOf)).toEqual([a, b, c].map(idOf));
    expect(batcher.waiting).toBe(0);
    // Sending opened a window: what arrives in it waits for the window's end.
    expect(timers.due.filter((entry) => !entry.cancelled).map((entry) => entry.delayMs)).toEqual([5]);
    batcher.add(d as unknown as JsonValue, 300);
    batcher.add(e as unknown as JsonValue, 300);
    expect(timers.scheduled()).toBe(1);
    timers.fire();
    expect(frames.map((frame) => frame.map(idOf))).toEqual([[a, b, c].map(idOf), [d, e].map(idOf)]);
    // A window that sent something opens the next; one that ends with nothing closes, sending no empty frame.
    expect(timers.due.filter((entry) => !entry.cancelled).map((entry) => entry.delayMs)).toEqual([5]);
    timers.fire();
    expect(frames).toHaveLength(2);
    expect(timers.scheduled()).toBe(0);
    // Quiet again: the next transaction leaves at the end of its turn.
    batcher.add(certificate() as unknown as JsonValue, 300);
    expect(timers.due.filter((entry) => !entry.cancelled).map((entry) => entry.delayMs)).toEqual([0]);
    timers.fire();
    expect(frames).toHaveLength(3);
  });

  it('keeps the window running after a flush on demand (before a proposal), and closes it when nothing was waiting', () => {
    const timers = manualTimers();
    const frames: JsonValue[][] = [];
    const batcher = new RelayBatcher((batch) => frames.push(batch), { flushDelayMs: 5 }, timers.schedule);
    batcher.add({ n: 1 }, 100);
    batcher.flush();
    expect(frames).toEqual([[{ n: 1 }]]);
    expect(timers.due.filter((entry) => !entry.cancelled).map((entry) => entry.delayMs)).toEqual([5]);
    batcher.add({ n: 2 }, 100);
    expect(frames).toHaveLength(1);
    batcher.flush();
    batcher.flush();
    expect(frames).toEqual([[{ n: 1 }], [{ n: 2 }]]);
    expect(timers.scheduled()).toBe(0);
    batcher.add({ n: 3 }, 100);
    expect(timers.due.filter((entry) => !entry.cancelled).map((entry) => entry.delayMs)).toEqual([0]);
  });

  it('sends a batch as soon as it reaches its count, without waiting for the delay', () => {
    const timers = manualTimers();
    const frames: JsonValue[][] = [];
    const batcher = new RelayBatcher((batch) => frames.push(batch), { transactionsMax: 3 }, timers.schedule);
    for (let index = 0; index < 7; index++) batcher.add({ index }, 100);
    expect(frames.map((frame) => frame.length)).toEqual([3, 3]);
    timers.fire();
    expect(frames.map((frame) => frame.length)).toEqual([3, 3, 1]);
  });

  it('keeps a batch within its bytes: a transaction that would take it past the limit starts the next one, a large one goes alone', () => {
    const timers = manualTimers();
    const frames: JsonValue[][] = [];
    const batcher = new RelayBatcher((batch) => frames.push(batch), { bytesMax: 1000 }, timers.schedule);
    batcher.add({ n: 1 }, 400);
    batcher.add({ n: 2 }, 400);
    batcher.add({ n: 3 }, 400);
    expect(frames).toEqual([[{ n: 1 }, { n: 2 }]]);
    batcher.add({ n: 4 }, 5000);
    expect(frames).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }], [{ n: 4 }]]);
    expect(batcher.waiting).toBe(0);
  });

  it('estimates a transaction\'s serialized size at or above what JSON.stringify writes', () => {
    for (const transaction of [certificate(), certificate(PARTIES.carrier.id, PARTIES.carrier.id, 'y'.repeat(10_000))]) {
      const bodyBytes = Buffer.byteLength(JSON.stringify(transaction.body));
      const estimate = relayBytes(transaction, bodyBytes);
      expect(estimate).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(transaction)));
      expect(estimate).toBeLessThan(Buffer.byteLength(JSON.stringify(transaction)) + 400);
    }
  });

  it('refuses limits beyond what receivers accept', () => {
    expect(() => new RelayBatcher(() => undefined, { transactionsMax: RELAY_FRAME_TRANSACTIONS_MAX + 1 })).toThrow(/transactionsMax/);
    expect(() => new RelayBatcher(() => undefined, { bytesMax: 0 })).toThrow(/bytesMax/);
  });
});

describe('a relay frame', () => {
  it('is one transaction (as before batching) or an array of 1 to RELAY_FRAME_TRANSACTIONS_MAX; anything beyond is a refusal value', () => {
    expect(parseRelayFrame({ body: 1 })).toEqual({ ok: true, transactions: [{ body: 1 }] });
    expect(parseRelayFrame([1, 2])).toEqual({ ok: true, transactions: [1, 2] });
    expect(parseRelayFrame([])).toMatchObject({ ok: false, reason: 'relay-frame-empty' });
    expect(parseRelayFrame(Array.from({ length: RELAY_FRAME_TRANSACTIONS_MAX + 1 }, () => 0))).toMatchObject({ ok: false, reason: 'relay-frame-too-large' });
    expect(parseRelayFrame(Array.from({ length: RELAY_FRAME_TRANSACTIONS_MAX }, () => 0)).ok).toBe(true);
    // Peer input never throws, whatever its shape.
    for (const payload of [null, 'x', 7, true, { transactions: [] }] as JsonValue[]) expect(parseRelayFrame(payload).ok).toBe(true);
  });
});

async function service() {
  const chain = new TestChain({ chainId: CHAIN_ID, genesisWrites: genesisWrites(testConsortium()) });
  const opened = await BlockStore.open({ directory: join(await temporaryDirectory(), 'ledger'), genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  const directory = await ParticipantDirectory.load(opened.store);
  const mempool = new Mempool();
  const refused: string[] = [];
  const ready: string[] = [];
  const frames: JsonValue[] = [];
  const transactions = new TransactionService({
    chainId: CHAIN_ID,
    store: opened.store,
    mempool,
    verified: new VerifiedTransactions(),
    relay: (_channel, payload) => frames.push(payload),
    transactionsReady: (admitted) => ready.push(admitted.reference.id),
    admission: (transaction) => admissionRefusal(transaction, directory.lookup),
    onRelayRefused: (reason) => refused.push(reason),
  });
  return { transactions, mempool, refused, ready, frames, close: () => opened.store.close() };
}

describe('a validator receiving relay frames', () => {
  it('checks every element on its own: admits the good ones and refuses, by reason, a malformed, a forged, a stranger\'s and a wrong chain\'s', async () => {
    const node = await service();
    try {
      const good = [certificate(), certificate(PARTIES.carrier.id), certificate(PARTIES.retailer.id)];
      const forged = certificate(PARTIES.farm.id, 'not the farm key');
      const tampered = certificate();
      tampered.signatures[0]!.signature = tampered.signatures[0]!.signature.replace(/^./, (digit) => (digit === '0' ? '1' : '0'));
      const stranger = certificate('urn:epc:id:pgln:0999999.00001');
      const otherChain = signTransaction({ chainId: 'custodia-other', type: 'certificate.record', signers: [PARTIES.farm.id], nonce: 'other', payload: { note: 'x' } }, [{ participant: PARTIES.farm.id, ...keyFor(PARTIES.farm.id) }]);
      const frame = [good[0], { not: 'a transaction' }, forged, good[1], tampered, 'text', null, stranger, otherChain, good[2]] as unknown as JsonValue;
      await node.transactions.receiveRelayed(frame);
      expect(new Set(node.ready)).toEqual(new Set(good.map(idOf)));
      expect(node.mempool.size).toBe(3);
      expect(node.refused.sort()).toEqual(['bad-signature', 'malformed', 'malformed', 'malformed', 'unknown-key', 'unknown-participant', 'wrong-chain'].sort());
      // Relayed transactions are never relayed again.
      node.transactions.flushRelay();
      expect(node.frames).toEqual([]);
      // The same frame again: duplicates change nothing.
      await node.transactions.receiveRelayed(frame);
      expect(node.mempool.size).toBe(3);
      expect(node.ready).toHaveLength(3);
    } finally {
      await node.close();
    }
  });

  it('checks every element of a frame longer than one turn\'s worth, and still takes a single transaction', async () => {
    const node = await service();
    try {
      const many = Array.from({ length: 100 }, (_, index) => certificate(index % 2 === 0 ? PARTIES.farm.id : PARTIES.carrier.id));
      await node.transactions.receiveRelayed(many as unknown as JsonValue);
      expect(node.mempool.size).toBe(100);
      const single = certificate();
      await node.transactions.receiveRelayed(single as unknown as JsonValue);
      expect(node.mempool.has(idOf(single))).toBe(true);
      expect(node.refused).toEqual([]);
    } finally {
      await node.close();
    }
  });

  it('refuses a frame beyond the element limit, and an empty one, whole and counted, and admits nothing of it', async () => {
    const node = await service();
    try {
      const transaction = certificate();
      await node.transactions.receiveRelayed(Array.from({ length: RELAY_FRAME_TRANSACTIONS_MAX + 1 }, () => transaction) as unknown as JsonValue);
      await node.transactions.receiveRelayed([]);
      expect(node.refused).toEqual(['relay-frame-too-large', 'relay-frame-empty']);
      expect(node.mempool.size).toBe(0);
    } finally {
      await node.close();
    }
  });

  it('relays what clients submit in array frames, each admitted transaction once', async () => {
    const node = await service();
    try {
      const submitted = [certificate(), certificate(PARTIES.carrier.id), certificate()];
      for (const transaction of submitted) expect(await node.transactions.submit(transaction)).toMatchObject({ ok: true, duplicate: false });
      expect(await node.transactions.submit(submitted[0])).toMatchObject({ ok: true, duplicate: true });
      node.transactions.flushRelay();
      expect(node.frames.every((frame) => Array.isArray(frame))).toBe(true);
      expect(node.frames.flatMap((frame) => (frame as JsonValue[]).map(idOf))).toEqual(submitted.map(idOf));
    } finally {
      await node.close();
    }
  });
});
