/**
 * The block store's state tree (ledger/store/state-tree-rows.ts): each retained height's tree
 * proves every key's value, or its absence, as of that height against the state root the chain
 * recorded; older trees are pruned in the append's own batch without leaving or losing a node;
 * the store reopens onto its tree, and a damaged tree row is found when it opens.
 */
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { fromHex } from '../../../ledger/encoding/hex.js';
import { sortWriteSet, type StateWrite } from '../../../ledger/model/state.js';
import { BlockStore, openStoreForReading } from '../../../ledger/store/block-store.js';
import { stateTreeKeys, storedStateTreeNodes, storedStateTreeRoot } from '../../../ledger/store/state-tree-rows.js';
import { type Child, verifyStateTreeProof } from '../../../ledger/state-tree/index.js';
import { TestChain } from '../../support/test-chain.js';
import { EpochHistory } from '../../../ledger/store/epochs.js';
import { checkStoredBlock, type StoreReader } from '../../../ledger/store/tail-check.js';
import { genesisEpoch } from '../../../ledger/model/epoch.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('state-proofs');
const HEIGHTS_KEPT = 16;
const BLOCKS = 40;
const KEYS = Array.from({ length: 12 }, (_, index) => `item/urn:epc:id:sgtin:0614141.107346.${index}`);

/** Block h writes a few keys: sets some, changes some, deletes one now and then. */
function writesAt(height: number): StateWrite[] {
  const writes = new Map<string, JsonValue | null>();
  writes.set(KEYS[height % KEYS.length]!, { holder: `party-${height}`, quarantined: height % 5 === 0 });
  writes.set(KEYS[(height * 7) % KEYS.length]!, height % 3 === 0 ? null : { holder: `party-${height}`, recalled: height % 4 === 0 });
  writes.set(`recall/${height}`, { target: KEYS[height % KEYS.length]! });
  return sortWriteSet([...writes].map(([key, value]) => ({ key, value })));
}

async function buildStore(directory: string): Promise<{ chain: TestChain; snapshots: Array<Map<string, JsonValue>> }> {
  const chain = new TestChain({ genesisWrites: sortWriteSet(KEYS.slice(0, 4).map((key) => ({ key, value: { holder: 'genesis' } }))) });
  const opened = await BlockStore.open({ directory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators, stateHeightsKept: HEIGHTS_KEPT });
  if (!opened.ok) throw new Error(opened.message);
  const state = new Map<string, JsonValue>(chain.genesisWrites.map((write) => [write.key, write.value!]));
  const snapshots = [new Map(state)];
  for (let height = 1; height <= BLOCKS; height++) {
    const writes = writesAt(height);
    const appended = await opened.store.appendBlock(chain.nextBlock([chain.transaction({ height })], { writes, ledgerLag: height % 2 }));
    if (!appended.ok) throw new Error(appended.message);
    for (const write of writes) write.value === null ? state.delete(write.key) : state.set(write.key, write.value);
    snapshots.push(new Map(state));
  }
  await opened.store.close();
  return { chain, snapshots };
}

/** Flips one bit of a child hash in the root node row that `height` wrote (its tree's root node). */
async function damageRootNodeRow(directory: string, height: number): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    expect(storedStateTreeRoot((key) => db.getSync(key), height)).toMatchObject({ kind: 'internal', version: height });
    const rootKey = stateTreeKeys.node({ depth: 0, keyHash: new Uint8Array(32) }, height);
    const bytes = new Uint8Array(db.getSync(rootKey)!);
    bytes[5]! ^= 1;
    await db.put(rootKey, bytes);
  } finally {
    await db.close();
  }
}

