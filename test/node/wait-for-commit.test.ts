/**
 * wait=commit (TransactionService.waitForCommit, node/transactions.ts): a transaction the mempool
 * holds is waited for without a store read (execution removes it from the mempool in the same
 * turn that wakes its waiters), and is answered from the execution's own results; one the mempool
 * does not hold is answered from the store as before.
 */
import { describe, expect, it } from 'vitest';
import type { TransactionResult } from '../../ledger/model/result.js';
import { TransactionService, type TransactionServiceOptions } from '../../node/transactions.js';

const PENDING = 'aa'.repeat(32);
const COMMITTED = 'bb'.repeat(32);
const BLOCK_HASH = 'cd'.repeat(32);
const ACCEPTED = { status: 'accepted' } as unknown as TransactionResult;

function serviceWithStoreReads() {
  const reads: string[] = [];
  const store = {
    getTransactionOutcome: async (id: string) => {
      reads.push(id);
      return id === COMMITTED ? { height: 3, position: 0, blockHash: BLOCK_HASH, result: ACCEPTED } : undefined;
    },
  };
  const mempool = { has: (id: string) => id === PENDING };
  const service = new TransactionService({
    chainId: 'test',
    store,
    mempool,
    verified: {},
    relay: () => undefined,
    transactionsReady: () => undefined,
    admission: () => undefined,
  } as unknown as TransactionServiceOptions);
  return { service, reads };
}

describe('waiting for a commit', () => {
  it('waits for a transaction the mempool holds without reading the store, and answers it from the execution', async () => {
    const { service, reads } = serviceWithStoreReads();
    const answer = service.waitForCommit(PENDING, 30_000);
    // The waiter is registered in the same turn: no read to wait for.
    expect(service.waiting).toBe(1);
    service.executed({ height: 7, blockHash: BLOCK_HASH, ids: [PENDING], results: [ACCEPTED] });
    expect(await answer).toMatchObject({ id: PENDING, status: 'committed', height: 7, position: 0, blockHash: BLOCK_HASH });
    expect(reads).toEqual([]);
  });

  it('answers a transaction the mempool does not hold from the store', async () => {
    const { service, reads } = serviceWithStoreReads();
    expect(await service.waitForCommit(COMMITTED, 30_000)).toMatchObject({ id: COMMITTED, status: 'committed', height: 3 });
    expect(await service.waitForCommit('ee'.repeat(32), 30_000)).toEqual({ id: 'ee'.repeat(32), status: 'unknown' });
    expect(reads).toEqual([COMMITTED, 'ee'.repeat(32)]);
    expect(service.waiting).toBe(0);
  });
});
