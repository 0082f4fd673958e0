import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../ledger/model/block.js';
import { utf8 } from '../../../ledger/encoding/hex.js';
import type { CommittedBlock } from '../../../consensus/messages.js';
import { encodePayload, parsePayload, SimApplication, transactionsRoot } from '../../../tools/sim/application.js';

const GENESIS = 'ab'.repeat(32);
const SIGNATURE = 'cd'.repeat(64);

function header(app: SimApplication, height: number, prevHash: string, transactions: string[], ledgerHeight = app.executedHeight): BlockHeader {
  const content = app.contentFor(transactions, ledgerHeight);
  return {
    chainId: 'custodia-sim',
    height,
    round: height,
    prevHash,
    proposer: 'v0',
    timestamp: 1_700_000_000_000 + height,
    txCount: content.txCount,
    txRoot: content.txRoot,
    ledgerHeight: content.ledgerHeight,
    logSize: content.logSize,
    logRoot: content.logRoot,
    stateRoot: content.stateRoot,
  };
}

function committed(blockHeader: BlockHeader, transactions: string[]): CommittedBlock {
  return {
    block: { header: blockHeader, payload: encodePayload(transactions) },
    certificate: { vote: { blockHash: blockHash(blockHeader), height: blockHeader.height, round: blockHeader.round }, signatures: [{ validator: 'v0', signature: SIGNATURE }] },
  };
}