describe('the state tree in the block store', () => {
  it('proves each key as of every kept height, refuses pruned heights, and keeps exactly the nodes the kept trees use', async () => {
    const directory = await newDirectory();
    const { chain, snapshots } = await buildStore(directory);
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators, stateHeightsKept: HEIGHTS_KEPT });
    if (!opened.ok) throw new Error(opened.message);
    const store = opened.store;
    const floor = store.stateFloor();
    expect(floor).toBe(BLOCKS - HEIGHTS_KEPT + 1);
    const probes = [...KEYS, 'recall/3', `recall/${BLOCKS}`, 'recall/never'];
    for (let height = floor; height <= BLOCKS; height++) {
      const root = fromHex(chain.state(height).stateRoot);
      for (const key of probes) {
        const read = await store.stateProof(key, height);
        expect(read.ok).toBe(true);
        if (!read.ok) continue;
        const expected = snapshots[height]!.get(key) ?? null;
        // A value changed since is still given as it was at the height (from that height's write set).
        expect(read.value.value, `${key} at ${height}`).toEqual(expected);
        expect(read.value.stateRoot).toBe(chain.state(height).stateRoot);
        expect(verifyStateTreeProof(key, expected, read.value.proof, root)).toEqual({ ok: true });
      }
    }
    expect(await store.stateProof(KEYS[0]!, floor - 1)).toMatchObject({ ok: false, code: 'height-not-kept', floor });
    await store.close();

    // Every node row is reachable from a kept root, and every reachable node is there.
    const db = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    try {
      const get = (key: string) => db.getSync(key);
      const roots = (await db.keys({ gte: 'zr:', lt: 'zr;' }).all()).map((key) => parseInt(key.slice(3), 16));
      expect(roots).toEqual(Array.from({ length: HEIGHTS_KEPT }, (_, index) => floor + index));
      const reachable = new Set<string>();
      const nodes = storedStateTreeNodes(get);
      const walk = (child: Child, depth: number, keyHash: Uint8Array) => {
        if (child.kind !== 'internal') return;
        const key = stateTreeKeys.node({ depth, keyHash }, child.version);
        if (reachable.has(key)) return;
        reachable.add(key);
        const node = nodes.node({ depth, keyHash }, child.version);
        expect(node, key).toBeDefined();
        for (const [slot, below] of node!.children.entries()) {
          // The key hash of the child's position: nibble `depth` set to its slot.
          const under = new Uint8Array(keyHash);
          under[depth >> 1] = (depth & 1) === 0 ? (slot << 4) | (under[depth >> 1]! & 15) : (under[depth >> 1]! & 0xf0) | slot;
          walk(below, depth + 1, under);
        }
      };
      for (const height of roots) walk(storedStateTreeRoot(get, height)!, 0, new Uint8Array(32));
      const stored = await db.keys({ gte: 'z:', lt: 'z;' }).all();
      expect(new Set(stored)).toEqual(reachable);
      // Stale lists remain only for heights whose stale nodes older kept trees still use.
      const staleHeights = (await db.keys({ gte: 'zs:', lt: 'zs;' }).all()).map((key) => parseInt(key.slice(3), 16));
      expect(staleHeights.every((height) => height > floor)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("refuses to open on a damaged row of the head's tree, whatever the tail's write budget", async () => {
    const directory = await newDirectory();
    const { chain } = await buildStore(directory);
    // The newest node of the head's tree: one bit of a child hash flipped.
    await damageRootNodeRow(directory, BLOCKS);
    for (const tailStateWritesChecked of [undefined, 0]) {
      const opened = await BlockStore.open({ directory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators, stateHeightsKept: HEIGHTS_KEPT, ...(tailStateWritesChecked === undefined ? {} : { tailStateWritesChecked }) });
      expect(opened).toMatchObject({ ok: false, height: BLOCKS, message: expect.stringMatching(/written at this height is not the one its write set gives, under the recorded state root/) });
    }
  });

  it('derives on open the trees of the newest heights its write budget covers, the head always', async () => {
    const directory = await newDirectory();
    const { chain } = await buildStore(directory);
    const damagedHeight = BLOCKS - 3;
    await damageRootNodeRow(directory, damagedHeight);
    /** The writes of heights from..BLOCKS together. */
    const writesFrom = (from: number) => Array.from({ length: BLOCKS - from + 1 }, (_, index) => writesAt(from + index).length).reduce((sum, count) => sum + count, 0);
    const open = (tailStateWritesChecked: number) => BlockStore.open({ directory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators, stateHeightsKept: HEIGHTS_KEPT, tailStateWritesChecked });
    // Budgets that stop above the damaged row's height and the one after it: the row is not read, and the store opens.
    for (const budget of [0, writesFrom(damagedHeight + 2)]) {
      const opened = await open(budget);
      expect(opened.ok).toBe(true);
      if (opened.ok) {
        // The scrub's check of the height still finds it.
        expect(await opened.store.checkStoredHeight(damagedHeight)).toMatchObject({ reason: 'store-damaged', height: damagedHeight });
        await opened.store.close();
      }
    }
    // One more height: its derivation reads the damaged row.
    const reading = await open(writesFrom(damagedHeight + 1));
    expect(reading).toMatchObject({ ok: false, height: damagedHeight + 1, message: expect.stringMatching(/state root/) });
    // The height that wrote the row: its nodes are compared with what its write set gives.
    const writing = await open(writesFrom(damagedHeight));
    expect(writing).toMatchObject({ ok: false, height: damagedHeight, message: expect.stringMatching(/written at this height is not the one its write set gives/) });
  });

  it("takes a tree pruned while its batched reads wait for pruning, not for damage; a tree still kept and missing nodes is damage", async () => {
    const directory = await newDirectory();
    const { chain } = await buildStore(directory);
    const opened = await openStoreForReading(directory);
    if (!opened.ok) throw new Error(opened.message);
    try {
      const { reader } = opened;
      const options = { chainId: chain.genesis.chainId, epochs: EpochHistory.start(genesisEpoch(chain.genesis.validators, chain.validators)) };
      const height = BLOCKS - HEIGHTS_KEPT + 2;
      expect(reader.stateTreeRoot(height - 1)).toBeDefined();
      // The batched reads: while the first batch waits, an append prunes the tree of height - 1
      // (its root row and its nodes go). Then every node the check asks for is missing.
      const racing = (rootPruned: boolean): StoreReader => {
        let pruned = false;
        return {
          ...reader,
          stateTreeRoot: (at) => (pruned && rootPruned && at === height - 1 ? undefined : reader.stateTreeRoot(at)),
          stateTreeNodes: { node: (position, version) => (pruned ? undefined : reader.stateTreeNodes.node(position, version)) },
          fetchStateTreeNodes: async (requests) => {
            pruned = true;
            return requests.map(() => undefined);
          },
        };
      };
      expect(await checkStoredBlock(racing(true), height, options)).toBeUndefined();
      await expect(checkStoredBlock(racing(false), height, options)).rejects.toThrow(/missing/);
      // Without the race, the batched check passes.
      expect(await checkStoredBlock({ ...reader, fetchStateTreeNodes: async (requests) => requests.map((request) => reader.stateTreeNodes.node(request.position, request.version)) }, height, options)).toBeUndefined();
    } finally {
      await opened.close();
    }
  });

  it("finds a damaged tree row below the checked tail with the scrub's check, which reads the tree in batches", async () => {
    const directory = await newDirectory();
    const { chain } = await buildStore(directory);
    const damagedHeight = BLOCKS - 3;
    await damageRootNodeRow(directory, damagedHeight);
    const opened = await BlockStore.open({ directory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators, stateHeightsKept: HEIGHTS_KEPT, tailBlocksChecked: 1 });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    try {
      // The height that wrote the row: the row differs from what its write set gives.
      expect(await opened.store.checkStoredHeight(damagedHeight)).toMatchObject({ reason: 'store-damaged', height: damagedHeight, detail: expect.stringMatching(/state tree node at depth 0 written at this height is not the one its write set gives/) });
      // The next height, derived over the damaged row: its root no longer follows.
      expect(await opened.store.checkStoredHeight(damagedHeight + 1)).toMatchObject({ reason: 'store-damaged', height: damagedHeight + 1, detail: expect.stringMatching(/state root/) });
      expect(await opened.store.checkStoredHeight(damagedHeight - 1)).toBeUndefined();
    } finally {
      await opened.store.close();
    }
  });
});
