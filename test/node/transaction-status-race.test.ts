/**
 * A status or find that races the block committing its transaction (TransactionService.status
 * and find, node/transactions.ts): execution writes the store and then removes the transaction
 * from the mempool, so a store read that started before the write misses, and the mempool is
 * empty by the time it answers. The transaction is committed, never unknown.
 */
import { describe, expect, it } from 'vitest';
import type { TransactionResult } from '../../ledger/model/result.js';
import type { Transaction } from '../../ledger/model/transaction.js';
import { TransactionService, type TransactionServiceOptions } from '../../node/transactions.js';

const ID = 'aa'.repeat(32);
const BLOCK_HASH = 'cd'.repeat(32);
const ACCEPTED = { status: 'accepted' } as unknown as TransactionResult;
const TRANSACTION = { body: { type: 'epcis.capture' } } as unknown as Transaction;

/** A store whose reads see what it held when they started, and answer only once released. */
function racingNode() {
  const outcomes = new Map<string, { height: number; position: number; blockHash: string; result: TransactionResult }>();
  const transactions = new Map<string, { transaction: Transaction }>();
  const held: Array<() => void> = [];
  const read = <T>(value: T): Promise<T> => new Promise((resolve) => held.push(() => resolve(value)));
  const pending = new Map([[ID, TRANSACTION]]);
  const service = new TransactionService({
    chainId: 'test',
    store: { getTransactionOutcome: async (id: string) => read(outcomes.get(id)), getTransaction: async (id: string) => read(transactions.get(id)) },
    mempool: { has: (id: string) => pending.has(id), get: (id: string) => pending.get(id) },
    verified: {},
    relay: () => undefined,
    transactionsReady: () => undefined,
    admission: () => undefined,
  } as unknown as TransactionServiceOptions);
  const commit = () => {
    outcomes.set(ID, { height: 5, position: 0, blockHash: BLOCK_HASH, result: ACCEPTED });
    transactions.set(ID, { transaction: TRANSACTION });
    pending.delete(ID);
  };
  /** Answers every read started so far, and those they start in turn, until none waits. */
  const releaseAll = async () => {
    for (let turn = 0; turn < 10; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of held.splice(0)) release();
    }
  };
  return { service, commit, releaseAll };
}

describe('a status read racing the commit', () => {
  it('answers committed, with the height, when the block commits during the store read', async () => {
    const { service, commit, releaseAll } = racingNode();
    const status = service.status(ID);
    commit();
    await releaseAll();
    expect(await status).toMatchObject({ id: ID, status: 'committed', height: 5, blockHash: BLOCK_HASH });
  });

  it('finds the transaction when the block commits during the store read', async () => {
    const { service, commit, releaseAll } = racingNode();
    const found = service.find(ID);
    commit();
    await releaseAll();
    expect(await found).toBe(TRANSACTION);
  });

  it('still answers pending before the commit, and unknown for what was never there', async () => {
    const { service, releaseAll } = racingNode();
    const pending = service.status(ID);
    const unknown = service.status('ee'.repeat(32));
    await releaseAll();
    expect(await pending).toEqual({ id: ID, status: 'pending' });
    expect(await unknown).toEqual({ id: 'ee'.repeat(32), status: 'unknown' });
  });
});
