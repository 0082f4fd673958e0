/**
 * ledger/store/log-nodes.ts: the log's upper levels in memory and the lower ones read as rows
 * give exactly the stored nodes, for every proof and root, whatever the size and the budget, as
 * the log grows past floors; a proof costs one batch of point reads, of at most one row a level
 * below the floor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import { MerkleFrontier, nodesForConsistencyProof, nodesForInclusionProof, nodesForRoot, type NodeId } from '../../../ledger/merkle/index.js';
import { storeKeys } from '../../../ledger/store/keys.js';
import { LOG_NODE_LIMITS, LogNodes, upperFloor, type LogNodeSource } from '../../../ledger/store/log-nodes.js';
import { logNodeSource, STORE_LIMITS } from '../../../ledger/store/block-store.js';

/** The `n:` rows of a log, as the store writes them, in a sorted map, with its reads counted. */
class Rows implements LogNodeSource {
  readonly rows = new Map<string, Uint8Array>();
  readonly frontier = MerkleFrontier.empty();
  pointReads = 0;
  rangeReads = 0;
  keysRead: string[] = [];

  /** Appends `count` leaves; returns the writes, as the store hands them on once durable. */
  append(count: number) {
    const writes = [];
    for (let leaf = 0; leaf < count; leaf++) {
      for (const write of this.frontier.append(sha256(new TextEncoder().encode(`leaf ${this.frontier.size}`)))) {
        this.rows.set(storeKeys.merkleNode(write.id.level, write.id.index), write.hash);
        writes.push(write);
      }
    }
    return writes;
  }

  async getMany(keys: string[]) {
    this.pointReads++;
    this.keysRead.push(...keys);
    return keys.map((key) => this.rows.get(key));
  }

  async range(gte: string, lt: string) {
    this.rangeReads++;
    return [...this.rows.keys()].filter((key) => key >= gte && key < lt).sort().map((key) => this.rows.get(key)!);
  }

  stored(id: NodeId): Uint8Array {
    return this.rows.get(storeKeys.merkleNode(id.level, id.index))!;
  }
}

async function expectNodes(nodes: LogNodes, rows: Rows, ids: NodeId[]): Promise<void> {
  rows.pointReads = 0;
  rows.rangeReads = 0;
  rows.keysRead = [];
  const lookup = await nodes.lookup(ids);
  for (const id of ids) expect(lookup(id)).toEqual(rows.stored(id));
  expect(rows.rangeReads).toBe(0);
  expect(rows.pointReads).toBeLessThanOrEqual(1);
  // Only the nodes asked for below the floor are read, never the leaves under them.
  const below = new Set(ids.filter((id) => id.level < nodes.floor).map((id) => storeKeys.merkleNode(id.level, id.index)));
  expect(new Set(rows.keysRead)).toEqual(below);
}

