import { describe, expect, it } from 'vitest';
import { ClassicLevel } from 'classic-level';
import { initialSafetyState } from '../../consensus/defaults.js';
import type { BlockRecord, CommittedBlock } from '../../consensus/messages.js';
import { ConsensusStore } from '../../node/consensus-store.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { TestChain } from '../support/test-chain.js';

const newDirectory = temporaryDirectories('consensus-store');

function records(chain: TestChain, count: number): { records: BlockRecord[]; committed: CommittedBlock[] } {
  const committed = Array.from({ length: count }, () => {
    const block = chain.nextBlock([]);
    return { block: { header: block.block.header, payload: new Uint8Array([1, 2, 3]) }, certificate: block.certificate };
  });
  return { records: committed.map((entry) => ({ block: entry.block, justify: entry.certificate })), committed };
}

describe('the consensus store', () => {
  it('drops every block record when a new epoch starts, in the same synced batch as the new safety state', async () => {
    const directory = await newDirectory();
    const store = await ConsensusStore.open(directory);
    const chain = new TestChain();
    const { records: old } = records(chain, 3);
    await store.write({ kind: 'persist', safety: initialSafetyState(), blocks: old });
    expect((await store.load()).blocks).toHaveLength(3);
    const { records: fresh } = records(chain, 1);
    await store.write({ kind: 'persist', safety: initialSafetyState(1), dropAllBlocks: true, highQc: null, highTc: null, blocks: fresh });
    const loaded = await store.load();
    expect(loaded.safety?.epoch).toBe(1);
    expect(loaded.blocks.map((record) => record.block.header.height)).toEqual([4]);
    expect(loaded.highQc).toBeNull();
    expect(loaded.highTc).toBeNull();
    await store.close();
  });

  it('reads a safety state written before epochs existed as epoch 0', async () => {
    const directory = await newDirectory();
    const { epoch: _epoch, ...legacy } = initialSafetyState();
    const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.put('safety', JSON.stringify({ ...legacy, lastVotedRound: 9 }));
    await db.close();
    const store = await ConsensusStore.open(directory);
    expect((await store.load()).safety).toMatchObject({ epoch: 0, lastVotedRound: 9 });
    await store.close();
  });

  it('prunes the block records at or below an executed height with the next write, those written before a reopen too, with their bodies', async () => {
    const directory = await newDirectory();
    const chain = new TestChain();
    const { records: blocks } = records(chain, 5);
    let store = await ConsensusStore.open(directory);
    await store.write({ kind: 'persist', blocks: blocks.slice(0, 2) }, () => '["a body"]');
    await store.close();
    store = await ConsensusStore.open(directory);
    await store.write({ kind: 'persist', blocks: blocks.slice(2, 4) }, () => '["a body"]');
    store.pruneAtOrBelow(3);
    // No write of its own: the deletes go with the next batch.
    expect((await store.load()).blocks).toHaveLength(4);
    await store.write({ kind: 'persist', blocks: blocks.slice(4) }, () => '["a body"]');
    const loaded = await store.load();
    expect(loaded.blocks.map((record) => record.block.header.height)).toEqual([4, 5]);
    expect(loaded.bodies).toEqual(['["a body"]', '["a body"]']);
    // A lower height prunes nothing more; close() writes what is pending.
    store.pruneAtOrBelow(2);
    store.pruneAtOrBelow(4);
    await store.close();
    store = await ConsensusStore.open(directory);
    expect((await store.load()).blocks.map((record) => record.block.header.height)).toEqual([5]);
    await store.close();
  });

  it('keeps hand-over proofs across a reopen, payload bytes intact', async () => {
    const directory = await newDirectory();
    const chain = new TestChain();
    const { committed } = records(chain, 2);
    let store = await ConsensusStore.open(directory);
    await store.write({ kind: 'persist', handOverProof: { height: 14, blocks: committed } });
    await store.close();
    store = await ConsensusStore.open(directory);
    const proofs = await store.handOverProofs();
    expect([...proofs.keys()]).toEqual([14]);
    expect(proofs.get(14)).toEqual(committed);
    await store.close();
  });
});
