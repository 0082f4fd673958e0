/**
 * The background scrub's walk (ledger/store/scrub.ts) over real stores: a healthy chain passes
 * clean from 1 to the head and the walk starts again from 1; a block whose bytes changed inside
 * an old table is found and named by its height, and the walk goes on past it.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { StoreScrub, type ScrubStep } from '../../../ledger/store/scrub.js';
import { changeRecordInTables, compactStore } from '../../support/store-damage.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('scrub');
const BLOCKS = 12;

async function storedChain() {
  const stored = await writeStoredChain(await newDirectory(), BLOCKS);
  const open = async () => {
    // Signatures are checked (validators given); the tail check on open covers only the last two blocks.
    const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis, genesisWrites: stored.chain.genesisWrites, validators: stored.chain.validators, tailBlocksChecked: 2 });
    if (!opened.ok) throw new Error(opened.message);
    return opened.store;
  };
  return { ...stored, open };
}

function scrubOf(store: BlockStore): StoreScrub {
  return new StoreScrub({ headHeight: () => store.head().height, checkHeight: (height) => store.checkStoredHeight(height) });
}

async function walk(scrub: StoreScrub, steps: number): Promise<ScrubStep[]> {
  const taken: ScrubStep[] = [];
  for (let step = 0; step < steps; step++) taken.push(await scrub.step());
  return taken;
}

describe('the store scrub', () => {
  it('passes a healthy chain clean, 1 to the head, then starts again from 1', async () => {
    const store = await (await storedChain()).open();
    const scrub = scrubOf(store);
    const steps = await walk(scrub, BLOCKS + 2);
    expect(steps.map((step) => (step.kind === 'idle' ? 0 : step.height))).toEqual([...Array.from({ length: BLOCKS }, (_, index) => index + 1), 1, 2]);
    expect(steps.every((step) => step.kind === 'checked')).toBe(true);
    expect(steps.filter((step) => step.kind === 'checked' && step.passCompleted)).toHaveLength(1);
    expect(scrub.passes).toBe(1);
    expect(store.damageFound()).toBeUndefined();
    await store.close();
  });

  it('is idle on a chain with no committed block', async () => {
    const chain = await writeStoredChain(await newDirectory(), 0);
    const opened = await BlockStore.open({ directory: chain.dataDirectory, genesis: chain.chain.genesis, genesisWrites: chain.chain.genesisWrites });
    if (!opened.ok) throw new Error(opened.message);
    expect(await scrubOf(opened.store).step()).toEqual({ kind: 'idle' });
    await opened.store.close();
  });

  it('finds a block changed inside an old table, names its height, and walks on', async () => {
    const stored = await storedChain();
    const healthy = await stored.open();
    const record = JSON.stringify(await healthy.getBlock(5));
    await healthy.close();
    await compactStore(stored.dataDirectory, { compression: false });
    const nonce = /"nonce":"([^"]+)"/.exec(record)![1]!;
    await changeRecordInTables(stored.dataDirectory, record, `"nonce":"${nonce}"`, `"nonce":"${nonce.slice(0, -1)}${nonce.endsWith('x') ? 'y' : 'x'}"`);

    const store = await stored.open();
    const steps = await walk(scrubOf(store), BLOCKS);
    const damaged = steps.filter((step) => step.kind === 'damaged');
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toMatchObject({ kind: 'damaged', height: 5, damage: { reason: 'store-damaged', height: 5 } });
    expect(damaged[0]!.kind === 'damaged' && damaged[0]!.damage.detail).toMatch(/tx-root-mismatch/);
    expect(steps.at(-1)).toMatchObject({ kind: 'checked', height: BLOCKS, passCompleted: true });
    expect(store.damageFound()?.height).toBe(5);
    await store.close();
  });
});
