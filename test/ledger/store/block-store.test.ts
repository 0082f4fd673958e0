import { ClassicLevel } from 'classic-level';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../ledger/encoding/hex.js';
import { blockHash } from '../../../ledger/model/block.js';
import { ACCEPTED, rejected } from '../../../ledger/model/result.js';
import { transactionId } from '../../../ledger/model/transaction.js';
import { verifyConsistency, verifyInclusion } from '../../../ledger/merkle/index.js';
import { ledgerEntryLeafHash } from '../../../ledger/model/ledger-entry.js';
import { BlockStore, STORE_LIMITS, type BlockCommit, type BlockStoreOptions } from '../../../ledger/store/block-store.js';
import { sortWriteSet } from '../../../ledger/model/state.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('store');

async function openStore(chain: TestChain, directory?: string, extra: Partial<BlockStoreOptions> = {}): Promise<BlockStore> {
  const opened = await BlockStore.open({
    directory: directory ?? (await newDirectory()),
    genesis: chain.genesis,
    genesisWrites: chain.genesisWrites,
    validators: chain.validators,
    ...extra,
  });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

function shippingEvent(epc: string, time: string, bizStep = 'shipping') {
  return {
    type: 'ObjectEvent',
    eventTime: time,
    eventTimeZoneOffset: '+00:00',
    epcList: [epc],
    action: 'OBSERVE',
    bizStep,
    disposition: 'in_transit',
    readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' },
    bizLocation: { id: 'urn:epc:id:sgln:0614141.07346.0' },
  };
}

describe('BlockStore', () => {
  it('starts at height 0 with the empty log and the genesis state root', async () => {
    const chain = new TestChain({ genesisWrites: [{ key: 'participant/a', value: { name: 'A' } }] });
    const store = await openStore(chain);
    expect(store.head()).toEqual(chain.state(0));
    expect(await store.getState('participant/a')).toEqual({ name: 'A' });
    await store.close();
  });

  it('appends blocks and reads them by height, by hash, by range, and transactions by id', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const first = chain.transaction({ note: 'first' });
    const second = chain.transaction({ note: 'second' });
    const block1 = chain.nextBlock([first, second], { writes: [{ key: 'lot/1', value: { state: 'active' } }] });
    const appended = await store.appendBlock(block1);
    expect(appended).toEqual({ ok: true, state: chain.state(1) });
    const block2 = chain.nextBlock([chain.transaction({ note: 'third' })], {
      results: [rejected('custody-not-held', 'not in possession')],
      writes: [{ key: 'lot/1', value: null }],
    });
    expect((await store.appendBlock(block2)).ok).toBe(true);

    expect(store.head().height).toBe(2);
    expect(await store.getBlock(1)).toEqual(block1.block);
    expect(await store.getBlockByHash(blockHash(block2.block.header))).toEqual(block2.block);
    expect(await store.getBlockByHash('00'.repeat(32))).toBeUndefined();
    expect(await store.getCertificate(2)).toEqual(block2.certificate);
    expect((await store.getBlocks(1, 10)).map((block) => block.header.height)).toEqual([1, 2]);
    expect(await store.getBlocks(3, 10)).toEqual([]);

    const record = await store.getTransaction(transactionId(second.body));
    expect(record).toMatchObject({ height: 1, position: 1, leafIndex: 1, transaction: second, result: { status: 'accepted' } });
    const refused = await store.getTransaction(transactionId(block2.block.transactions[0]!.body));
    expect(refused?.result).toEqual({ status: 'rejected', code: 'custody-not-held', message: 'not in possession' });
    expect(await store.getTransaction('ab'.repeat(32))).toBeUndefined();
    expect(await store.getTransactionOutcome(transactionId(second.body))).toEqual({
      height: 1,
      position: 1,
      leafIndex: 1,
      txId: transactionId(second.body),
      blockHash: blockHash(block1.block.header),
      result: { status: 'accepted' },
    });
    expect(await store.getTransactionOutcome('ab'.repeat(32))).toBeUndefined();
    expect(await store.hasTransaction(transactionId(first.body))).toBe(true);
    expect(await store.hasTransaction('ab'.repeat(32))).toBe(false);
    expect(await store.getState('lot/1')).toBeUndefined();
    await store.close();
  });

  it('refuses blocks that do not follow the head, with a typed error, and writes nothing', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const good = chain.nextBlock([chain.transaction({ n: 1 })]);

    const skipped = { ...good, block: { ...good.block, header: { ...good.block.header, height: 2 } } };
    expect(await store.appendBlock(skipped)).toMatchObject({ ok: false, code: 'not-next-height' });
    const wrongParent = { ...good, block: { ...good.block, header: { ...good.block.header, prevHash: 'ff'.repeat(32) } } };
    expect(await store.appendBlock(wrongParent)).toMatchObject({ ok: false, code: 'prev-hash-mismatch' });
    const otherTransactions = { ...good, block: { ...good.block, transactions: [chain.transaction({ n: 2 })] } };
    expect(await store.appendBlock(otherTransactions)).toMatchObject({ ok: false, code: 'tx-root-mismatch' });
    const wrongRoots = { ...good, block: { ...good.block, header: { ...good.block.header, stateRoot: '11'.repeat(32) } } };
    const withCertificate = { ...wrongRoots, certificate: chain.certificate(wrongRoots.block.header) };
    expect(await store.appendBlock(withCertificate)).toMatchObject({ ok: false, code: 'ledger-roots-mismatch' });
    const otherCertificate = { ...good, certificate: chain.certificate({ ...good.block.header, round: 99 }) };
    expect(await store.appendBlock(otherCertificate)).toMatchObject({ ok: false, code: 'certificate-mismatch' });
    expect(await store.appendBlock({ ...good, results: [] })).toMatchObject({ ok: false, code: 'results-count-mismatch' });
    expect(
      await store.appendBlock({ ...good, writes: [{ key: 'b', value: 1 }, { key: 'a', value: 2 }] }),
    ).toMatchObject({ ok: false, code: 'unsorted-writes' });

    expect(store.head().height).toBe(0);
    expect(await store.getBlock(1)).toBeUndefined();
    expect((await store.appendBlock(good)).ok).toBe(true);
    // Re-appending a committed block is refused: nothing rewrites history.
    expect(await store.appendBlock(good)).toMatchObject({ ok: false, code: 'not-next-height' });
    await store.close();
  });

  it('keeps a duplicate transaction id at its first location', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const transaction = chain.transaction({ n: 1 });
    await store.appendBlock(chain.nextBlock([transaction]));
    await store.appendBlock(chain.nextBlock([transaction], { results: [rejected('duplicate-transaction', 'already committed')] }));
    const record = await store.getTransaction(transactionId(transaction.body));
    expect(record).toMatchObject({ height: 1, position: 0, leafIndex: 0, result: { status: 'accepted' } });
    await store.close();
  });

  it("reads a transaction and its outcome by id from its row alone, and a row written before the row held its block's hash and result from the block's records, to the same record", async () => {
    const chain = new TestChain();
    const directory = await newDirectory();
    let store = await openStore(chain, directory);
    const first = chain.transaction({ n: 1 });
    const second = chain.transaction({ n: 2 });
    await store.appendBlock(chain.nextBlock([first, second], { results: [ACCEPTED, rejected('custody-not-held', 'not in possession')] }));
    for (let height = 2; height <= 4; height++) await store.appendBlock(chain.nextBlock([chain.transaction({ height })]));
    const ids = [transactionId(first.body), transactionId(second.body)];
    const records = await Promise.all(ids.map((id) => store.getTransaction(id)));
    expect(records[1]).toMatchObject({ height: 1, position: 1, blockHash: blockHash((await store.getBlock(1))!.header), result: { status: 'rejected', code: 'custody-not-held' } });
    await store.close();

    // The first row as an older store wrote it; the block's results gone, which only the older row needs.
    const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const row = JSON.parse(new TextDecoder().decode((await db.get(`t:${ids[0]}`))!)) as Record<string, unknown>;
    expect(row).toMatchObject({ blockHash: records[0]!.blockHash, result: records[0]!.result });
    delete row['blockHash'];
    delete row['result'];
    await db.put(`t:${ids[0]}`, new TextEncoder().encode(JSON.stringify(row)));
    await db.close();
    store = await openStore(chain, directory, { tailBlocksChecked: 2 });
    expect(await store.getTransaction(ids[0]!)).toEqual(records[0]);
    expect(await store.getTransaction(ids[1]!)).toEqual(records[1]);
    await store.close();

    const withoutResults = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await withoutResults.open();
    await withoutResults.del(storeKeys.results(1));
    await withoutResults.close();
    store = await openStore(chain, directory, { tailBlocksChecked: 2 });
    expect(await store.getTransaction(ids[1]!)).toEqual(records[1]);
    const { transaction: _, ...outcome } = records[1]!;
    expect(await store.getTransactionOutcome(ids[1]!)).toEqual(outcome);
    await expect(store.getTransaction(ids[0]!)).rejects.toThrow(/results or ledger state is missing/);
    await store.close();
  });

  it('serves inclusion and consistency proofs that verify against the recorded roots', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const ids: string[] = [];
    for (let height = 1; height <= 12; height++) {
      const transactions = Array.from({ length: (height % 4) + 1 }, () => chain.transaction({ height }));
      ids.push(...transactions.map((transaction) => transactionId(transaction.body)));
      await store.appendBlock(chain.nextBlock(transactions, { ledgerLag: 1 }));
    }
    const head = store.head();
    expect(head.logSize).toBe(ids.length);
    for (const [leafIndex, txId] of ids.entries()) {
      for (const size of [leafIndex + 1, head.logSize]) {
        const proof = await store.inclusionProof(txId, size);
        expect(proof).toBeDefined();
        expect(proof!.leafIndex).toBe(leafIndex);
        expect(proof!.logRoot).toBe(await store.logRoot(size));
        const leaf = ledgerEntryLeafHash(proof!.entry);
        expect(verifyInclusion(leaf, leafIndex, size, proof!.proof.map(fromHex), fromHex(proof!.logRoot))).toEqual({ ok: true });
      }
    }
    expect(await store.inclusionProof(ids[5]!, 5)).toBeUndefined();
    for (let height = 1; height < head.height; height++) {
      const older = (await store.ledgerState(height))!;
      if (older.logSize === 0) continue;
      const proof = await store.consistencyProof(older.logSize, head.logSize);
      const verdict = verifyConsistency(older.logSize, head.logSize, fromHex(older.logRoot), fromHex(head.logRoot), proof.map(fromHex));
      expect(verdict).toEqual({ ok: true });
    }
    await store.close();
  });

  it('indexes events and pages through them with an opaque cursor', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const epc = 'urn:epc:id:sgtin:0614141.107346.2017';
    for (let height = 1; height <= 5; height++) {
      const transactions = [chain.transaction({ h: height, a: 1 }), chain.transaction({ h: height, a: 2 })];
      const events = transactions.flatMap((_, position) => [
        {
          position,
          event: shippingEvent(epc, `2026-03-0${height}T10:0${position}:00Z`, height % 2 === 0 ? 'urn:epcglobal:cbv:bizstep:receiving' : 'shipping'),
          participants: [`urn:epc:id:pgln:0614141.0000${position}`],
        },
        { position, event: { ...shippingEvent(`urn:epc:id:sgtin:0614141.107346.${height}${position}`, '2025-01-01T00:00:00Z'), parentID: epc }, participants: [] },
      ]);
      await store.appendBlock(chain.nextBlock(transactions, { events }));
    }

    const everything: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.queryEvents({ index: 'epc', value: epc, pageSize: 3, ...(cursor === undefined ? {} : { cursor }) });
      if (!page.ok) throw new Error(page.message);
      everything.push(...page.events.map((event) => event.reference));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(everything).toHaveLength(10);
    expect(new Set(everything).size).toBe(10);
    expect([...everything].sort()).toEqual(everything);
    expect(pages).toBe(4);
    // Each event's row records its block's time and its transaction's signers, so a history reads no block.
    for (const reference of everything) {
      const stored = (await store.getEvent(reference))!;
      const block = (await store.getBlock(stored.height))!;
      expect(stored.recordedAt).toBe(block.header.timestamp);
      expect(stored.signers).toEqual(block.transactions[stored.position]!.body.signers);
      expect(stored.signers!.length).toBeGreaterThan(0);
    }

    const receiving = await store.queryEvents({ index: 'bizStep', value: 'receiving' });
    expect(receiving.ok && receiving.events.map((event) => event.height)).toEqual([2, 2, 4, 4]);
    const parents = await store.queryEvents({ index: 'parentId', value: epc });
    expect(parents.ok && parents.events).toHaveLength(10);
    const anyEpc = await store.queryEvents({ index: 'anyEpc', value: epc, pageSize: 1000 });
    expect(anyEpc.ok && anyEpc.events).toHaveLength(20);
    const participant = await store.queryEvents({ index: 'participant', value: 'urn:epc:id:pgln:0614141.00001' });
    expect(participant.ok && participant.events.every((event) => event.position === 1)).toBe(true);
    expect(participant.ok && participant.events).toHaveLength(5);
    const location = await store.queryEvents({ index: 'bizLocation', value: 'urn:epc:id:sgln:0614141.07346.0', pageSize: 100 });
    expect(location.ok && location.events).toHaveLength(20);

    const window = await store.queryEvents({ index: 'eventTime', from: Date.parse('2026-03-02T00:00:00Z'), to: Date.parse('2026-03-04T00:00:00Z') });
    expect(window.ok && window.events.map((event) => (event.event as { eventTime: string }).eventTime)).toEqual([
      '2026-03-02T10:00:00Z',
      '2026-03-02T10:01:00Z',
      '2026-03-03T10:00:00Z',
      '2026-03-03T10:01:00Z',
    ]);

    const firstPage = await store.queryEvents({ index: 'epc', value: epc, pageSize: 2 });
    expect(firstPage.ok).toBe(true);
    const foreignCursor = firstPage.ok ? firstPage.nextCursor! : '';
    expect(await store.queryEvents({ index: 'bizStep', value: 'shipping', cursor: foreignCursor })).toMatchObject({ ok: false, code: 'bad-cursor' });
    expect(await store.queryEvents({ index: 'epc', value: epc, cursor: '!!' })).toMatchObject({ ok: false, code: 'bad-cursor' });
    expect(await store.queryEvents({ index: 'epc', value: epc, pageSize: 0 })).toMatchObject({ ok: false, code: 'bad-page-size' });
    expect(await store.queryEvents({ index: 'epc', value: epc, pageSize: 100_000 })).toMatchObject({ ok: false, code: 'bad-page-size' });
    await store.close();
  });

  it('reopens where it stopped and keeps appending on the same log', async () => {
    const chain = new TestChain();
    const directory = await newDirectory();
    let store = await openStore(chain, directory);
    for (let height = 1; height <= 3; height++) await store.appendBlock(chain.nextBlock([chain.transaction({ height })]));
    await store.close();
    store = await openStore(chain, directory);
    expect(store.head()).toEqual(chain.state(3));
    expect((await store.appendBlock(chain.nextBlock([chain.transaction({ height: 4 })]))).ok).toBe(true);
    expect(store.head()).toEqual(chain.state(4));
    await store.close();
  });

  it('refuses a data directory created from another genesis', async () => {
    const chain = new TestChain();
    const directory = await newDirectory();
    await (await openStore(chain, directory)).close();
    const other = new TestChain({ chainId: 'another-chain' });
    const opened = await BlockStore.open({ directory, genesis: other.genesis });
    expect(opened).toMatchObject({ ok: false, code: 'genesis-mismatch' });
  });

  it('records block hashes that equal the certificate it stores', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const commit = chain.nextBlock([]);
    await store.appendBlock(commit);
    expect(store.head().blockHash).toBe(commit.certificate.vote.blockHash);
    expect(toHex(fromHex(store.head().blockHash))).toBe(blockHash(commit.block.header));
    await store.close();
  });
});

