/**
 * Checked reads (issue 13): a block, certificate or transaction whose stored bytes changed is
 * answered as `store-damaged` with its height, never as data. The damage is made the way a disk
 * makes it: bytes changed inside an uncompressed LevelDB table, which LevelDB reads back without
 * noticing.
 */
import { describe, expect, it } from 'vitest';
import { transactionId } from '../../../ledger/model/transaction.js';
import { BlockStore, StoreDamagedError, type StoreDamage } from '../../../ledger/store/block-store.js';
import { changeRecordInTables, compactStore } from '../../support/store-damage.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('checked-reads');
const BLOCKS = 12;

async function damagedStore(change: (records: { block: (height: number) => Promise<string>; certificate: (height: number) => Promise<string> }) => Promise<{ record: string; from: string; to: string }>) {
  const stored = await writeStoredChain(await newDirectory(), BLOCKS);
  const open = async () => {
    const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis, genesisWrites: stored.chain.genesisWrites, tailBlocksChecked: 2 });
    if (!opened.ok) throw new Error(opened.message);
    return opened.store;
  };
  const healthy = await open();
  const edit = await change({
    block: async (height) => JSON.stringify(await healthy.getBlock(height)),
    certificate: async (height) => JSON.stringify(await healthy.getCertificate(height)),
  });
  await healthy.close();
  await compactStore(stored.dataDirectory, { compression: false });
  await changeRecordInTables(stored.dataDirectory, edit.record, edit.from, edit.to);
  return { store: await open(), chain: stored.chain };
}

function firstTransactionId(blockRecord: string): string {
  return transactionId((JSON.parse(blockRecord) as { transactions: Array<{ body: Parameters<typeof transactionId>[0] }> }).transactions[0]!.body);
}

function expectDamage(read: unknown, height: number, detail: RegExp): void {
  expect(read).toMatchObject({ ok: false, reason: 'store-damaged', height });
  expect((read as StoreDamage).detail).toMatch(detail);
}