describe('SimApplication', () => {
  it('accepts only canonical JSON arrays of distinct transaction strings as payloads', () => {
    expect(parsePayload(encodePayload(['a', 'b']))).toEqual({ ok: true, transactions: ['a', 'b'] });
    expect(parsePayload(utf8('[ "a"]')).ok).toBe(false);
    expect(parsePayload(utf8('["a","a"]')).ok).toBe(false);
    expect(parsePayload(utf8('{"a":1}')).ok).toBe(false);
    expect(parsePayload(utf8('[1]')).ok).toBe(false);
    expect(parsePayload(new Uint8Array([0xff, 0xfe])).ok).toBe(false);
  });

  it('proposes pending transactions that are neither committed nor in the uncommitted ancestors', () => {
    const app = new SimApplication(GENESIS);
    for (const transaction of ['t1', 't2', 't3']) expect(app.submit(transaction)).toBe(true);
    expect(app.submit('t1')).toBe(false);
    const ancestorHeader = header(app, 1, GENESIS, ['t1']);
    const content = app.propose({ height: 2, round: 2, parent: ancestorHeader, ancestors: [{ header: ancestorHeader, payload: encodePayload(['t1']) }], emptyOnly: false })!;
    expect(parsePayload(content.payload)).toEqual({ ok: true, transactions: ['t2', 't3'] });
    expect(content.txCount).toBe(2);
    const past = app.propose({ height: 2, round: 2, parent: ancestorHeader, ancestors: [], emptyOnly: true })!;
    expect(parsePayload(past.payload)).toEqual({ ok: true, transactions: [] });
    expect(content.txRoot).toBe(transactionsRoot(['t2', 't3']));
    expect(content.ledgerHeight).toBe(0);
  });

  it('votes accept on matching roots, reject on mismatches, and not-ready above its ledger', () => {
    const app = new SimApplication(GENESIS);
    const good = header(app, 1, GENESIS, ['t1']);
    expect(app.checkProposal(good, encodePayload(['t1']), [])).toEqual({ verdict: 'accept' });
    expect(app.checkProposal(good, encodePayload(['t2']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, txCount: 2 }, encodePayload(['t1']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, stateRoot: '00'.repeat(32) }, encodePayload(['t1']), []).verdict).toBe('reject');
    expect(app.checkProposal({ ...good, height: 5, ledgerHeight: 3 }, encodePayload(['t1']), [])).toEqual({ verdict: 'not-ready' });
    expect(app.checkProposal({ ...good, ledgerHeight: 1 }, encodePayload(['t1']), []).verdict).toBe('reject');
    expect(app.checkPayload(good, encodePayload(['t1']))).toEqual({ ok: true });
  });

  it('executes blocks into the same roots on every validator, refuses blocks that do not extend its ledger, and serves committed ranges', () => {
    const first = new SimApplication(GENESIS);
    const second = new SimApplication(GENESIS);
    const block1 = committed(header(first, 1, GENESIS, ['t1', 't2']), ['t1', 't2']);
    const block2 = committed(header(first, 2, blockHash(block1.block.header), ['t3']), ['t3']);
    expect(first.execute([block1, block2])).toEqual({ ok: true });
    expect(second.execute([block1])).toEqual({ ok: true });
    expect(second.execute([block2])).toEqual({ ok: true });
    expect(first.record(2)).toEqual(second.record(2));
    expect(first.record(2)!.logSize).toBe(3);
    expect(first.record(1)!.stateRoot).not.toBe(first.record(2)!.stateRoot);
    expect(first.lastCommitted()).toBe(block2);

    expect(first.execute([block2]).ok).toBe(false);
    const stranger = committed(header(first, 3, 'ee'.repeat(32), ['t4']), ['t4']);
    expect(first.execute([stranger]).ok).toBe(false);
    expect(first.executedHeight).toBe(2);

    expect(first.committedRange(1, 16).map((block) => block.block.header.height)).toEqual([1, 2]);
    expect(first.committedRange(2, 1)).toEqual([block2]);
    expect(first.committedRange(3, 16)).toEqual([]);
  });

  it('declines to propose on a parent whose ledger height it has not executed yet', () => {
    const app = new SimApplication(GENESIS);
    const parent = { ...header(app, 3, GENESIS, []), ledgerHeight: 2 };
    expect(app.propose({ height: 4, round: 4, parent, ancestors: [], emptyOnly: false })).toBeUndefined();
    expect(app.propose({ height: 1, round: 1, parent: null, ancestors: [], emptyOnly: false })?.ledgerHeight).toBe(0);
  });

  it('refuses to execute what the ledger store would refuse: foreign roots, a ledger height going backwards', () => {
    const app = new SimApplication(GENESIS);
    const wrongRoots = committed({ ...header(app, 1, GENESIS, ['t1']), stateRoot: '00'.repeat(32) }, ['t1']);
    expect(app.execute([wrongRoots])).toMatchObject({ ok: false });
    const block1 = committed(header(app, 1, GENESIS, ['t1']), ['t1']);
    expect(app.execute([block1])).toEqual({ ok: true });
    const block2 = committed(header(app, 2, blockHash(block1.block.header), ['t2'], 1), ['t2']);
    expect(app.execute([block2])).toEqual({ ok: true });
    const backwards = committed(header(app, 3, blockHash(block2.block.header), ['t3'], 0), ['t3']);
    expect(app.execute([backwards])).toMatchObject({ ok: false, reason: expect.stringContaining('below its parent') });
    expect(app.executedHeight).toBe(2);
  });

  it('bounds its mempool and loses it in a crash, but keeps its ledger', () => {
    const app = new SimApplication(GENESIS, { mempoolTransactionsMax: 2, blockTransactionsMax: 8, transactionLengthMax: 16 });
    expect(app.submit('a')).toBe(true);
    expect(app.submit('b')).toBe(true);
    expect(app.submit('c')).toBe(false);
    expect(app.submit('x'.repeat(17))).toBe(false);
    expect(app.refusedSubmissions).toBe(2);
    const block1 = committed(header(app, 1, GENESIS, ['a']), ['a']);
    app.execute([block1]);
    expect(app.mempoolSize).toBe(1);
    app.crash();
    expect(app.hasPendingTransactions()).toBe(false);
    expect(app.executedHeight).toBe(1);
  });
});
