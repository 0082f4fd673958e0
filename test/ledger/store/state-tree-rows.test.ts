import { describe, expect, it } from 'vitest';
import { EMPTY_CHILD, encodeNode, prepareWrites, updateStateTree, type InternalNode, type NodeChanges, type StateTreeNodes } from '../../../ledger/state-tree/index.js';
import { CachedStateTreeNodes, putStateTreeHeight, stateTreeKeys, STATE_NODES_CACHED_MAX, type RowBatch } from '../../../ledger/store/state-tree-rows.js';

/** The rows an in-memory batch received. */
function recordingBatch(): RowBatch & { rows: Map<string, Uint8Array> } {
  const rows = new Map<string, Uint8Array>();
  return { rows, put: (key, value) => rows.set(key, value), del: (key) => rows.delete(key) };
}

/** The new nodes of one height, as an append makes them: each block writes fresh keys into a tree that starts empty. */
function heightOfNodes(height: number, writes: number): NodeChanges {
  const none: StateTreeNodes = { node: () => undefined };
  const prepared = prepareWrites(Array.from({ length: writes }, (_, index) => ({ key: `lot/${height}/${index}`, value: { height, index } })));
  return updateStateTree(none, EMPTY_CHILD, height, prepared).changes;
}

describe('CachedStateTreeNodes', () => {
  it('keeps the most recent nodes an append wrote, at most STATE_NODES_CACHED_MAX, and reads the rest from the store', () => {
    const batch = recordingBatch();
    const reads: string[] = [];
    const cache = new CachedStateTreeNodes((key) => {
      reads.push(key);
      return batch.rows.get(key);
    });
    const heights: Array<{ changes: NodeChanges; keys: string[] }> = [];
    let created = 0;
    for (let height = 1; created < 3 * STATE_NODES_CACHED_MAX; height++) {
      const changes = heightOfNodes(height, 40);
      const keys = putStateTreeHeight(batch, height, EMPTY_CHILD, changes);
      expect(keys).toEqual(changes.created.map((node) => stateTreeKeys.node(node.position, node.version)));
      cache.remember(changes, keys);
      heights.push({ changes, keys });
      created += keys.length;
      expect(cache.size).toBeLessThanOrEqual(STATE_NODES_CACHED_MAX);
    }
    expect(cache.size).toBeGreaterThanOrEqual(STATE_NODES_CACHED_MAX / 2);

    // The latest half of the bound is always held: the same node objects, no store read.
    const latest = heights.flatMap(({ changes }) => changes.created).slice(-STATE_NODES_CACHED_MAX / 2);
    for (const node of latest) {
      expect(cache.peek(node.position, node.version)).toBe(node.node);
      expect(cache.node(node.position, node.version)).toBe(node.node);
    }
    expect(reads).toEqual([]);

    // The first height's nodes were forgotten: read from the store, decoded, then held again.
    const first = heights[0]!.changes.created[0]!;
    expect(cache.peek(first.position, first.version)).toBeUndefined();
    const read = cache.node(first.position, first.version) as InternalNode;
    expect(reads).toEqual([stateTreeKeys.node(first.position, first.version)]);
    expect(encodeNode(read)).toEqual(encodeNode(first.node));
    expect(cache.node(first.position, first.version)).toBe(read);
    expect(reads).toHaveLength(1);
    expect(cache.size).toBeLessThanOrEqual(STATE_NODES_CACHED_MAX);
  });

  it('refuses keys that do not match the new nodes one for one', () => {
    const changes = heightOfNodes(1, 3);
    const cache = new CachedStateTreeNodes(() => undefined);
    expect(() => cache.remember(changes, [])).toThrow(/keys for/);
  });
});
