/**
 * The simulator's application: payloads of transaction ids, 'missing-transactions' and the
 * wants it sends (the proposer first), bodies taken only when wanted, committed blocks queued
 * until their bodies are fetched, and what survives a crash.
 */
import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../ledger/model/block.js';
import { utf8 } from '../../../ledger/encoding/hex.js';
import type { CommittedBlock } from '../../../consensus/messages.js';
import { encodePayload, parsePayload, SIM_APPLICATION_LIMITS, SimApplication, transactionsRoot } from '../../../tools/sim/application.js';
import { transactionId, WANT_RETRY_MS } from '../../../tools/sim/transaction-bodies.js';

const GENESIS = 'ab'.repeat(32);
const SIGNATURE = 'cd'.repeat(64);
const VALIDATORS = ['v0', 'v1', 'v2', 'v3'];

const id = transactionId;

function header(app: SimApplication, height: number, prevHash: string, transactions: string[], ledgerHeight = app.executedHeight, proposer = 'v0'): BlockHeader {
  const content = app.contentFor(transactions.map(id), ledgerHeight);
  return {
    chainId: 'custodia-sim',
    height,
    round: height,
    prevHash,
    proposer,
    timestamp: 1_700_000_000_000 + height,
    txCount: content.txCount,
    txRoot: content.txRoot,
    ledgerHeight: content.ledgerHeight,
    logSize: content.logSize,
    logRoot: content.logRoot,
    stateRoot: content.stateRoot,
  };
}

function payload(transactions: string[]): Uint8Array {
  return encodePayload(transactions.map(id));
}

function committed(blockHeader: BlockHeader, transactions: string[]): CommittedBlock {
  return {
    block: { header: blockHeader, payload: payload(transactions) },
    certificate: { vote: { blockHash: blockHash(blockHeader), height: blockHeader.height, round: blockHeader.round }, signatures: [{ validator: 'v0', signature: SIGNATURE }] },
  };
}

function holding(transactions: string[], self = 'v1'): SimApplication {
  const app = new SimApplication(GENESIS, undefined, null, { self, validators: VALIDATORS });
  for (const transaction of transactions) expect(app.submit(transaction)).toBe(true);
  return app;
}