describe('BlockStore epochs', () => {
  /** What the store says about each height from 1 to head + 1: [epoch number, its start height, its set size]. */
  function epochView(store: BlockStore): Array<[number, number, number]> {
    return Array.from({ length: store.head().height + 1 }, (_, index) => {
      const epoch = store.epochAt(index + 1);
      return [epoch.number, epoch.startHeight, epoch.validators.size];
    });
  }

  it('records each hand-over and answers which epoch certifies a height, also after reopening', async () => {
    const chain = new TestChain();
    const directory = await newDirectory();
    let store = await openStore(chain, directory);
    expect(store.epochAt(1)).toMatchObject({ number: 0, startHeight: 1, members: chain.genesis.validators });
    expect(store.epochAt(1).validators.quorum).toBe(chain.validators.quorum);
    expect(await store.epochChanges(100)).toEqual([]);

    const commits = [];
    for (let height = 1; height <= 6; height++) {
      const commit = chain.nextBlock([chain.transaction({ height })], {
        ...(height === 2 ? { nextValidators: chain.newValidators('second', 5) } : {}),
        ...(height === 5 ? { nextValidators: chain.newValidators('third', 4) } : {}),
      });
      commits.push(commit);
      expect((await store.appendBlock(commit)).ok).toBe(true);
    }
    const expected: Array<[number, number, number]> = [[0, 1, 4], [0, 1, 4], [1, 3, 5], [1, 3, 5], [1, 3, 5], [2, 6, 4], [2, 6, 4]];
    expect(epochView(store)).toEqual(expected);
    expect(store.epochAt(4).members).toEqual(chain.epochs[1]!.members);
    const handOvers = [commits[1]!, commits[4]!].map((commit) => ({ header: commit.block.header, certificate: commit.certificate }));
    expect(await store.epochChanges(2)).toEqual([]);
    expect(await store.epochChanges(3)).toEqual(handOvers.slice(0, 1));
    expect(await store.epochChanges(5)).toEqual(handOvers.slice(0, 1));
    expect(await store.epochChanges(6)).toEqual(handOvers);
    expect(await store.epochChanges(100)).toEqual(handOvers);
    await store.close();

    store = await openStore(chain, directory);
    expect(epochView(store)).toEqual(expected);
    expect(await store.epochChanges(7)).toEqual(handOvers);
    // The next block belongs to the third set; its own hand-over moves the next height on.
    const commit = chain.nextBlock([], { nextValidators: chain.newValidators('fourth', 7) });
    expect((await store.appendBlock(commit)).ok).toBe(true);
    expect(store.epochAt(7)).toMatchObject({ number: 2, startHeight: 6 });
    expect(store.epochAt(8)).toMatchObject({ number: 3, startHeight: 8 });
    expect(store.epochAt(8).validators.size).toBe(7);
    expect((await store.epochChanges(8)).map((change) => change.header.height)).toEqual([2, 5, 7]);
    await store.close();
  });

  it('refuses a block that names an invalid next validator set, and writes nothing', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const [member] = chain.newValidators('twice', 1);
    const commit = chain.nextBlock([chain.transaction({ n: 1 })], { nextValidators: [member!, { ...member!, id: 'another-id' }] });
    expect(await store.appendBlock(commit)).toMatchObject({ ok: false, code: 'next-validators-invalid', message: expect.stringMatching(/reuses another validator's key/) });
    expect(store.head().height).toBe(0);
    expect(await store.getBlock(1)).toBeUndefined();
    expect(store.epochAt(2)).toMatchObject({ number: 0 });
    expect(await store.epochChanges(10)).toEqual([]);
    await store.close();
  });
});

describe("an append's reads", () => {
  /** Blocks small and large: state set, changed and deleted, a duplicate transaction, events naming recorded and new identifiers. */
  function commits(chain: TestChain): BlockCommit[] {
    const repeated = chain.transaction({ repeated: true });
    const blocks: BlockCommit[] = [];
    const sizes = [1, 3, 40, 1, 5, 0, 2];
    for (const [index, size] of sizes.entries()) {
      const height = index + 1;
      // Block 4 carries block 1's first transaction again.
      const transactions = Array.from({ length: size }, (_, position) => ((height === 1 || height === 4) && position === 0 ? repeated : chain.transaction({ height, position })));
      const writes = Array.from({ length: size * 4 }, (_, write) => ({ key: `item/${(height * 7 + write) % 50}`, value: (height + write) % 5 === 0 ? null : { height, write } }));
      const results = transactions.map((_, position) => (height === 4 && position === 0 ? rejected('duplicate-transaction', 'already committed') : ACCEPTED));
      const events = transactions.map((_, position) => ({ position, event: shippingEvent(`urn:epc:id:sgtin:0614141.107346.${(height + position) % 6}`, '2026-03-01T08:00:00.000Z'), participants: [] }));
      blocks.push({ ...chain.nextBlock(transactions, { writes: sortWriteSet(dedupeKeys(writes)), results }), events });
    }
    return blocks;
  }

  function dedupeKeys<T extends { key: string }>(writes: T[]): T[] {
    return [...new Map(writes.map((write) => [write.key, write])).values()];
  }

  async function rowsAfter(blocks: readonly BlockCommit[], chain: TestChain, appendSynchronousLookupsMax: number): Promise<Array<[string, string]>> {
    const directory = await newDirectory();
    const store = await openStore(chain, directory, { appendSynchronousLookupsMax });
    for (const block of blocks) expect((await store.appendBlock(block)).ok).toBe(true);
    await store.close();
    const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'hex' });
    await db.open();
    const rows = await db.iterator().all();
    await db.close();
    return rows;
  }

  it('writes the same rows whether it reads one by one on the event loop or in batches off it', async () => {
    const chain = new TestChain({ genesisWrites: sortWriteSet(Array.from({ length: 20 }, (_, index) => ({ key: `item/${index}`, value: { genesis: index } }))) });
    const blocks = commits(chain);
    const batched = await rowsAfter(blocks, chain, 0);
    expect(batched.length).toBeGreaterThan(200);
    expect(await rowsAfter(blocks, chain, Number.MAX_SAFE_INTEGER)).toEqual(batched);
    // The default mixes them: the small blocks synchronously, the 40-transaction block in batches.
    expect(await rowsAfter(blocks, chain, STORE_LIMITS.appendSynchronousLookupsMax)).toEqual(batched);
  });
});

