/**
 * The verifier with its signature threads (ledger/verify/signature-pool.ts) reaches exactly the
 * verdicts it reaches checking inline: the same summary for a good chain, and for a bad one the
 * same first height and message, also when a later block fails a check the main thread makes
 * before an earlier block's signatures are back, when a transaction is malformed, and when a bad
 * signature comes before a malformed transaction in one block.
 */
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import type { Transaction } from '../../../ledger/model/transaction.js';
import { join } from 'node:path';
import { BlockStore, openStoreForReading } from '../../../ledger/store/block-store.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { verifyLedger } from '../../../ledger/verify/verify-ledger.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('verify-parallel');

async function verdicts(dataDirectory: string, chain: TestChain) {
  const store = await openStoreForReading(dataDirectory);
  if (!store.ok) throw new Error(store.message);
  try {
    const run = (signatureWorkers: number) => verifyLedger({ reader: store.reader, genesis: chain.genesis, validators: chain.validators, headHeight: store.headHeight, signatureWorkers });
    return { inline: await run(0), threads: await run(2) };
  } finally {
    await store.close();
  }
}

/** A transaction whose signature is well-formed but wrong; the block's roots are made over it as it is. */
function badlySigned(transaction: Transaction): Transaction {
  const signature = transaction.signatures[0]!;
  return { ...transaction, signatures: [{ ...signature, signature: toHex(new Uint8Array(64).fill(7)) }] };
}

/** A transaction whose body no longer has the transaction shape (its type is a number); ids and roots are made over it as it is. */
function malformed(transaction: Transaction): Transaction {
  return { ...transaction, body: { ...transaction.body, type: 42 as unknown as string } };
}

describe('verifyLedger with signature threads', () => {
  it('summarises a good chain as the inline walk does', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 30);
    const { inline, threads } = await verdicts(dataDirectory, chain);
    expect(inline).toMatchObject({ ok: true, height: 30, transactions: 60 });
    expect(threads).toEqual(inline);
  });

  it('names the first block with a bad transaction signature, and the transaction', async () => {
    // Block 5's second transaction is badly signed, with the block's roots and certificate made over it as it is.
    const { directory, chain } = await writeBadChain(await newDirectory(), 5);
    const { inline, threads } = await verdicts(directory, chain);
    expect(inline).toMatchObject({ ok: false, height: 5, message: expect.stringMatching(/^transaction 1: bad-signature: signature of .* does not verify$/) });
    expect(threads).toEqual(inline);
  });

  it('names a malformed transaction as the inline walk does', async () => {
    const { directory, chain } = await writeBadChain(await newDirectory(), 4, (transactions) => [transactions[0]!, malformed(transactions[1]!)]);
    const { inline, threads } = await verdicts(directory, chain);
    expect(inline).toMatchObject({ ok: false, height: 4, message: expect.stringMatching(/^transaction 1: malformed: /) });
    expect(threads).toEqual(inline);
  });

  it('names a bad signature before a malformed transaction of the same block', async () => {
    const { directory, chain } = await writeBadChain(await newDirectory(), 6, (transactions) => [badlySigned(transactions[0]!), malformed(transactions[1]!)]);
    const { inline, threads } = await verdicts(directory, chain);
    expect(inline).toMatchObject({ ok: false, height: 6, message: expect.stringMatching(/^transaction 0: bad-signature: /) });
    expect(threads).toEqual(inline);
  });

  it('reports an earlier bad signature before a later failure the main thread finds first', async () => {
    const { directory, chain } = await writeBadChain(await newDirectory(), 3);
    // Height 9's recorded state is forged: a failure found without waiting for any signature.
    const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const state = JSON.parse(new TextDecoder().decode((await db.get(storeKeys.ledgerState(9)))!));
    state.stateRoot = '00'.repeat(32);
    await db.put(storeKeys.ledgerState(9), new TextEncoder().encode(JSON.stringify(state)));
    await db.close();
    const { inline, threads } = await verdicts(directory, chain);
    expect(inline).toMatchObject({ ok: false, height: 3, message: expect.stringMatching(/bad-signature/) });
    expect(threads).toEqual(inline);
  });
});

/** A 12-block chain whose block `badHeight` carries its two transactions as `spoil` makes them: by default, the second badly signed. */
async function writeBadChain(
  directory: string,
  badHeight: number,
  spoil: (transactions: Transaction[]) => Transaction[] = (transactions) => [transactions[0]!, badlySigned(transactions[1]!)],
): Promise<{ directory: string; chain: TestChain }> {
  const chain = new TestChain();
  const data = join(directory, 'data');
  const opened = await BlockStore.open({ directory: data, genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  for (let height = 1; height <= 12; height++) {
    const made = [chain.transaction({ height, index: 0 }), chain.transaction({ height, index: 1 })];
    const transactions = height === badHeight ? spoil(made) : made;
    const appended = await opened.store.appendBlock(chain.nextBlock(transactions, { writes: [{ key: `h/${height}`, value: height }] }));
    if (!appended.ok) throw new Error(appended.message);
  }
  await opened.store.close();
  return { directory: data, chain };
}
