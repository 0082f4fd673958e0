import { readdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signVote } from '../../../ledger/model/certificate.js';
import { rejected } from '../../../ledger/model/result.js';
import { BlockStore, openStoreForReading, type BlockCommit } from '../../../ledger/store/block-store.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { encodeRecord } from '../../../ledger/store/records.js';
import type { BlockOptions } from '../../support/test-chain.js';
import { verifyLedger } from '../../../ledger/verify/verify-ledger.js';
import type { ScratchStateTreeOptions } from '../../../ledger/verify/scratch-state-tree.js';
import { testKey, TestChain } from '../../support/test-chain.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('verify');

async function verifyDirectory(dataDirectory: string, chain: TestChain, onProgress?: (height: number) => void, scratch?: ScratchStateTreeOptions) {
  const store = await openStoreForReading(dataDirectory);
  if (!store.ok) throw new Error(store.message);
  try {
    return await verifyLedger({
      reader: store.reader,
      genesis: chain.genesis,
      validators: chain.validators,
      headHeight: store.headHeight,
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(scratch === undefined ? {} : { scratch }),
    });
  } finally {
    await store.close();
  }
}

async function rewriteJson(directory: string, key: string, edit: (value: any) => void): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const value = JSON.parse(new TextDecoder().decode((await db.get(key))!));
  edit(value);
  await db.put(key, new TextEncoder().encode(JSON.stringify(value)));
  await db.close();
}

describe('verifyLedger', () => {
  it('re-checks a whole chain from genesis and summarises it', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 20, {
      blockOptions: (height, chain) => (height === 7 ? { results: [rejected('custody-not-held', 'no'), { status: 'accepted' }] } : {}),
    });
    const progress: number[] = [];
    const result = await verifyDirectory(dataDirectory, chain, (height) => progress.push(height));
    expect(result).toEqual({
      ok: true,
      chainId: chain.chainId,
      height: 20,
      headHash: chain.head.blockHash,
      transactions: 40,
      accepted: 39,
      rejected: 1,
      logSize: 40,
      logRoot: chain.head.logRoot,
      stateRoot: chain.head.stateRoot,
      epoch: 0,
      epochStartHeight: 1,
      epochValidators: 4,
    });
    expect(progress).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it('names the first height whose certificate lacks a quorum', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 6, {
      blockOptions: (height) => (height === 4 ? { signers: [0, 1] } : {}),
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 4, message: expect.stringMatching(/insufficient-quorum/) });
  });

  it('refuses a certificate signed by keys outside the validator set', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 5);
    await rewriteJson(dataDirectory, storeKeys.certificate(3), (certificate) => {
      const outsider = testKey('not a validator');
      certificate.signatures[2].signature = toHex(signVote(chain.chainId, outsider.seed, certificate.vote));
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 3, message: expect.stringMatching(/bad-signature/) });
  });

  it('catches a swapped transaction signature even though the transaction id is unchanged', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 5);
    await rewriteJson(dataDirectory, storeKeys.block(2), (block) => {
      const signature = block.transactions[0].signatures[0].signature;
      block.transactions[0].signatures[0].signature = signature.slice(0, -2) + (signature.endsWith('00') ? '01' : '00');
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 2, message: expect.stringMatching(/tx-root-mismatch/) });
  });

  it('catches a recorded state that disagrees with the blocks', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 8);
    await rewriteJson(dataDirectory, storeKeys.ledgerState(6), (state) => (state.stateRoot = '00'.repeat(32)));
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 6, message: expect.stringMatching(/stateRoot/) });
  });

  it('catches a write set that no longer matches the state roots the headers carry', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 8);
    await rewriteJson(dataDirectory, storeKeys.writes(2), (writes) => (writes[0].value = 'forged'));
    const result = await verifyDirectory(dataDirectory, chain);
    expect(result).toMatchObject({ ok: false, height: 2 });
  });

  it('rebuilds the state tree on disk, a batch every block, to the same roots, and names a tampered write set or state root at its height', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 12);
    // Nothing kept in memory but what waits for its batch: every node read after the first block comes from the scratch database.
    const scratch = { parentDirectory: await newDirectory(), memoryDepth: 0, pendingNodesMax: 1 };
    expect(await verifyDirectory(dataDirectory, chain, undefined, scratch)).toMatchObject({ ok: true, height: 12, stateRoot: chain.head.stateRoot });
    expect(await readdir(scratch.parentDirectory)).toEqual([]);

    await rewriteJson(dataDirectory, storeKeys.ledgerState(9), (state) => (state.stateRoot = '00'.repeat(32)));
    expect(await verifyDirectory(dataDirectory, chain, undefined, scratch)).toMatchObject({ ok: false, height: 9, message: expect.stringMatching(/stateRoot/) });
    await rewriteJson(dataDirectory, storeKeys.writes(7), (writes) => (writes[0].value = 'forged'));
    expect(await verifyDirectory(dataDirectory, chain, undefined, scratch)).toMatchObject({ ok: false, height: 7, message: expect.stringMatching(/stateRoot/) });
    // The scratch folder goes whatever the verdict.
    expect(await readdir(scratch.parentDirectory)).toEqual([]);
  });

  it('refuses a genesis state that was altered', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 2);
    await rewriteJson(dataDirectory, storeKeys.ledgerState(0), (state) => (state.logSize = 1));
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 0 });
  });
});

