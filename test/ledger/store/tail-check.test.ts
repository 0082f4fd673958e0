import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signVote } from '../../../ledger/model/certificate.js';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { encodeRecord } from '../../../ledger/store/records.js';
import { TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('tail');

/** A store with 6 blocks of 2 transactions each, closed, and the chain that built it. */
async function builtStore(): Promise<{ chain: TestChain; directory: string }> {
  const chain = new TestChain();
  const directory = await newDirectory();
  const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
  if (!opened.ok) throw new Error(opened.message);
  for (let height = 1; height <= 6; height++) {
    const commit = chain.nextBlock([chain.transaction({ height, n: 0 }), chain.transaction({ height, n: 1 })], {
      writes: [{ key: `lot/${height}`, value: { height } }],
      ledgerLag: 1,
    });
    const appended = await opened.store.appendBlock(commit);
    if (!appended.ok) throw new Error(appended.message);
  }
  await opened.store.close();
  return { chain, directory };
}

/** Rewrites one stored value behind the store's back, as disk damage or a careless operator would. */
async function rawRewrite(directory: string, key: string, change: (value: Uint8Array) => Uint8Array): Promise<Uint8Array> {
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const value = await db.get(key);
  if (value === undefined) throw new Error(`no value at ${key}`);
  const changed = change(value);
  await db.put(key, changed);
  await db.close();
  return changed;
}

async function rawRead(directory: string, key: string): Promise<Uint8Array | undefined> {
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const value = await db.get(key);
  await db.close();
  return value;
}

const editJson = (edit: (value: any) => void) => (bytes: Uint8Array) => {
  const value = JSON.parse(new TextDecoder().decode(bytes));
  edit(value);
  return new TextEncoder().encode(JSON.stringify(value));
};

describe('the tail check on open', () => {
  it('opens an intact store', async () => {
    const { chain, directory } = await builtStore();
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
    expect(opened.ok).toBe(true);
    if (opened.ok) await opened.store.close();
  });

  const damages: Array<{ what: string; key: string; change: (value: Uint8Array) => Uint8Array; height: number; says: RegExp }> = [
    {
      what: 'a transaction payload in a block',
      key: storeKeys.block(4),
      change: editJson((block) => (block.transactions[1].body.payload.n = 7)),
      height: 4,
      says: /tx-root-mismatch/,
    },
    {
      what: 'a header field',
      key: storeKeys.block(5),
      change: editJson((block) => (block.header.timestamp += 1)),
      height: 5,
      says: /certificate-mismatch|block hash/,
    },
    {
      what: 'a transaction result',
      key: storeKeys.results(3),
      change: editJson((results) => (results[0] = { status: 'rejected', code: 'forged', message: 'x' })),
      height: 3,
      says: /Merkle leaf of transaction 0/,
    },
    {
      what: 'a Merkle leaf node',
      key: storeKeys.merkleNode(0, 4),
      change: (bytes) => bytes.map((byte, index) => (index === 0 ? byte ^ 1 : byte)),
      height: 3,
      says: /Merkle leaf of transaction 0/,
    },
    {
      what: 'an inner Merkle node',
      key: storeKeys.merkleNode(3, 0),
      change: (bytes) => bytes.map((byte, index) => (index === 31 ? byte ^ 0x80 : byte)),
      height: 4,
      says: /log root/,
    },
    {
      what: 'a write set',
      key: storeKeys.writes(2),
      change: editJson((writes) => (writes[0].value = { height: 99 })),
      height: 2,
      says: /state root/,
    },
    {
      what: 'a certificate signature',
      key: storeKeys.certificate(6),
      change: editJson((certificate) => (certificate.signatures[0].signature = certificate.signatures[1].signature)),
      height: 6,
      says: /certificate fails: bad-signature/,
    },
    {
      what: 'a recorded ledger state',
      key: storeKeys.ledgerState(2),
      change: editJson((state) => (state.logRoot = 'ab'.repeat(32))),
      height: 2,
      says: /log root/,
    },
    {
      // The head's: what the tail's write budget reads first. It must leave the verdict to the height's check.
      what: 'a write set replaced by garbage bytes',
      key: storeKeys.writes(6),
      change: () => new Uint8Array([0xff, 0x00, 0x7b]),
      height: 6,
      says: /cannot be read/,
    },
    {
      what: 'a write set that is not a list',
      key: storeKeys.writes(6),
      change: () => new TextEncoder().encode('{"length":99999999}'),
      height: 6,
      says: /its write set is not a list of writes/,
    },
    {
      what: 'a record replaced by garbage bytes',
      key: storeKeys.results(5),
      change: () => new Uint8Array([0xff, 0x00, 0x7b]),
      height: 5,
      says: /cannot be read/,
    },
  ];

  for (const damage of damages) {
    it(`refuses to open after damage to ${damage.what}, naming the height, and repairs nothing`, async () => {
      const { chain, directory } = await builtStore();
      const damaged = await rawRewrite(directory, damage.key, damage.change);
      const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
      expect(opened.ok).toBe(false);
      if (opened.ok) return;
      expect(opened.code).toBe('corrupt');
      expect(opened.height).toBe(damage.height);
      expect(opened.message).toContain(`height ${damage.height}`);
      expect(opened.message).toMatch(damage.says);
      expect(Buffer.from((await rawRead(directory, damage.key))!)).toEqual(Buffer.from(damaged));
    });
  }

  it('checks only the configured number of tail blocks', async () => {
    const { chain, directory } = await builtStore();
    await rawRewrite(directory, storeKeys.results(1), editJson((results) => (results[0] = { status: 'rejected', code: 'forged', message: 'x' })));
    const shallow = await BlockStore.open({ directory, genesis: chain.genesis, tailBlocksChecked: 3 });
    expect(shallow.ok).toBe(true);
    if (shallow.ok) await shallow.store.close();
    const deep = await BlockStore.open({ directory, genesis: chain.genesis, tailBlocksChecked: 100 });
    expect(deep).toMatchObject({ ok: false, height: 1 });
  });

  /** The key of the location record (`t:` row) of the transaction at `position` of block `height`. */
  async function locationKey(directory: string, height: number, position: number): Promise<string> {
    let found: string | undefined;
    await rawEdit(directory, async (db) => {
      for await (const [key, value] of db.iterator({ gte: storeKeys.transaction(''), lt: storeKeys.transaction('\uffff') })) {
        const location = JSON.parse(new TextDecoder().decode(value));
        if (location.height === height && location.position === position) found = key;
      }
    });
    if (found === undefined) throw new Error(`no location record for height ${height} position ${position}`);
    return found;
  }

  // The location records of a block's transactions are read together (one getMany); each is still
  // checked in the block's order, and the first problem is the one named, as when read one by one.
  const locationDamages: Array<{ what: string; damage: (db: ClassicLevel<string, Uint8Array>, key: string, other: string) => Promise<void>; says: RegExp }> = [
    { what: 'a missing location record', damage: (db, key) => db.del(key), says: /transaction [0-9a-f]{64} has no location record/ },
    {
      what: 'a location record pointing at another position',
      damage: async (db, key, other) => db.put(key, (await db.get(other))!),
      says: /the location record of transaction [0-9a-f]{64} points at height 4 position 0/,
    },
    { what: 'a location record replaced by garbage bytes', damage: (db, key) => db.put(key, new Uint8Array([0xff, 0x00, 0x7b])), says: /cannot be read/ },
  ];
  for (const { what, damage, says } of locationDamages) {
    it(`refuses to open after ${what}, naming the height; the scrub's check of the height names it too`, async () => {
      const { chain, directory } = await builtStore();
      const [key, other] = [await locationKey(directory, 4, 1), await locationKey(directory, 4, 0)];
      await rawEdit(directory, (db) => damage(db, key, other));
      const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
      expect(opened).toMatchObject({ ok: false, code: 'corrupt', height: 4 });
      if (opened.ok) return;
      expect(opened.message).toMatch(says);
      // Below the checked tail the store opens, and the scrub's check of the height finds the same damage.
      const shallow = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators, tailBlocksChecked: 2 });
      if (!shallow.ok) throw new Error(shallow.message);
      try {
        expect(await shallow.store.checkStoredHeight(3)).toBeUndefined();
        expect((await shallow.store.checkStoredHeight(4))?.detail).toMatch(says);
      } finally {
        await shallow.store.close();
      }
    });
  }

  it('refuses a head record that points below a stored block', async () => {
    const { chain, directory } = await builtStore();
    await rawRewrite(directory, storeKeys.head, () => new TextEncoder().encode('5'));
    const opened = await BlockStore.open({ directory, genesis: chain.genesis });
    expect(opened).toMatchObject({ ok: false, code: 'corrupt', height: 6 });
  });
});