describe('checked reads of the block store', () => {
  it('serves a healthy store unchanged and finds no damage', async () => {
    const stored = await writeStoredChain(await newDirectory(), BLOCKS);
    const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis, genesisWrites: stored.chain.genesisWrites });
    if (!opened.ok) throw new Error(opened.message);
    const store = opened.store;
    for (let height = 1; height <= BLOCKS; height++) {
      expect((await store.readBlock(height)).ok).toBe(true);
      expect((await store.readCertificate(height)).ok).toBe(true);
    }
    // Read twice: the second read of a checked block is answered from the kept digest, the same block.
    expect(await store.getBlock(3)).toEqual(await store.getBlock(3));
    expect(await store.getBlocks(1, BLOCKS)).toHaveLength(BLOCKS);
    const block = (await store.getBlock(5))!;
    const id = transactionId(block.transactions[1]!.body);
    expect((await store.getTransaction(id))?.transaction).toEqual(block.transactions[1]);
    // A transaction with its block's header, decoded from their own bytes: as the whole block gives them, the head's too.
    for (const height of [1, 5, BLOCKS]) {
      const whole = (await store.getBlock(height))!;
      expect(whole.transactions.length).toBeGreaterThan(0);
      for (const [position, transaction] of whole.transactions.entries()) {
        const inBlock = await store.getTransactionInBlock(transactionId(transaction.body));
        expect(inBlock).toMatchObject({ location: { height, position }, header: whole.header, transaction });
      }
    }
    expect(await store.getTransactionInBlock('0'.repeat(64))).toBeUndefined();
    expect(await store.readBlock(BLOCKS + 1)).toEqual({ ok: true, value: undefined });
    expect(store.damageFound()).toBeUndefined();
    await store.close();
  });

  it('names a changed header as damage at its height, in every read that meets it', async () => {
    let id = '';
    const { store } = await damagedStore(async (records) => {
      const record = await records.block(4);
      id = firstTransactionId(record);
      const timestamp = /"timestamp":(\d+)/.exec(record)![1]!;
      const changed = String((Number(timestamp.at(-1)) + 1) % 10);
      return { record, from: `"timestamp":${timestamp}`, to: `"timestamp":${timestamp.slice(0, -1)}${changed}` };
    });
    const found: StoreDamage[] = [];
    store.onDamage((damage) => found.push(damage));
    expectDamage(await store.readBlock(4), 4, /hashes to .* but the ledger state records/);
    await expect(store.getBlock(4)).rejects.toBeInstanceOf(StoreDamagedError);
    await expect(store.getBlocks(1, BLOCKS)).rejects.toThrow(/store damaged at height 4/);
    await expect(store.getTransactionInBlock(id)).rejects.toThrow(/store damaged at height 4: the block's header hashes to/);
    expect((await store.readBlock(3)).ok).toBe(true);
    expect(store.damageFound()).toMatchObject({ reason: 'store-damaged', height: 4 });
    expect(found.map((damage) => damage.height)).toEqual([4, 4, 4, 4]);
    await store.close();
  });

  it('names a transaction changed in its block as damage in every read of the block', async () => {
    let id = '';
    let original: unknown;
    const { store } = await damagedStore(async (records) => {
      const record = await records.block(6);
      const nonce = /"nonce":"([^"]+)"/.exec(record)![1]!;
      id = firstTransactionId(record);
      original = (JSON.parse(record) as { transactions: unknown[] }).transactions[0];
      return { record, from: `"nonce":"${nonce}"`, to: `"nonce":"${nonce.slice(0, -1)}${nonce.endsWith('x') ? 'y' : 'x'}"` };
    });
    await expect(store.getTransactionInBlock(id)).rejects.toThrow(new RegExp(`store damaged at height 6: the transaction read for id ${id} has id`));
    expectDamage(await store.readBlock(6), 6, /transactions give root .*, its header/);
    // Read by id, the transaction comes from its own row, which the change did not reach.
    expect(await store.readTransaction(id)).toMatchObject({ ok: true, value: { txId: id, height: 6, transaction: original } });
    await store.close();
  });

  it("names a transaction changed in its own row as damage when read by id, and its block stays whole", async () => {
    let id = '';
    const { store } = await damagedStore(async (records) => {
      const block = JSON.parse(await records.block(6)) as { transactions: Array<{ body: Parameters<typeof transactionId>[0] }> };
      const transaction = JSON.stringify(block.transactions[0]);
      const nonce = /"nonce":"([^"]+)"/.exec(transaction)![1]!;
      id = transactionId(block.transactions[0]!.body);
      // Only the `t:` row holds the transaction after this member name (a block record lists them under "transactions").
      return { record: `"transaction":${transaction}`, from: `"nonce":"${nonce}"`, to: `"nonce":"${nonce.slice(0, -1)}${nonce.endsWith('x') ? 'y' : 'x'}"` };
    });
    expectDamage(await store.readTransaction(id), 6, new RegExp(`read for id ${id} has id`));
    await expect(store.getTransaction(id)).rejects.toBeInstanceOf(StoreDamagedError);
    expect((await store.readBlock(6)).ok).toBe(true);
    await store.close();
  });

  it('names a certificate that no longer certifies the recorded block as damage', async () => {
    const { store } = await damagedStore(async (records) => {
      const record = await records.certificate(7);
      const hash = /"blockHash":"([0-9a-f]+)"/.exec(record)![1]!;
      return { record, from: `"blockHash":"${hash}"`, to: `"blockHash":"${hash.startsWith('00') ? '11' : '00'}${hash.slice(2)}"` };
    });
    expectDamage(await store.readCertificate(7), 7, /the certificate names block/);
    await expect(store.getCertificate(7)).rejects.toBeInstanceOf(StoreDamagedError);
    expect((await store.readCertificate(8)).ok).toBe(true);
    await store.close();
  });

  it('names a record that no longer decodes as damage rather than failing the read', async () => {
    let id = '';
    const { store } = await damagedStore(async (records) => {
      const record = await records.block(5);
      id = firstTransactionId(record);
      return { record, from: '{"header":{', to: '{"header":[' };
    });
    expectDamage(await store.readBlock(5), 5, /cannot be read back/);
    await expect(store.getTransactionInBlock(id)).rejects.toThrow(/store damaged at height 5: a record cannot be read back/);
    await store.close();
  });
});