/** A chain whose genesis set hands over to a set of five at height 3 and that to a set of four at height 6. */
function handOvers(extra: (height: number, chain: TestChain) => BlockOptions = () => ({})) {
  return (height: number, chain: TestChain): BlockOptions => ({
    ...(height === 3 ? { nextValidators: chain.newValidators('second', 5) } : {}),
    ...(height === 6 ? { nextValidators: chain.newValidators('third', 4) } : {}),
    ...extra(height, chain),
  });
}

/**
 * Writes a block's records straight into a closed store, as a store that skipped its own
 * checks would have: for a block the store itself refuses to append.
 */
async function appendUnchecked(directory: string, chain: TestChain, commit: BlockCommit): Promise<void> {
  const height = commit.block.header.height;
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  await db
    .batch()
    .put(storeKeys.block(height), encodeRecord(commit.block))
    .put(storeKeys.certificate(height), encodeRecord(commit.certificate))
    .put(storeKeys.results(height), encodeRecord(commit.results))
    .put(storeKeys.writes(height), encodeRecord(commit.writes))
    .put(storeKeys.ledgerState(height), encodeRecord(chain.state(height)))
    .put(storeKeys.blockHash(chain.state(height).blockHash), encodeRecord(height))
    .put(storeKeys.head, encodeRecord(height))
    .write();
  await db.close();
}

describe('verifyLedger across validator-set hand-overs', () => {
  it('checks each certificate under the epoch of its height and reports the final epoch', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 9, { blockOptions: handOvers() });
    expect(chain.epochs.map((epoch) => [epoch.number, epoch.startHeight])).toEqual([[0, 1], [1, 4], [2, 7]]);
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: true, height: 9, headHash: chain.head.blockHash, epoch: 2, epochStartHeight: 7, epochValidators: 4 });
  });

  it('names the height of a block after a hand-over that the outgoing set certified', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 6, {
      blockOptions: handOvers((height) => (height === 5 ? { certifiedBy: 0 } : {})),
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 5, message: expect.stringMatching(/certificate unknown-validator: .*epoch 1/) });
  });

  it('names the height of a block the new set certified with signatures of epoch 0', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 6, {
      blockOptions: handOvers((height) => (height === 4 ? { signatureEpoch: 0 } : {})),
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 4, message: expect.stringMatching(/certificate bad-signature/) });
  });

  it('refuses a hand-over certified by the incoming set instead of the outgoing one', async () => {
    const chain = new TestChain();
    const { dataDirectory } = await writeStoredChain(await newDirectory(), 5, { chain, blockOptions: handOvers() });
    // Block 3's certificate, re-made by the set it names, under the epoch that set starts.
    await rewriteJson(dataDirectory, storeKeys.certificate(3), (certificate) => {
      const next = chain.epochs[1]!;
      certificate.signatures = next.keys.slice(0, next.validators.quorum).map((key, index) => ({
        validator: next.members[index]!.id,
        signature: toHex(signVote(chain.chainId, key.seed, certificate.vote, 1)),
      }));
    });
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 3, message: expect.stringMatching(/certificate unknown-validator/) });
  });

  it('names the height of a block whose next validator set is invalid', async () => {
    const chain = new TestChain();
    const { dataDirectory } = await writeStoredChain(await newDirectory(), 3, { chain });
    const [member] = chain.newValidators('twice', 1);
    const commit = chain.nextBlock([], { nextValidators: [member!, member!] });
    // The store refuses such a block; a store written without its checks still holds it.
    const opened = await BlockStore.open({ directory: dataDirectory, genesis: chain.genesis });
    if (!opened.ok) throw new Error(opened.message);
    expect(await opened.store.appendBlock(commit)).toMatchObject({ ok: false, code: 'next-validators-invalid' });
    await opened.store.close();
    await appendUnchecked(dataDirectory, chain, commit);
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 4, message: expect.stringMatching(/next validator set of block 4 is invalid: .*appears twice/) });
  });

  it("compares the store's epoch index with the headers", async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 5, { blockOptions: handOvers() });
    const db = new ClassicLevel<string, Uint8Array>(dataDirectory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    await db.del(storeKeys.epochEnd(3));
    await db.close();
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 3, message: expect.stringMatching(/epoch index does not record it/) });

    const other = await writeStoredChain(await newDirectory(), 5, { blockOptions: handOvers() });
    const otherDb = new ClassicLevel<string, Uint8Array>(other.dataDirectory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await otherDb.open();
    await otherDb.put(storeKeys.epochEnd(4), encodeRecord(1));
    await otherDb.close();
    expect(await verifyDirectory(other.dataDirectory, other.chain)).toMatchObject({ ok: false, height: 4, message: expect.stringMatching(/carries no nextValidators/) });
  });
});
