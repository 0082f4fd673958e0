/**
 * prefetchUpdateReads (ledger/state-tree/prefetch.ts): the nodes fetched, a depth at a time, are
 * exactly the nodes the update then reads, so the update runs from memory with no read of its own,
 * and gives the same tree as reading node by node. Over versioned nodes, as a store keeps them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import {
  EMPTY_CHILD,
  positionKey,
  prefetchUpdateReads,
  prepareWrites,
  updateStateTree,
  withPrefetched,
  type Child,
  type InternalNode,
  type NodeChanges,
  type NodePosition,
  type NodeRequest,
  type StateTreeNodes,
} from '../../../ledger/state-tree/index.js';

/** Every version of every node, as a store holds the retained trees; reads are recorded. */
class VersionedNodes implements StateTreeNodes {
  private readonly nodes = new Map<string, InternalNode>();
  readonly reads: string[] = [];

  static identity(position: NodePosition, version: number): string {
    return `${positionKey(position)}@${version}`;
  }

  node(position: NodePosition, version: number): InternalNode | undefined {
    this.reads.push(VersionedNodes.identity(position, version));
    return this.nodes.get(VersionedNodes.identity(position, version));
  }

  apply(changes: NodeChanges): void {
    for (const created of changes.created) this.nodes.set(VersionedNodes.identity(created.position, created.version), created.node);
  }
}

const key = fc.integer({ min: 0, max: 3000 }).map((number) => `lot/${number}`);
const value: fc.Arbitrary<JsonValue> = fc.oneof(fc.integer(), fc.string({ maxLength: 6 }));
const block = fc.uniqueArray(fc.record({ key, value: fc.option(value, { nil: null, freq: 4 }) }), { selector: (write) => write.key, maxLength: 150 });

describe('prefetching a state tree update', () => {
  it('fetches exactly what the update reads, a depth per batch, and the update then reads nothing itself', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(block, { minLength: 1, maxLength: 6 }), async (blocks) => {
        const stored = new VersionedNodes();
        // A base of 1,200 keys, so the tree is four or five levels deep.
        const base = updateStateTree(stored, EMPTY_CHILD, 0, prepareWrites(Array.from({ length: 1200 }, (_, index) => ({ key: `lot/${index * 2}`, value: index }))));
        stored.apply(base.changes);
        let root: Child = base.root;
        for (const [index, writes] of blocks.entries()) {
          const version = index + 1;
          const prepared = prepareWrites(writes);
          const batches: NodeRequest[][] = [];
          const fetched = await prefetchUpdateReads(root, prepared, async (requests) => {
            batches.push([...requests]);
            return requests.map((request) => stored.node(request.position, request.version));
          });
          // One batch per depth: no depth is fetched twice.
          const depths = batches.map((batch) => new Set(batch.map((request) => request.position.depth)));
          for (const set of depths) expect(set.size).toBe(1);
          expect(new Set(depths.map((set) => [...set][0])).size).toBe(batches.length);

          const readByItself: string[] = [];
          const fallback: StateTreeNodes = { node: (position, nodeVersion) => (readByItself.push(VersionedNodes.identity(position, nodeVersion)), stored.node(position, nodeVersion)) };
          const prefetched = updateStateTree(withPrefetched(fetched, fallback), root, version, prepared);
          expect(readByItself).toEqual([]);

          stored.reads.length = 0;
          const direct = updateStateTree(stored, root, version, prepared);
          expect([...fetched.keys()].sort()).toEqual([...new Set(stored.reads)].sort());
          expect(prefetched.root).toEqual(direct.root);
          expect(prefetched.changes.created.map((created) => VersionedNodes.identity(created.position, created.version))).toEqual(
            direct.changes.created.map((created) => VersionedNodes.identity(created.position, created.version)),
          );
          stored.apply(direct.changes);
          root = direct.root;
        }
      }),
      { numRuns: 25 },
    );
  });

  it('leaves a node the store lacks to the update, which finds the same absence', async () => {
    const stored = new VersionedNodes();
    const base = updateStateTree(stored, EMPTY_CHILD, 0, prepareWrites(Array.from({ length: 300 }, (_, index) => ({ key: `lot/${index}`, value: index }))));
    // Nothing stored: the root's node is missing.
    const prepared = prepareWrites([{ key: 'lot/7', value: 'changed' }]);
    const fetched = await prefetchUpdateReads(base.root, prepared, async (requests) => requests.map(() => undefined));
    expect(fetched.size).toBe(0);
    expect(() => updateStateTree(withPrefetched(fetched, stored), base.root, 1, prepared)).toThrow(/missing/);
  });
});