/** A store of 6 blocks whose genesis set hands over to another set at height 3, closed. */
async function builtStoreWithHandOver(): Promise<{ chain: TestChain; directory: string }> {
  const chain = new TestChain();
  const directory = await newDirectory();
  const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
  if (!opened.ok) throw new Error(opened.message);
  for (let height = 1; height <= 6; height++) {
    const commit = chain.nextBlock([chain.transaction({ height })], {
      ledgerLag: 1,
      ...(height === 3 ? { nextValidators: chain.newValidators('next', 4) } : {}),
    });
    const appended = await opened.store.appendBlock(commit);
    if (!appended.ok) throw new Error(appended.message);
  }
  await opened.store.close();
  return { chain, directory };
}

async function rawEdit(directory: string, edit: (db: ClassicLevel<string, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  await edit(db);
  await db.close();
}

/** Re-signs a stored certificate with a quorum of `epoch`'s keys under epoch number `signAs`. */
function resign(chain: TestChain, epoch: number, signAs: number) {
  return editJson((certificate) => {
    const set = chain.epochs[epoch]!;
    certificate.signatures = set.keys.slice(0, set.validators.quorum).map((key, index) => ({
      validator: set.members[index]!.id,
      signature: toHex(signVote(chain.chainId, key.seed, certificate.vote, signAs)),
    }));
  });
}

describe('the tail check across a validator-set hand-over', () => {
  it('opens a store whose later blocks the new set certified under epoch 1', async () => {
    const { chain, directory } = await builtStoreWithHandOver();
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
    expect(opened.ok).toBe(true);
    if (opened.ok) await opened.store.close();
  });

  it('refuses a block after the hand-over certified by the outgoing set', async () => {
    const { chain, directory } = await builtStoreWithHandOver();
    await rawRewrite(directory, storeKeys.certificate(5), resign(chain, 0, 0));
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
    expect(opened).toMatchObject({ ok: false, code: 'corrupt', height: 5, message: expect.stringMatching(/certificate fails: unknown-validator.*epoch 1/) });
  });

  it('refuses a block the new set certified with epoch-0 signatures', async () => {
    const { chain, directory } = await builtStoreWithHandOver();
    await rawRewrite(directory, storeKeys.certificate(6), resign(chain, 1, 0));
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators });
    expect(opened).toMatchObject({ ok: false, code: 'corrupt', height: 6, message: expect.stringMatching(/certificate fails: bad-signature/) });
  });

  it('checks the hand-overs from genesis on open, even below the checked tail', async () => {
    const { chain, directory } = await builtStoreWithHandOver();
    await rawRewrite(directory, storeKeys.certificate(3), resign(chain, 1, 1));
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, validators: chain.validators, tailBlocksChecked: 2 });
    expect(opened).toMatchObject({ ok: false, code: 'corrupt', height: 3, message: expect.stringMatching(/certificate fails: unknown-validator/) });
  });

  it('refuses a hand-over missing from the epoch index, and an index entry without a hand-over', async () => {
    const missing = await builtStoreWithHandOver();
    await rawEdit(missing.directory, (db) => db.del(storeKeys.epochEnd(3)));
    const withoutEntry = await BlockStore.open({ directory: missing.directory, genesis: missing.chain.genesis });
    expect(withoutEntry).toMatchObject({ ok: false, code: 'corrupt', height: 3, message: expect.stringMatching(/epoch index does not record it/) });

    const extra = await builtStoreWithHandOver();
    await rawEdit(extra.directory, (db) => db.put(storeKeys.epochEnd(5), encodeRecord(1)));
    const withExtra = await BlockStore.open({ directory: extra.directory, genesis: extra.chain.genesis });
    expect(withExtra).toMatchObject({ ok: false, code: 'corrupt', height: 5, message: expect.stringMatching(/carries no nextValidators/) });

    const above = await builtStoreWithHandOver();
    await rawEdit(above.directory, (db) => db.put(storeKeys.epochEnd(9), encodeRecord(1)));
    expect(await BlockStore.open({ directory: above.directory, genesis: above.chain.genesis })).toMatchObject({ ok: false, code: 'corrupt', height: 9, message: expect.stringMatching(/above the head 6/) });
  });
});