describe('SimApplication', () => {
  it('accepts only canonical JSON arrays of distinct transaction ids as payloads', () => {
    expect(parsePayload(payload(['a', 'b']))).toEqual({ ok: true, ids: [id('a'), id('b')] });
    expect(parsePayload(utf8(`[ "${id('a')}"]`)).ok).toBe(false);
    expect(parsePayload(utf8(`["${id('a')}","${id('a')}"]`)).ok).toBe(false);
    expect(parsePayload(utf8('["a"]')).ok).toBe(false);
    expect(parsePayload(utf8(`["${id('a').toUpperCase()}"]`)).ok).toBe(false);
    expect(parsePayload(utf8('{"a":1}')).ok).toBe(false);
    expect(parsePayload(utf8('[1]')).ok).toBe(false);
    expect(parsePayload(new Uint8Array([0xff, 0xfe])).ok).toBe(false);
  });

  it('proposes the ids of pending transactions that are neither committed nor in the uncommitted ancestors', () => {
    const app = holding(['t1', 't2', 't3']);
    expect(app.submit('t1')).toBe(false);
    const ancestorHeader = header(app, 1, GENESIS, ['t1']);
    const content = app.propose({ height: 2, round: 2, parent: ancestorHeader, ancestors: [{ header: ancestorHeader, payload: payload(['t1']) }], emptyOnly: false, ledgerHeightMax: Number.MAX_SAFE_INTEGER })!;
    expect(parsePayload(content.payload)).toEqual({ ok: true, ids: [id('t2'), id('t3')] });
    expect(content.txCount).toBe(2);
    const past = app.propose({ height: 2, round: 2, parent: ancestorHeader, ancestors: [], emptyOnly: true, ledgerHeightMax: Number.MAX_SAFE_INTEGER })!;
    expect(parsePayload(past.payload)).toEqual({ ok: true, ids: [] });
    expect(content.txRoot).toBe(transactionsRoot([id('t2'), id('t3')]));
    expect(content.ledgerHeight).toBe(0);
  });

  it('votes accept on matching roots with every body held, reject on mismatches, and not-ready above its ledger', () => {
    const app = holding(['t1']);
    const good = header(app, 1, GENESIS, ['t1']);
    expect(app.checkProposal(good, payload(['t1']), [])).toEqual({ verdict: 'accept' });
    expect(app.checkProposal(good, payload(['t2']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, txCount: 2 }, payload(['t1']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, stateRoot: '00'.repeat(32) }, payload(['t1']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, height: 5, ledgerHeight: 3 }, payload(['t1']), [])).toEqual({ verdict: 'not-ready' });
    expect(app.checkProposal({ ...good, ledgerHeight: 1 }, payload(['t1']), []).verdict).toBe('reject');
    expect(app.checkPayload(good, payload(['t1']))).toEqual({ ok: true });
    expect(app.stats.missingVerdicts).toBe(0);
    expect(app.takeOutbox()).toEqual([]);
  });

  it('answers missing-transactions for ids it lacks, wants them from the proposer first and then the others in turn, and accepts once they arrive', () => {
    const app = holding(['t1']);
    app.setClock(1000);
    const block = header(app, 1, GENESIS, ['t1', 't2', 't3'], 0, 'v2');
    const hash = blockHash(block);
    expect(app.checkProposal(block, payload(['t1', 't2', 't3']), [])).toEqual({ verdict: 'missing-transactions' });
    expect(app.stats.missingVerdicts).toBe(1);
    expect(app.takeOutbox()).toEqual([{ to: 'v2', message: { kind: 'tx-want', blockHash: hash, height: 1, ids: [id('t2'), id('t3')] } }]);
    // Asking again adds nothing and sends nothing before the retry is due.
    expect(app.checkProposal(block, payload(['t1', 't2', 't3']), []).verdict).toBe('missing-transactions');
    expect(app.takeOutbox()).toEqual([]);
    expect(app.nextDataWakeMs()).toBe(1000 + WANT_RETRY_MS);
    app.tickWants(1000 + WANT_RETRY_MS);
    app.tickWants(1000 + 2 * WANT_RETRY_MS);
    app.tickWants(1000 + 3 * WANT_RETRY_MS);
    expect(app.takeOutbox().map((sent) => sent.to)).toEqual(['v3', 'v0', 'v2']);

    // A body nobody asked for is refused; a wanted one is held; the block is complete when the last arrives.
    app.receiveBodies({ kind: 'tx-bodies', blockHash: hash, bodies: ['planted', 't2'] });
    expect(app.stats).toMatchObject({ bodiesRefused: 1, bodiesFetched: 1, wantsCompleted: 0 });
    expect(app.takeArrivals()).toBe(0);
    expect(app.bodyOf(id('planted'))).toBeUndefined();
    expect(app.receiveRelay('t3')).toBe(true);
    expect(app.takeArrivals()).toBe(1);
    expect(app.nextDataWakeMs()).toBeNull();
    expect(app.checkProposal(block, payload(['t1', 't2', 't3']), [])).toEqual({ verdict: 'accept' });
  });

  it('answers a peer want with the bodies it holds, and with nothing when it holds none', () => {
    const app = holding(['t1']);
    app.answerWant('v3', { kind: 'tx-want', blockHash: 'ee'.repeat(32), height: 1, ids: [id('t1'), id('t9')] });
    app.answerWant('v3', { kind: 'tx-want', blockHash: 'ee'.repeat(32), height: 1, ids: [id('t9')] });
    expect(app.takeOutbox()).toEqual([{ to: 'v3', message: { kind: 'tx-bodies', blockHash: 'ee'.repeat(32), bodies: ['t1'] } }]);
    expect(app.stats.answersSent).toBe(1);
  });

  it('executes blocks into the same roots on every validator, refuses blocks that do not extend its ledger, and serves committed ranges', () => {
    const first = holding(['t1', 't2', 't3']);
    const second = holding(['t1', 't2', 't3']);
    const block1 = committed(header(first, 1, GENESIS, ['t1', 't2']), ['t1', 't2']);
    const block2 = committed(header(first, 2, blockHash(block1.block.header), ['t3']), ['t3']);
    expect(first.execute([block1, block2])).toEqual({ ok: true });
    expect(second.execute([block1])).toEqual({ ok: true });
    expect(second.execute([block2])).toEqual({ ok: true });
    expect(first.record(2)).toEqual(second.record(2));
    expect(first.record(2)!.logSize).toBe(3);
    expect(first.record(1)!.stateRoot).not.toBe(first.record(2)!.stateRoot);
    expect(first.lastCommitted()).toBe(block2);
    // Executed bodies are still served to peers.
    expect(first.bodyOf(id('t3'))).toBe('t3');
    expect(first.mempoolSize).toBe(0);

    expect(first.execute([block2]).ok).toBe(false);
    const stranger = committed(header(first, 3, 'ee'.repeat(32), ['t4']), ['t4']);
    expect(first.execute([stranger]).ok).toBe(false);
    expect(first.executedHeight).toBe(2);

    expect(first.committedRange(1, 16).map((block) => block.block.header.height)).toEqual([1, 2]);
    expect(first.committedRange(2, 1)).toEqual([block2]);
    expect(first.committedRange(3, 16)).toEqual([]);
  });

  it('queues committed blocks whose bodies it lacks, wants them, and executes them in order once fetched', () => {
    const app = holding(['t1', 't3']);
    app.setClock(5000);
    const block1 = committed(header(app, 1, GENESIS, ['t1', 't2'], 0, 'v3'), ['t1', 't2']);
    const block2 = committed(header(app, 2, blockHash(block1.block.header), ['t3'], 0), ['t3']);
    expect(app.commit([block1, block2])).toEqual({ executed: 0, problems: [] });
    expect(app.queuedBlocks).toBe(2);
    expect(app.stats.deferredExecutions).toBe(1);
    expect(app.takeOutbox()).toEqual([{ to: 'v3', message: { kind: 'tx-want', blockHash: blockHash(block1.block.header), height: 1, ids: [id('t2')] } }]);
    // A block must follow the queue, not merely the ledger.
    expect(app.commit([block1]).problems).toHaveLength(1);
    // Not proposed again while committed and queued.
    const content = app.propose({ height: 3, round: 3, parent: null, ancestors: [], emptyOnly: false, ledgerHeightMax: Number.MAX_SAFE_INTEGER })!;
    expect(parsePayload(content.payload)).toEqual({ ok: true, ids: [] });

    app.receiveBodies({ kind: 'tx-bodies', blockHash: blockHash(block1.block.header), bodies: ['t2'] });
    expect(app.takeArrivals()).toBe(1);
    expect(app.executeReady()).toEqual({ executed: 2, problems: [] });
    expect(app.executedHeight).toBe(2);
    expect(app.stats.deferredExecuted).toBe(1);
    expect(app.queuedBlocks).toBe(0);
  });

  it('gives up wants for heights the ledger has passed (an abandoned or unavailable block)', () => {
    const app = holding(['t1']);
    const phantom = header(app, 1, GENESIS, ['never-seen'], 0, 'v2');
    expect(app.checkProposal(phantom, payload(['never-seen']), []).verdict).toBe('missing-transactions');
    expect(app.wantedBlocks).toBe(1);
    const real = committed(header(app, 1, GENESIS, ['t1']), ['t1']);
    expect(app.commit([real])).toEqual({ executed: 1, problems: [] });
    expect(app.wantedBlocks).toBe(0);
    expect(app.nextDataWakeMs()).toBeNull();
  });

  it('declines to propose on a parent whose ledger height it has not executed yet', () => {
    const app = new SimApplication(GENESIS);
    const parent = { ...header(app, 3, GENESIS, []), ledgerHeight: 2 };
    expect(app.propose({ height: 4, round: 4, parent, ancestors: [], emptyOnly: false, ledgerHeightMax: Number.MAX_SAFE_INTEGER })).toBeUndefined();
    expect(app.propose({ height: 1, round: 1, parent: null, ancestors: [], emptyOnly: false, ledgerHeightMax: Number.MAX_SAFE_INTEGER })?.ledgerHeight).toBe(0);
  });

  it('refuses to execute what the ledger store would refuse: foreign roots, a ledger height going backwards, bodies it does not hold', () => {
    const app = holding(['t1', 't2', 't3']);
    const wrongRoots = committed({ ...header(app, 1, GENESIS, ['t1']), stateRoot: '00'.repeat(32) }, ['t1']);
    expect(app.execute([wrongRoots])).toMatchObject({ ok: false });
    const unheld = committed(header(app, 1, GENESIS, ['t9']), ['t9']);
    expect(app.execute([unheld])).toMatchObject({ ok: false, reason: expect.stringContaining('not held') });
    const block1 = committed(header(app, 1, GENESIS, ['t1']), ['t1']);
    expect(app.execute([block1])).toEqual({ ok: true });
    const block2 = committed(header(app, 2, blockHash(block1.block.header), ['t2'], 1), ['t2']);
    expect(app.execute([block2])).toEqual({ ok: true });
    const backwards = committed(header(app, 3, blockHash(block2.block.header), ['t3'], 0), ['t3']);
    expect(app.execute([backwards])).toMatchObject({ ok: false, reason: expect.stringContaining('below its parent') });
    expect(app.executedHeight).toBe(2);
  });

  it('bounds its mempool and loses it, fetched bodies and wants in a crash, but keeps its ledger and the bodies of persisted blocks', () => {
    const app = new SimApplication(GENESIS, { ...SIM_APPLICATION_LIMITS, mempoolTransactionsMax: 3, transactionLengthMax: 16 }, null, { self: 'v1', validators: VALIDATORS });
    expect(app.submit('a')).toBe(true);
    expect(app.submit('b')).toBe(true);
    expect(app.submit('c')).toBe(true);
    expect(app.submit('d')).toBe(false);
    expect(app.submit('x'.repeat(17))).toBe(false);
    expect(app.refusedSubmissions).toBe(2);
    const block1 = committed(header(app, 1, GENESIS, ['a']), ['a']);
    expect(app.commit([block1]).executed).toBe(1);
    expect(app.mempoolSize).toBe(2);
    // The core persisted a record of a block carrying b: its body goes to disk with it.
    const voted = committed(header(app, 2, blockHash(block1.block.header), ['b']), ['b']);
    app.persistBlocks([{ block: voted.block, justify: null }]);
    const phantom = header(app, 2, blockHash(block1.block.header), ['zz']);
    expect(app.checkProposal(phantom, payload(['zz']), []).verdict).toBe('missing-transactions');
    app.crash();
    expect(app.hasPendingTransactions([])).toBe(false);
    expect(app.wantedBlocks).toBe(0);
    expect(app.executedHeight).toBe(1);
    expect(app.bodyOf(id('b'))).toBe('b');
    expect(app.bodyOf(id('c'))).toBeUndefined();
    expect(app.commit([voted]).executed).toBe(1);
  });
});
