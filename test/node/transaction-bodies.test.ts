/**
 * TransactionBodies (node/transaction-bodies.ts), the fetching of transaction bodies for blocks
 * known by their references, with a fake `send`, a fake peer list and real signed transactions.
 * Covers: who is asked and when (the proposer first, then each peer in turn every wantRetryMs,
 * driven by the nowMs arguments, peers that connect later included); answers served only from
 * what this node holds, within answerBytesMax (bytes, not characters) and one at a time per peer;
 * answers taken only for wanted references, with forged, swapped and malformed ones refused as
 * values and never thrown; the limits (wanted blocks, fetched bodies by count and bytes) and
 * giveUp, settledThrough, offer, release and restore.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { checkTransactionShape, signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { createEventBuilders } from '../../api/epcis-builders.js';
import { TakeOnceMemo } from '../../node/memo.js';
import { referenceOf, VerifiedTransactions, type TransactionReference } from '../../node/payload.js';
import {
  TRANSACTION_BODIES_CHANNEL,
  TRANSACTION_WANT_CHANNEL,
  TransactionBodies,
  type BodyRefusal,
  type TransactionBodyLimits,
} from '../../node/transaction-bodies.js';
import type { AnyEpcisDocument, EpcisValidation } from '../../contracts/epcis/index.js';
import { keyFor } from '../support/test-chain.js';

const CHAIN_ID = 'custodia-test';
const FARM = 'urn:epc:id:pgln:0614141.00001';
const PROCESSOR = 'urn:epc:id:pgln:0614142.00001';
const BLOCK_A = 'a0'.repeat(32);
const BLOCK_B = 'b0'.repeat(32);
const BLOCK_C = 'c0'.repeat(32);
const PEERS = ['validator-1', 'validator-2', 'validator-3'];

let serial = 0;
/** A signed transaction; every one made with the same payload has the same size (fixed-width nonces). */
function signed(payload: JsonValue = { note: 'x' }, options: { chainId?: string; type?: string } = {}): Transaction {
  serial += 1;
  return signTransaction(
    { chainId: options.chainId ?? CHAIN_ID, type: options.type ?? 'test.note', signers: [FARM], nonce: `nonce-${String(serial).padStart(6, '0')}`, payload },
    [{ participant: FARM, ...keyFor(FARM) }],
  );
}

const referenceTo = (transaction: Transaction): TransactionReference => referenceOf(transactionId(transaction.body), transaction);
const bodyBytesOf = (transaction: Transaction): number => {
  const shape = checkTransactionShape(transaction, CHAIN_ID);
  if (!shape.ok) throw new Error(shape.message);
  return shape.bodyBytes;
};
/** The same body with its signature replaced: another transaction as a reference names it. */
const withSignature = (transaction: Transaction, signature: string): Transaction => ({ ...transaction, signatures: [{ ...transaction.signatures[0]!, signature }] });

interface Sent {
  to: string;
  channel: string;
  payload: JsonValue;
}

