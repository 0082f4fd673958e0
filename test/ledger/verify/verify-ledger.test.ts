import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signVote } from '../../../ledger/model/certificate.js';
import { rejected } from '../../../ledger/model/result.js';
import { openStoreForReading } from '../../../ledger/store/block-store.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { verifyLedger } from '../../../ledger/verify/verify-ledger.js';
import { testKey, TestChain } from '../../support/test-chain.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('verify');

async function verifyDirectory(dataDirectory: string, chain: TestChain, onProgress?: (height: number) => void) {
  const store = await openStoreForReading(dataDirectory);
  if (!store.ok) throw new Error(store.message);
  try {
    return await verifyLedger({
      reader: store.reader,
      genesis: chain.genesis,
      validators: chain.validators,
      headHeight: store.headHeight,
      ...(onProgress === undefined ? {} : { onProgress }),
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

  it('refuses a genesis state that was altered', async () => {
    const { chain, dataDirectory } = await writeStoredChain(await newDirectory(), 2);
    await rewriteJson(dataDirectory, storeKeys.ledgerState(0), (state) => (state.logSize = 1));
    expect(await verifyDirectory(dataDirectory, chain)).toMatchObject({ ok: false, height: 0 });
  });
});