describe('the ledger store\'s LevelDB write buffer', () => {
  /** Appends blocks whose write sets add up to about `megabytes` MiB and counts the tables LevelDB made of them. */
  async function tablesAfterWriting(writeBufferBytes: number | undefined, megabytes: number): Promise<number> {
    const chain = new TestChain();
    const directory = await newDirectory();
    const store = await openStore(chain, directory, writeBufferBytes === undefined ? {} : { writeBufferBytes });
    const value = 'x'.repeat(1000);
    const blocks = megabytes * 16;
    for (let height = 1; height <= blocks; height++) {
      const writes = Array.from({ length: 64 }, (_, index) => ({ key: `lot/${height}/${String(index).padStart(3, '0')}`, value }));
      const appended = await store.appendBlock(chain.nextBlock([chain.transaction({ height })], { writes }));
      expect(appended.ok).toBe(true);
    }
    const tables = (await readdir(directory)).filter((name) => name.endsWith('.ldb')).length;
    await store.close();
    // Whatever the buffer, everything written reads back after reopening.
    const reopened = await openStore(chain, directory, writeBufferBytes === undefined ? {} : { writeBufferBytes });
    expect(reopened.head().height).toBe(blocks);
    expect(await reopened.getState(`lot/${blocks}/063`)).toBe(value);
    await reopened.close();
    return tables;
  }

  it('goes to LevelDB: a 1 MiB buffer flushes tables while the default holds the same writes in memory', async () => {
    expect(await tablesAfterWriting(2 ** 20, 4)).toBeGreaterThan(0);
    expect(await tablesAfterWriting(undefined, 4)).toBe(0);
  });

  it('is bounded: a buffer outside 1 to 256 MiB is a programming error', async () => {
    const chain = new TestChain();
    await expect(openStore(chain, undefined, { writeBufferBytes: 1024 })).rejects.toThrow(/writeBufferBytes/);
    await expect(openStore(chain, undefined, { writeBufferBytes: 2 ** 30 })).rejects.toThrow(/writeBufferBytes/);
  });
});