function harness(options: { peers?: string[]; held?: Transaction[]; limits?: Partial<TransactionBodyLimits>; find?: ConstructorParameters<typeof TransactionBodies>[0]['find'] } = {}) {
  const sent: Sent[] = [];
  const completed: string[] = [];
  const refused: BodyRefusal[] = [];
  const finds: Array<{ blockHash: string; height: number; references: string[] }> = [];
  const state = { peers: options.peers ?? PEERS };
  const held = new Map((options.held ?? []).map((transaction) => [referenceTo(transaction).key, transaction]));
  const verified = new VerifiedTransactions();
  const documents = new TakeOnceMemo<EpcisValidation<AnyEpcisDocument>>();
  const bodies = new TransactionBodies({
    chainId: CHAIN_ID,
    send: (to, channel, payload) => sent.push({ to, channel, payload }),
    peers: () => [...state.peers],
    verified,
    documents,
    find:
      options.find ??
      (async (blockHash, height, references) => {
        finds.push({ blockHash, height, references: references.map((reference) => reference.key) });
        return references.flatMap((reference) => held.get(reference.key) ?? []);
      }),
    onComplete: (blockHash) => {
      completed.push(blockHash);
    },
    onRefused: (reason) => {
      refused.push(reason);
    },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const wants = () => sent.filter((entry) => entry.channel === TRANSACTION_WANT_CHANNEL);
  const answers = () => sent.filter((entry) => entry.channel === TRANSACTION_BODIES_CHANNEL);
  return { bodies, sent, completed, refused, finds, state, verified, documents, wants, answers, askedPeers: () => wants().map((entry) => entry.to) };
}

const wantOf = (blockHash: string, height: number, references: readonly TransactionReference[]): JsonValue => ({ blockHash, height, references: references.map((reference) => reference.key) });

describe('asking for missing bodies', () => {
  it('asks the proposer first, then, each time wantRetryMs passes unanswered, the next peer in turn, round and round', () => {
    const { bodies, wants, askedPeers } = harness({ peers: ['validator-1', 'validator-2', 'validator-3'] });
    const transactions = [signed(), signed()];
    const references = transactions.map(referenceTo);
    bodies.want(BLOCK_A, 7, references, 'validator-2', 10_000);
    expect(wants()).toEqual([{ to: 'validator-2', channel: TRANSACTION_WANT_CHANNEL, payload: wantOf(BLOCK_A, 7, references) }]);
    expect(bodies.isWanted(BLOCK_A)).toBe(true);
    // Before wantRetryMs (500 ms by default) nothing is sent again.
    bodies.tick(10_499);
    expect(askedPeers()).toEqual(['validator-2']);
    bodies.tick(10_500);
    expect(askedPeers()).toEqual(['validator-2', 'validator-1']);
    bodies.tick(10_999);
    expect(askedPeers()).toEqual(['validator-2', 'validator-1']);
    bodies.tick(11_000);
    bodies.tick(11_500);
    bodies.tick(12_000);
    expect(askedPeers()).toEqual(['validator-2', 'validator-1', 'validator-3', 'validator-2', 'validator-1']);
    // Each retry asks for what is still missing, the same references each time here.
    expect(new Set(wants().map((entry) => JSON.stringify(entry.payload)))).toEqual(new Set([JSON.stringify(wantOf(BLOCK_A, 7, references))]));
  });

  it('honours a configured wantRetryMs', () => {
    const { bodies, askedPeers } = harness({ limits: { wantRetryMs: 2000 } });
    bodies.want(BLOCK_A, 1, [referenceTo(signed())], 'validator-3', 0);
    bodies.tick(1999);
    expect(askedPeers()).toEqual(['validator-3']);
    bodies.tick(2000);
    expect(askedPeers()).toEqual(['validator-3', 'validator-1']);
  });

  it('asks peers that connected after the want, not only those connected when it began', () => {
    // The proposer is down and the one peer connected at first lacks the bodies too: the peers
    // that connect later (the honest voters that hold them) must be asked as well.
    const { bodies, state, askedPeers } = harness({ peers: ['validator-1'] });
    bodies.want(BLOCK_A, 3, [referenceTo(signed())], 'validator-0', 0);
    bodies.tick(500);
    expect(askedPeers()).toEqual(['validator-0', 'validator-1']);
    state.peers = ['validator-1', 'validator-2', 'validator-3'];
    for (let nowMs = 1000; nowMs <= 2500; nowMs += 500) bodies.tick(nowMs);
    expect(new Set(askedPeers().slice(2))).toEqual(new Set(['validator-0', 'validator-1', 'validator-2', 'validator-3']));
    expect(askedPeers().slice(2, 4)).toEqual(['validator-2', 'validator-3']);
  });

  it('waits for a peer when none is connected and there is no proposer to ask, then asks the first that connects', () => {
    const { bodies, state, askedPeers } = harness({ peers: [] });
    bodies.want(BLOCK_A, 3, [referenceTo(signed())], undefined, 0);
    expect(askedPeers()).toEqual([]);
    expect(bodies.isWanted(BLOCK_A)).toBe(true);
    state.peers = ['validator-2'];
    bodies.tick(500);
    expect(askedPeers()).toEqual(['validator-2']);
  });

  it('only adds references when a block is wanted again, and asks for all of them at the next retry', () => {
    const { bodies, wants } = harness();
    const [first, second] = [referenceTo(signed()), referenceTo(signed())];
    bodies.want(BLOCK_A, 2, [first!], 'validator-1', 0);
    bodies.want(BLOCK_A, 2, [first!, second!], 'validator-1', 100);
    expect(wants()).toHaveLength(1);
    bodies.tick(500);
    expect(wants()).toHaveLength(2);
    expect(wants()[1]).toEqual({ to: 'validator-2', channel: TRANSACTION_WANT_CHANNEL, payload: wantOf(BLOCK_A, 2, [first!, second!]) });
  });

  it('wants nothing for a block that misses nothing', () => {
    const { bodies, sent } = harness();
    bodies.want(BLOCK_A, 2, [], 'validator-1', 0);
    expect(bodies.isWanted(BLOCK_A)).toBe(false);
    expect(bodies.wantedBlocks).toBe(0);
    bodies.tick(10_000);
    expect(sent).toEqual([]);
  });

  it('asks for at most referencesPerWantMax references in one want', () => {
    const { bodies, wants } = harness({ limits: { referencesPerWantMax: 2 } });
    const references = [signed(), signed(), signed()].map(referenceTo);
    bodies.want(BLOCK_A, 2, references, 'validator-1', 0);
    expect((wants()[0]!.payload as { references: string[] }).references).toEqual(references.slice(0, 2).map((reference) => reference.key));
  });
});

describe('receiving an answer', () => {
  it('holds the wanted bodies, completes the block once all arrived, and asks the next peer only for what is still missing', () => {
    const { bodies, completed, refused, wants, verified } = harness();
    const transactions = [signed(), signed(), signed()];
    const references = transactions.map(referenceTo);
    bodies.want(BLOCK_A, 4, references, 'validator-1', 0);
    // A partial answer (the rest did not fit, or the peer lacks it).
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [transactions[1]!] as unknown as JsonValue });
    expect(bodies.get(references[1]!)).toEqual(transactions[1]);
    expect(bodies.get(references[0]!)).toBeUndefined();
    expect(verified.has(references[1]!)).toBe(true);
    expect(completed).toEqual([]);
    bodies.tick(500);
    expect(wants()[1]!.payload).toEqual(wantOf(BLOCK_A, 4, [references[0]!, references[2]!]));
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [transactions[2]!, transactions[0]!] as unknown as JsonValue });
    expect(completed).toEqual([BLOCK_A]);
    expect(refused).toEqual([]);
    expect(bodies.isWanted(BLOCK_A)).toBe(false);
    expect(bodies.fetchedCount).toBe(3);
    for (const [position, reference] of references.entries()) expect(bodies.get(reference)).toEqual(transactions[position]);
    // Complete: no more wants go out.
    bodies.tick(5000);
    expect(wants()).toHaveLength(2);
  });

  it('completes every block waiting for a body that arrives once', () => {
    const { bodies, completed } = harness();
    const shared = signed();
    const other = signed();
    bodies.want(BLOCK_A, 4, [referenceTo(shared)], 'validator-1', 0);
    bodies.want(BLOCK_B, 4, [referenceTo(shared), referenceTo(other)], 'validator-2', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [shared] as unknown as JsonValue });
    expect(completed).toEqual([BLOCK_A]);
    expect(bodies.isWanted(BLOCK_B)).toBe(true);
    bodies.receiveAnswer({ blockHash: BLOCK_B, transactions: [other] as unknown as JsonValue });
    expect(completed).toEqual([BLOCK_A, BLOCK_B]);
  });

  it('refuses an answer for a block it does not want, and holds nothing of it', () => {
    const { bodies, refused, completed } = harness();
    const transaction = signed();
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [transaction] as unknown as JsonValue });
    expect(refused).toEqual(['unsolicited']);
    expect(bodies.get(referenceTo(transaction))).toBeUndefined();
    expect(bodies.fetchedCount).toBe(0);
    expect(completed).toEqual([]);
  });

  it('refuses, within a wanted block\'s answer, a transaction the block does not name: a peer cannot plant bodies', () => {
    const { bodies, refused, completed } = harness();
    const wanted = signed();
    const planted = signed();
    bodies.want(BLOCK_A, 4, [referenceTo(wanted)], 'validator-1', 0);
    // Also wanted, but by another block: an answer for A cannot deliver it.
    bodies.want(BLOCK_B, 4, [referenceTo(planted)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [planted] as unknown as JsonValue });
    expect(refused).toEqual(['unwanted-transaction']);
    expect(bodies.get(referenceTo(planted))).toBeUndefined();
    expect(completed).toEqual([]);
  });

  it('refuses a body whose signatures were swapped for another transaction\'s: the reference does not match', () => {
    const { bodies, refused, completed } = harness();
    const wanted = signed();
    const donor = signed();
    const swapped: Transaction = { ...wanted, signatures: donor.signatures };
    // An edited body under the original signatures has another id, so it is another transaction too.
    const edited: Transaction = { ...wanted, body: { ...wanted.body, payload: { note: 'edited' } } };
    bodies.want(BLOCK_A, 4, [referenceTo(wanted)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [swapped, edited] as unknown as JsonValue });
    expect(refused).toEqual(['unwanted-transaction', 'unwanted-transaction']);
    expect(bodies.get(referenceTo(wanted))).toBeUndefined();
    expect(completed).toEqual([]);
    expect(bodies.isWanted(BLOCK_A)).toBe(true);
  });

  it('refuses a body whose signatures do not verify even when the block names exactly those signatures (a Byzantine leader\'s forgery)', () => {
    const { bodies, refused, completed, verified } = harness();
    const genuine = signed();
    const forged = withSignature(genuine, '00'.repeat(64));
    const swapped: Transaction = { ...signed(), signatures: genuine.signatures };
    bodies.want(BLOCK_A, 4, [referenceTo(forged), referenceTo(swapped)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [forged, swapped] as unknown as JsonValue });
    expect(refused).toEqual(['invalid-transaction', 'invalid-transaction']);
    expect(bodies.get(referenceTo(forged))).toBeUndefined();
    expect(bodies.get(referenceTo(swapped))).toBeUndefined();
    expect(verified.has(referenceTo(forged))).toBe(false);
    expect(completed).toEqual([]);
    // The genuine transaction is another reference: not what the block names.
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [genuine] as unknown as JsonValue });
    expect(refused).toEqual(['invalid-transaction', 'invalid-transaction', 'unwanted-transaction']);
  });

  it('refuses a transaction for another chain', () => {
    const { bodies, refused } = harness();
    const foreign = signed({ note: 'x' }, { chainId: 'another-chain' });
    bodies.want(BLOCK_A, 4, [referenceTo(foreign)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [foreign] as unknown as JsonValue });
    expect(refused).toEqual(['invalid-transaction']);
    expect(bodies.get(referenceTo(foreign))).toBeUndefined();
  });

  it('refuses malformed answers of every kind as values and never throws', () => {
    const { bodies, refused, completed } = harness({ limits: { referencesPerWantMax: 4 } });
    const transaction = signed();
    bodies.want(BLOCK_A, 4, [referenceTo(transaction)], 'validator-1', 0);
    const malformed: unknown[] = [
      null,
      0,
      'bodies',
      true,
      [],
      [{ blockHash: BLOCK_A, transactions: [transaction] }],
      {},
      { blockHash: BLOCK_A },
      { transactions: [transaction] },
      { blockHash: 7, transactions: [transaction] },
      { blockHash: null, transactions: [transaction] },
      { blockHash: [BLOCK_A], transactions: [transaction] },
      { blockHash: BLOCK_A, transactions: transaction },
      { blockHash: BLOCK_A, transactions: 'all of them' },
      { blockHash: BLOCK_A, transactions: null },
      { blockHash: BLOCK_A, transactions: { 0: transaction, length: 1 } },
      // More transactions than a want may name.
      { blockHash: BLOCK_A, transactions: Array.from({ length: 5 }, () => transaction) },
    ];
    for (const payload of malformed) expect(() => bodies.receiveAnswer(payload as JsonValue)).not.toThrow();
    expect(refused).toEqual(malformed.map(() => 'malformed-answer'));
    expect(bodies.get(referenceTo(transaction))).toBeUndefined();

    // Well-formed envelopes carrying garbage: each entry is refused on its own.
    refused.length = 0;
    const signature = transaction.signatures[0]!;
    const garbage: unknown[] = [
      null,
      42,
      'transaction',
      [],
      {},
      { body: null, signatures: [] },
      { body: transaction.body },
      { body: { ...transaction.body, nonce: 5 }, signatures: transaction.signatures },
      { body: { ...transaction.body, signers: 'farm' }, signatures: transaction.signatures },
      { body: transaction.body, signatures: [] },
      { body: transaction.body, signatures: [{ ...signature, signature: 'zz'.repeat(64) }] },
      { body: transaction.body, signatures: [{ ...signature, signature: signature.signature.toUpperCase() }] },
      { body: transaction.body, signatures: [{ ...signature, signature: signature.signature.slice(2) }] },
      { body: transaction.body, signatures: [{ ...signature, publicKey: 'not hex' }] },
      { body: transaction.body, signatures: [{ ...signature, signer: PROCESSOR }] },
      { body: transaction.body, signatures: [signature, signature] },
      { body: { ...transaction.body, payload: { big: 'x'.repeat(300 * 1024) } }, signatures: transaction.signatures },
    ];
    for (const candidates of garbage.map((entry) => [entry])) {
      expect(() => bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: candidates } as unknown as JsonValue)).not.toThrow();
    }
    expect(refused).toHaveLength(garbage.length);
    expect(new Set(refused)).toEqual(new Set(['invalid-transaction']));
    expect(bodies.fetchedCount).toBe(0);
    expect(completed).toEqual([]);
    // The genuine body is still taken after all that.
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [transaction] as unknown as JsonValue });
    expect(completed).toEqual([BLOCK_A]);
  });

  it('keeps the validation of a capture\'s EPCIS document for execution, as admission does', () => {
    const { bodies, documents } = harness();
    const events = createEventBuilders(() => '2026-01-01T00:00:00.000Z');
    const capture = signed(events.capture(events.commissionLot('urn:epc:class:lgtin:0614141.0012345.LOT1', 10)) as unknown as JsonValue, { type: 'epcis.capture' });
    bodies.want(BLOCK_A, 4, [referenceTo(capture)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [capture] as unknown as JsonValue });
    expect(documents.take(transactionId(capture.body))).toMatchObject({ ok: true });
  });

  it('takes a body that arrives by another way (the mempool admitted it) through offer', () => {
    const { bodies, completed, wants } = harness();
    const [first, second] = [signed(), signed()];
    bodies.want(BLOCK_A, 4, [referenceTo(first!), referenceTo(second!)], 'validator-1', 0);
    bodies.want(BLOCK_B, 4, [referenceTo(second!)], 'validator-1', 0);
    bodies.offer(referenceTo(signed()));
    expect(completed).toEqual([]);
    bodies.offer(referenceTo(second!));
    expect(completed).toEqual([BLOCK_B]);
    bodies.offer(referenceTo(first!));
    expect(completed).toEqual([BLOCK_B, BLOCK_A]);
    expect(bodies.wantedBlocks).toBe(0);
    bodies.tick(10_000);
    expect(wants()).toHaveLength(2);
  });
});

