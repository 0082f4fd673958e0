import { describe, expect, it } from 'vitest';
import { transactionId } from '../../ledger/model/transaction.js';
import { Mempool } from '../../node/mempool.js';
import { referenceOf } from '../../node/payload.js';
import { TestChain } from '../support/test-chain.js';

const chain = new TestChain();
const referenceTo = (transaction: ReturnType<TestChain['transaction']>) => referenceOf(transactionId(transaction.body), transaction);
const transactions = (count: number, signer = 'urn:epc:id:pgln:0614141.00001') => Array.from({ length: count }, (_, index) => chain.transaction({ index }, [signer]));

describe('the mempool', () => {
  it('keeps transactions once each, in arrival order, and selects around exclusions', () => {
    const mempool = new Mempool({ transactionsMax: 10, bytesMax: 1_000_000, perSubmitterMax: 10 });
    const [first, second, third] = transactions(3);
    const ids = [first!, second!, third!].map((transaction) => transactionId(transaction.body));
    for (const transaction of [first!, second!, third!]) expect(mempool.admit(referenceTo(transaction), transaction, 100, 0)).toEqual({ ok: true, duplicate: false });
    expect(mempool.admit(referenceTo(first!), first!, 100, 0)).toEqual({ ok: true, duplicate: true });
    // Found by reference only with the same signatures.
    expect(mempool.getByReference(referenceTo(second!))).toBe(second);
    const resigned = { ...second!, signatures: [{ ...second!.signatures[0]!, signature: '00'.repeat(64) }] };
    expect(mempool.getByReference(referenceTo(resigned))).toBeUndefined();
    expect(mempool.size).toBe(3);
    expect(mempool.select(10, 1_000_000, new Set([ids[1]!])).map((entry) => entry.id)).toEqual([ids[0], ids[2]]);
    expect(mempool.select(1, 1_000_000, new Set()).map((entry) => entry.id)).toEqual([ids[0]]);
    expect(mempool.select(10, 150, new Set()).map((entry) => entry.id)).toEqual([ids[0]]);
    // Waiting work: an entry outside every excluded set (ordered ones, a block committed this step).
    expect(mempool.hasEntryOutside([new Set([ids[0]!]), new Set([ids[1]!])])).toBe(true);
    expect(mempool.hasEntryOutside([new Set([ids[0]!, ids[2]!]), new Set([ids[1]!])])).toBe(false);
    expect(mempool.hasEntryOutside([])).toBe(true);
    mempool.remove(ids[0]!);
    expect(mempool.has(ids[0]!)).toBe(false);
    expect(mempool.sizeBytes).toBe(200);
  });

  it('refuses when full by count or bytes, and when one submitter has its quota waiting', () => {
    const byCount = new Mempool({ transactionsMax: 2, bytesMax: 1_000_000, perSubmitterMax: 10 });
    const three = transactions(3);
    three.forEach((transaction, index) => {
      const admitted = byCount.admit(referenceTo(transaction), transaction, 10, 0);
      expect(admitted.ok).toBe(index < 2);
      if (!admitted.ok) expect(admitted.reason).toBe('full');
    });
    const byBytes = new Mempool({ transactionsMax: 100, bytesMax: 150, perSubmitterMax: 10 });
    expect(byBytes.admit(referenceTo(three[0]!), three[0]!, 100, 0).ok).toBe(true);
    expect(byBytes.admit(referenceTo(three[1]!), three[1]!, 100, 0)).toEqual({ ok: false, reason: 'full' });
    const quota = new Mempool({ transactionsMax: 100, bytesMax: 1_000_000, perSubmitterMax: 2 });
    const greedy = transactions(3, 'urn:epc:id:pgln:0614141.00001');
    greedy.forEach((transaction, index) => expect(quota.admit(referenceTo(transaction), transaction, 1, 0).ok).toBe(index < 2));
    const other = transactions(1, 'urn:epc:id:pgln:0614142.00001')[0]!;
    expect(quota.admit(referenceTo(other), other, 1, 0).ok).toBe(true);
    quota.remove(transactionId(greedy[0]!.body));
    expect(quota.admit(referenceTo(greedy[2]!), greedy[2]!, 1, 0).ok).toBe(true);
  });
});
