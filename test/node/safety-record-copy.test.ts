/**
 * The safety record's copy outside the consensus store (docs/consensus.md section 3, "A
 * rolled-back store"): two checksummed slots written alternately, the later record wins on
 * load, a torn or damaged slot is passed over, and a consensus store that lost its latest writes
 * is resumed from the copy, with the store's stale epoch contents dropped.
 */
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialSafetyState } from '../../consensus/defaults.js';
import type { SafetyState } from '../../consensus/types.js';
import { ConsensusStore } from '../../node/consensus-store.js';
import { decodeSlot, encodeSlot, SafetyRecordCopy, SLOT_BYTES } from '../../node/safety-record-copy.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { TestChain } from '../support/test-chain.js';

const newDirectory = temporaryDirectories('safety-record-copy');

function signedUpTo(round: number, epoch = 0): SafetyState {
  return {
    ...initialSafetyState(epoch),
    lastVotedRound: round,
    lockedRound: round - 1,
    lastVote: { blockHash: 'ab'.repeat(32), height: round, round, signature: 'cd'.repeat(64) },
  };
}

describe('the safety record copy', () => {
  it('starts empty, then reads back the latest of many writes after a reopen', async () => {
    const path = join(await newDirectory(), 'safety-record');
    let copy = await SafetyRecordCopy.open(path);
    expect(copy.stored).toBeUndefined();
    for (let round = 1; round <= 5; round++) await copy.write(signedUpTo(round));
    await copy.close();
    copy = await SafetyRecordCopy.open(path);
    expect(copy.stored).toEqual(signedUpTo(5));
    // The sequence goes on from what was read: the next write lands in the older slot.
    await copy.write(signedUpTo(6));
    await copy.close();
    const reopened = await SafetyRecordCopy.open(path);
    expect(reopened.stored).toEqual(signedUpTo(6));
    await reopened.close();
  });

  it('passes over a torn or damaged slot and keeps the other one', async () => {
    const path = join(await newDirectory(), 'safety-record');
    const copy = await SafetyRecordCopy.open(path);
    await copy.write(signedUpTo(7));
    await copy.write(signedUpTo(8));
    await copy.close();
    // Sequence 2 is in slot 0: flip one byte of its JSON, as a torn write would leave it.
    const file = await open(path, 'r+');
    await file.write(Buffer.from([0x7a]), 0, 1, 40);
    await file.close();
    const reopened = await SafetyRecordCopy.open(path);
    expect(reopened.stored).toEqual(signedUpTo(7));
    await reopened.close();
  });

  it('refuses slots that are not records: empty, foreign bytes, a length past the slot, a wrong checksum', () => {
    const slot = encodeSlot(3n, signedUpTo(3));
    expect(decodeSlot(slot)?.state).toEqual(signedUpTo(3));
    expect(decodeSlot(Buffer.alloc(SLOT_BYTES))).toBeUndefined();
    expect(decodeSlot(Buffer.from('not a safety record at all, just some bytes'))).toBeUndefined();
    const tooLong = Buffer.from(slot);
    tooLong.writeUInt32BE(SLOT_BYTES, 12);
    expect(decodeSlot(tooLong)).toBeUndefined();
    const wrongSequence = Buffer.from(slot);
    wrongSequence.writeBigUInt64BE(4n, 4);
    expect(decodeSlot(wrongSequence)).toBeUndefined();
    expect(decodeSlot(slot.subarray(0, 20))).toBeUndefined();
  });
});

describe('a consensus store with its safety record copy', () => {
  it('resumes from the copy when the store lost its latest writes, and says so', async () => {
    const dataDir = await newDirectory();
    const consensus = join(dataDir, 'consensus');
    const copyPath = join(dataDir, 'safety-record');
    let store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(25) });
    await store.close();
    // A snapshot of consensus/ as it stood after round 25 (a log cut short later returns to it).
    const snapshot = await readStoreFiles(consensus);
    store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(26) });
    await store.close();
    await restoreStoreFiles(consensus, snapshot);

    store = await ConsensusStore.open(consensus, copyPath);
    const loaded = await store.load();
    expect(loaded.safety).toEqual(signedUpTo(26));
    expect(loaded.storeSafetyBehindCopy).toEqual({ stored: signedUpTo(25) });
    await store.close();

    // Without the copy the same store would resume from round 25.
    const withoutCopy = await ConsensusStore.open(consensus);
    const bare = await withoutCopy.load();
    expect(bare.safety).toEqual(signedUpTo(25));
    expect(bare.storeSafetyBehindCopy).toBeUndefined();
    await withoutCopy.close();
  });

  it('takes the copy of a later epoch and drops the blocks and certificates of the epoch it left', async () => {
    const dataDir = await newDirectory();
    const consensus = join(dataDir, 'consensus');
    const copyPath = join(dataDir, 'safety-record');
    const chain = new TestChain();
    const block = chain.nextBlock([]);
    let store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(40, 0), blocks: [{ block: { header: block.block.header, payload: new Uint8Array([1, 2, 3]) }, justify: null }], highQc: block.certificate });
    await store.close();
    const snapshot = await readStoreFiles(consensus);
    store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(3, 1), dropAllBlocks: true, highQc: null, highTc: null });
    await store.close();
    await restoreStoreFiles(consensus, snapshot);

    store = await ConsensusStore.open(consensus, copyPath);
    const loaded = await store.load();
    expect(loaded.safety).toEqual(signedUpTo(3, 1));
    expect(loaded.blocks).toEqual([]);
    expect(loaded.highQc).toBeNull();
    expect(loaded.storeSafetyBehindCopy?.stored?.epoch).toBe(0);
    await store.close();
  });

  it('keeps the store record when the copy is older (a copy restored from a backup moves nothing down)', async () => {
    const dataDir = await newDirectory();
    const consensus = join(dataDir, 'consensus');
    const copyPath = join(dataDir, 'safety-record');
    let store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(10) });
    await store.close();
    const oldCopy = await readFile(copyPath);
    store = await ConsensusStore.open(consensus, copyPath);
    await store.write({ kind: 'persist', safety: signedUpTo(11) });
    await store.close();
    await writeFile(copyPath, oldCopy);
    store = await ConsensusStore.open(consensus, copyPath);
    const loaded = await store.load();
    expect(loaded.safety).toEqual(signedUpTo(11));
    expect(loaded.storeSafetyBehindCopy).toBeUndefined();
    await store.close();
  });
});

/** The files of a closed LevelDB folder, to put back later (a store rolled back to this moment). */
async function readStoreFiles(directory: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(directory)) files.set(name, await readFile(join(directory, name)));
  return files;
}

async function restoreStoreFiles(directory: string, files: Map<string, Buffer>): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  for (const [name, contents] of files) await writeFile(join(directory, name), contents);
}