describe('answering a peer\'s want', () => {
  it('sends only the bodies this node holds, and nothing when it holds none', async () => {
    const [held, missing] = [signed(), signed()];
    const { bodies, answers, finds, refused } = harness({ held: [held!] });
    await bodies.answer('validator-2', wantOf(BLOCK_A, 9, [referenceTo(missing!), referenceTo(held!)]));
    expect(finds).toEqual([{ blockHash: BLOCK_A, height: 9, references: [referenceTo(missing!).key, referenceTo(held!).key] }]);
    expect(answers()).toEqual([{ to: 'validator-2', channel: TRANSACTION_BODIES_CHANNEL, payload: { blockHash: BLOCK_A, transactions: [held] } }]);
    await bodies.answer('validator-2', wantOf(BLOCK_B, 9, [referenceTo(missing!)]));
    expect(answers()).toHaveLength(1);
    expect(refused).toEqual([]);
  });

  it('keeps an answer within answerBytesMax, counted in UTF-8 bytes, but always sends at least one body', async () => {
    // Non-ASCII text takes more bytes than characters.
    const transactions = [signed({ note: 'é'.repeat(2000) }), signed({ note: 'é'.repeat(2000) }), signed({ note: 'é'.repeat(2000) })];
    const bytes = transactions.map((transaction) => Buffer.byteLength(JSON.stringify(transaction)));
    const characters = transactions.map((transaction) => JSON.stringify(transaction).length);
    expect(bytes[0]).toBeGreaterThan(characters[0]! + 1500);
    const want = wantOf(BLOCK_A, 2, transactions.map(referenceTo));
    const sentWith = async (answerBytesMax: number) => {
      const { bodies, answers } = harness({ held: transactions, limits: { answerBytesMax } });
      await bodies.answer('validator-1', want);
      return (answers()[0]!.payload as { transactions: Transaction[] }).transactions;
    };
    expect(await sentWith(bytes[0]! + bytes[1]! + bytes[2]!)).toEqual(transactions);
    expect(await sentWith(bytes[0]! + bytes[1]!)).toEqual(transactions.slice(0, 2));
    // Two fit by characters but not by bytes.
    expect(characters[0]! + characters[1]!).toBeLessThan(bytes[0]! + bytes[1]! - 1);
    expect(await sentWith(bytes[0]! + bytes[1]! - 1)).toEqual(transactions.slice(0, 1));
    expect(await sentWith(1)).toEqual(transactions.slice(0, 1));
  });

  it('answers one want per peer at a time: another want from that peer meanwhile is dropped, other peers are served', async () => {
    const transaction = signed();
    const pending: Array<() => void> = [];
    let finds = 0;
    const { bodies, answers } = harness({
      find: (_blockHash, _height, _references) => {
        finds++;
        return new Promise<Transaction[]>((resolve) => pending.push(() => resolve([transaction])));
      },
    });
    const want = wantOf(BLOCK_A, 2, [referenceTo(transaction)]);
    const first = bodies.answer('validator-1', want);
    await bodies.answer('validator-1', want);
    expect(finds).toBe(1);
    const other = bodies.answer('validator-2', want);
    expect(finds).toBe(2);
    for (const resolve of pending.splice(0)) resolve();
    await Promise.all([first, other]);
    expect(answers().map((entry) => entry.to).sort()).toEqual(['validator-1', 'validator-2']);
    // Once answered, the peer may ask again.
    const again = bodies.answer('validator-1', want);
    expect(finds).toBe(3);
    pending.shift()!();
    await again;
    expect(answers()).toHaveLength(3);
  });

  it('frees the peer\'s slot when finding the bodies fails', async () => {
    let fail = true;
    const transaction = signed();
    const { bodies, answers } = harness({
      find: async () => {
        if (fail) throw new Error('store closed');
        return [transaction];
      },
    });
    const want = wantOf(BLOCK_A, 2, [referenceTo(transaction)]);
    await expect(bodies.answer('validator-1', want)).rejects.toThrow('store closed');
    fail = false;
    await bodies.answer('validator-1', want);
    expect(answers()).toHaveLength(1);
  });

  it('refuses malformed wants without looking anything up, and never throws', async () => {
    const { bodies, refused, finds, sent } = harness({ limits: { referencesPerWantMax: 3 } });
    const key = referenceTo(signed()).key;
    const malformed: unknown[] = [
      null,
      7,
      'want',
      [],
      [{ blockHash: BLOCK_A, height: 1, references: [key] }],
      {},
      { height: 1, references: [key] },
      { blockHash: 'zz'.repeat(32), height: 1, references: [key] },
      { blockHash: BLOCK_A.toUpperCase(), height: 1, references: [key] },
      { blockHash: BLOCK_A.slice(2), height: 1, references: [key] },
      { blockHash: 5, height: 1, references: [key] },
      { blockHash: BLOCK_A, references: [key] },
      { blockHash: BLOCK_A, height: 0, references: [key] },
      { blockHash: BLOCK_A, height: -1, references: [key] },
      { blockHash: BLOCK_A, height: 1.5, references: [key] },
      { blockHash: BLOCK_A, height: '1', references: [key] },
      { blockHash: BLOCK_A, height: Number.MAX_SAFE_INTEGER + 2, references: [key] },
      { blockHash: BLOCK_A, height: 1 },
      { blockHash: BLOCK_A, height: 1, references: key },
      { blockHash: BLOCK_A, height: 1, references: [] },
      { blockHash: BLOCK_A, height: 1, references: [key, key, key, key] },
      { blockHash: BLOCK_A, height: 1, references: [7] },
      { blockHash: BLOCK_A, height: 1, references: [null] },
      { blockHash: BLOCK_A, height: 1, references: [key.slice(0, 64)] },
      { blockHash: BLOCK_A, height: 1, references: [`${key}00`] },
      { blockHash: BLOCK_A, height: 1, references: [key.toUpperCase()] },
      { blockHash: BLOCK_A, height: 1, references: [`${key.slice(0, 127)}g`] },
    ];
    for (const payload of malformed) await expect(bodies.answer('validator-1', payload as JsonValue)).resolves.toBeUndefined();
    expect(refused).toEqual(malformed.map(() => 'malformed-want'));
    expect(finds).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('the limits', () => {
  it('gives up the oldest want beyond wantedBlocksMax', () => {
    const { bodies, refused, completed, wants, sent } = harness({ limits: { wantedBlocksMax: 2 } });
    const [a, b, c] = [signed(), signed(), signed()];
    bodies.want(BLOCK_A, 1, [referenceTo(a!)], 'validator-1', 0);
    bodies.want(BLOCK_B, 2, [referenceTo(b!)], 'validator-1', 0);
    bodies.want(BLOCK_C, 3, [referenceTo(c!)], 'validator-1', 0);
    expect(bodies.wantedBlocks).toBe(2);
    expect([BLOCK_A, BLOCK_B, BLOCK_C].map((hash) => bodies.isWanted(hash))).toEqual([false, true, true]);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [a] as unknown as JsonValue });
    expect(refused).toEqual(['unsolicited']);
    bodies.offer(referenceTo(a!));
    expect(completed).toEqual([]);
    sent.length = 0;
    bodies.tick(500);
    expect(wants().map((entry) => (entry.payload as { blockHash: string }).blockHash).sort()).toEqual([BLOCK_B, BLOCK_C]);
  });

  it('forgets the oldest fetched bodies beyond fetchedTransactionsMax', () => {
    const { bodies } = harness({ limits: { fetchedTransactionsMax: 2 } });
    const transactions = [signed(), signed(), signed()];
    for (const [index, hash] of [BLOCK_A, BLOCK_B, BLOCK_C].entries()) {
      bodies.want(hash, 1, [referenceTo(transactions[index]!)], 'validator-1', 0);
      bodies.receiveAnswer({ blockHash: hash, transactions: [transactions[index]!] as unknown as JsonValue });
    }
    expect(bodies.fetchedCount).toBe(2);
    expect(transactions.map((transaction) => bodies.get(referenceTo(transaction)) !== undefined)).toEqual([false, true, true]);
  });

  it('forgets the oldest fetched bodies beyond fetchedBytesMax, and release gives their bytes back', () => {
    const transactions = [signed(), signed(), signed(), signed()];
    const size = bodyBytesOf(transactions[0]!);
    expect(transactions.map(bodyBytesOf)).toEqual(transactions.map(() => size));
    const { bodies } = harness({ limits: { fetchedBytesMax: 2 * size } });
    const fetch = (hash: string, transaction: Transaction) => {
      bodies.want(hash, 1, [referenceTo(transaction)], 'validator-1', 0);
      bodies.receiveAnswer({ blockHash: hash, transactions: [transaction] as unknown as JsonValue });
    };
    fetch(BLOCK_A, transactions[0]!);
    fetch(BLOCK_B, transactions[1]!);
    fetch(BLOCK_C, transactions[2]!);
    expect(transactions.map((transaction) => bodies.get(referenceTo(transaction)) !== undefined)).toEqual([false, true, true, false]);
    // Executed: released, and its bytes are free again, so the next body evicts nothing.
    bodies.release([referenceTo(transactions[2]!), referenceTo(transactions[0]!)]);
    expect(bodies.get(referenceTo(transactions[2]!))).toBeUndefined();
    fetch(BLOCK_A, transactions[3]!);
    expect(transactions.map((transaction) => bodies.get(referenceTo(transaction)) !== undefined)).toEqual([false, true, false, true]);
    expect(bodies.fetchedCount).toBe(2);
  });

  it('does not report a block complete when the body it took could not be kept', () => {
    const transaction = signed();
    const { bodies, completed, wants } = harness({ limits: { fetchedBytesMax: bodyBytesOf(transaction) - 1 } });
    bodies.want(BLOCK_A, 1, [referenceTo(transaction)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [transaction] as unknown as JsonValue });
    expect(bodies.get(referenceTo(transaction))).toBeUndefined();
    // "Every reference a block was waiting for is now held" would be false here.
    expect(completed).toEqual([]);
    expect(bodies.isWanted(BLOCK_A)).toBe(true);
    bodies.tick(500);
    expect(wants()).toHaveLength(2);
  });
});

describe('ending wants', () => {
  it('giveUp stops asking for a block and refuses later answers for it, but keeps other blocks waiting for a shared body', () => {
    const { bodies, completed, refused, wants } = harness();
    const shared = signed();
    bodies.want(BLOCK_A, 5, [referenceTo(shared)], 'validator-1', 0);
    bodies.want(BLOCK_B, 5, [referenceTo(shared)], 'validator-2', 0);
    bodies.giveUp(BLOCK_A);
    bodies.giveUp(BLOCK_C);
    expect(bodies.isWanted(BLOCK_A)).toBe(false);
    bodies.tick(500);
    expect(wants().slice(2).map((entry) => (entry.payload as { blockHash: string }).blockHash)).toEqual([BLOCK_B]);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [shared] as unknown as JsonValue });
    expect(refused).toEqual(['unsolicited']);
    bodies.receiveAnswer({ blockHash: BLOCK_B, transactions: [shared] as unknown as JsonValue });
    expect(completed).toEqual([BLOCK_B]);
  });

  it('settledThrough gives up the wants at or below an executed height and keeps those above it', () => {
    const { bodies, sent } = harness();
    bodies.want(BLOCK_A, 4, [referenceTo(signed())], 'validator-1', 0);
    bodies.want(BLOCK_B, 5, [referenceTo(signed())], 'validator-1', 0);
    bodies.want(BLOCK_C, 6, [referenceTo(signed())], 'validator-1', 0);
    bodies.settledThrough(5);
    expect([BLOCK_A, BLOCK_B, BLOCK_C].map((hash) => bodies.isWanted(hash))).toEqual([false, false, true]);
    sent.length = 0;
    bodies.tick(500);
    expect(sent.map((entry) => (entry.payload as { blockHash: string }).blockHash)).toEqual([BLOCK_C]);
  });

  it('release forgets only the bodies named, and ignores ones it does not hold', () => {
    const { bodies } = harness();
    const [first, second] = [signed(), signed()];
    bodies.want(BLOCK_A, 1, [referenceTo(first!), referenceTo(second!)], 'validator-1', 0);
    bodies.receiveAnswer({ blockHash: BLOCK_A, transactions: [first, second] as unknown as JsonValue });
    bodies.release([referenceTo(first!), referenceTo(signed())]);
    expect(bodies.get(referenceTo(first!))).toBeUndefined();
    expect(bodies.get(referenceTo(second!))).toEqual(second);
    expect(bodies.fetchedCount).toBe(1);
  });

  it('restore holds the valid bodies read back from disk and skips foreign, forged and malformed ones without throwing', () => {
    const { bodies } = harness();
    const valid = signed();
    const foreign = signed({ note: 'x' }, { chainId: 'another-chain' });
    const forged = withSignature(signed(), '11'.repeat(64));
    const garbage = [null, 3, 'x', {}, { body: valid.body, signatures: 'none' }] as unknown as Transaction[];
    expect(() => bodies.restore([valid, foreign, forged, ...garbage])).not.toThrow();
    expect(bodies.get(referenceTo(valid))).toEqual(valid);
    expect(bodies.get(referenceTo(foreign))).toBeUndefined();
    expect(bodies.get(referenceTo(forged))).toBeUndefined();
    expect(bodies.fetchedCount).toBe(1);
  });
});