describe('the log nodes a store reads', () => {
  it('keep the upper levels within the budget, and the floor rises as the log grows', () => {
    expect(upperFloor(0)).toBe(0);
    expect(upperFloor(1000, 2000)).toBe(0);
    // 1,000,000 leaves: levels 5 and up hold 62,499 nodes, level 4 and up 124,999.
    expect(upperFloor(1_000_000)).toBe(5);
    expect(LOG_NODE_LIMITS.upperNodesMax).toBeLessThan(124_999);
    for (const size of [1, 7, 64, 1000, 65_537, 2 ** 30]) {
      const floor = upperFloor(size, 100);
      let held = 0;
      for (let width = 2 ** floor; width <= size; width *= 2) held += Math.floor(size / width);
      expect(held).toBeLessThanOrEqual(100);
    }
  });

  it('give the stored nodes of every inclusion proof, root and consistency proof, as the log grows past its floors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 2 ** 30 }), async (appends, nodesMax, seed) => {
        const rows = new Rows();
        rows.append(appends[0]!);
        // Loaded from the rows, as a store opens; then grown, as it appends.
        const nodes = await LogNodes.load(rows, rows.frontier.size, nodesMax);
        for (const count of appends.slice(1)) nodes.appended(rows.append(count), rows.frontier.size);
        const size = rows.frontier.size;
        expect(nodes.size).toBe(size);
        expect(nodes.floor).toBe(upperFloor(size, nodesMax));
        expect(nodes.upperNodes).toBeLessThanOrEqual(nodesMax);
        const leaf = seed % size;
        const older = 1 + (seed % size);
        await expectNodes(nodes, rows, [...nodesForInclusionProof(leaf, size), ...nodesForRoot(size)]);
        await expectNodes(nodes, rows, [...nodesForInclusionProof(leaf % older, older), ...nodesForRoot(older)]);
        await expectNodes(nodes, rows, nodesForConsistencyProof(older, size));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a node beyond the log, and names a missing row', async () => {
    const rows = new Rows();
    rows.append(100);
    const nodes = await LogNodes.load(rows, 100, 20);
    await expect(nodes.lookup([{ level: 0, index: 100 }])).rejects.toThrow(/beyond the log of 100/);
    const leaf = rows.stored({ level: 0, index: 3 });
    rows.rows.delete(storeKeys.merkleNode(0, 3));
    await expect(nodes.lookup(nodesForInclusionProof(2, 100))).rejects.toThrow(/Merkle node level 0 index 3 is missing/);
    rows.rows.set(storeKeys.merkleNode(0, 3), leaf);
    rows.rows.set(storeKeys.merkleNode(1, 0), new Uint8Array(31));
    await expect(nodes.lookup(nodesForInclusionProof(2, 100))).rejects.toThrow(/Merkle node level 1 index 0 holds 31 bytes/);
    rows.rows.delete(storeKeys.merkleNode(6, 0));
    await expect(LogNodes.load(rows, 100, 2)).rejects.toThrow(/Merkle level 6 holds 0 nodes, not the 1/);
  });

  it('are read synchronously for a proof\'s handful and in one batch off the event loop beyond that', async () => {
    const rows = new Rows();
    rows.append(1000);
    const calls: Array<{ kind: 'sync' | 'batch'; keys: number }> = [];
    const source = logNodeSource({
      getSync: (key: string) => {
        calls.push({ kind: 'sync', keys: 1 });
        return rows.rows.get(key);
      },
      getMany: async (keys: string[]) => {
        calls.push({ kind: 'batch', keys: keys.length });
        return keys.map((key) => rows.rows.get(key));
      },
      values: () => {
        throw new Error('no range read expected');
      },
    } as unknown as Parameters<typeof logNodeSource>[0]);
    // A floor of level 5 leaves an inclusion proof in a log of 1,000 a row a level or so to read, as at a million leaves.
    expect(upperFloor(1000, 64)).toBe(5);
    const proof = nodesForInclusionProof(617, 1000);
    const viaSource = await LogNodes.load({ getMany: (keys) => source.getMany(keys), range: (gte, lt) => rows.range(gte, lt) }, 1000, 64);
    const lookup = await viaSource.lookup(proof);
    for (const id of proof) expect(lookup(id)).toEqual(rows.stored(id));
    const belowFloor = proof.filter((id) => id.level < 5).length;
    expect(belowFloor).toBeGreaterThanOrEqual(5);
    expect(belowFloor).toBeLessThanOrEqual(STORE_LIMITS.logNodesSynchronousReadsMax);
    expect(calls).toEqual(Array.from({ length: belowFloor }, () => ({ kind: 'sync', keys: 1 })));

    calls.length = 0;
    const many = Array.from({ length: STORE_LIMITS.logNodesSynchronousReadsMax + 1 }, (_, index) => storeKeys.merkleNode(0, index));
    const values = await source.getMany(many);
    expect(values.map((value) => value?.length)).toEqual(many.map(() => 32));
    expect(calls).toEqual([{ kind: 'batch', keys: many.length }]);
  });
});
