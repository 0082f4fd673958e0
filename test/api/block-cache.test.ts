/**
 * api/http/block-cache.ts committedFactsCache: a history takes each event's and note's block time
 * and signers from its row when the row records them, reads them from the block when a row from an
 * older store does not, and reads each transaction at most once per answer.
 */
import { describe, expect, it, vi } from 'vitest';
import { committedFactsCache } from '../../api/http/block-cache.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('block-cache');

describe('the facts of a committed transaction', () => {
  it('come from the row when it records them, else from the block, once per transaction', async () => {
    const chain = new TestChain();
    const opened = await BlockStore.open({ directory: await newDirectory(), genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators });
    if (!opened.ok) throw new Error(opened.message);
    const store = opened.store;
    const block = chain.nextBlock([chain.transaction({ a: 1 }), chain.transaction({ b: 2 })]);
    await store.appendBlock(block);
    const [first, second] = block.block.transactions.map((transaction, position) => ({ txId: transactionId(transaction.body), height: 1, position }));
    const reads = vi.spyOn(store, 'getTransactionInBlock');
    const factsOf = committedFactsCache(store);

    // A row that records the facts: the store is not read, whatever the block says.
    expect(await factsOf({ ...first!, recordedAt: 42, signers: ['as recorded'] })).toEqual({ recordedAt: 42, signers: ['as recorded'] });
    expect(reads).not.toHaveBeenCalled();

    // A row written before the facts were recorded: read from the block, once for the answer.
    const expected = { recordedAt: block.block.header.timestamp, signers: block.block.transactions[1]!.body.signers };
    expect(await factsOf(second!)).toEqual(expected);
    expect(await factsOf(second!)).toEqual(expected);
    expect(reads).toHaveBeenCalledTimes(1);
    await store.close();
  });
});
