/**
 * The layered state tree (ledger/state-tree/layered-tree.ts), whose nodes below the upper levels
 * wait in memory and then move to a lower store in batches: after every block, whatever the
 * depth kept in memory and wherever the batches fall (one still being written included), it has
 * the same root as MemoryStateTree, the same proofs for every key, and once all is written, the
 * same nodes, none left behind by deletions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { sortWriteSet } from '../../../ledger/model/state.js';
import { LayeredStateTree, type PendingNodes } from '../../../ledger/state-tree/layered-tree.js';
import { MemoryStateTree, type InternalNode } from '../../../ledger/state-tree/index.js';

/** Few enough keys (132) that later blocks rewrite and delete what earlier ones wrote. */
const key = fc.stringMatching(/^[a-c]{1,2}\/[0-9]?$/);
const value: fc.Arbitrary<JsonValue> = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.record({ holder: fc.string({ maxLength: 4 }), quarantined: fc.boolean() }));
/** null deletes, often enough that subtrees collapse. */
const write = fc.record({ key, value: fc.option(value, { nil: null, freq: 3 }) });
/** Each block: its writes (a key once), and what happens to the waiting nodes after it. */
const block = fc.record({
  writes: fc.uniqueArray(write, { selector: (entry) => entry.key, maxLength: 40 }),
  batch: fc.constantFrom('none', 'take', 'take-and-write'),
});

/** A lower store in a Map, written as the scratch database is: a batch at a time. */
class MapLower {
  readonly rows = new Map<string, InternalNode>();
  get(positionKey: string): InternalNode | undefined {
    return this.rows.get(positionKey);
  }
  write(changes: PendingNodes): void {
    for (const [positionKey, node] of changes) node === null ? this.rows.delete(positionKey) : this.rows.set(positionKey, node);
  }
}

describe('the layered state tree', () => {
  it('gives the roots and proofs of the in-memory tree after every block, wherever its batches fall', () => {
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 3 }), key, (history, memoryDepth, probe) => {
        const lower = new MapLower();
        const layered = new LayeredStateTree(lower, memoryDepth);
        const memory = new MemoryStateTree();
        let inFlight: PendingNodes | undefined;
        const state = new Map<string, JsonValue>();
        expect(layered.apply([])).toBe(memory.apply([]));
        for (const { writes, batch } of history) {
          const sorted = sortWriteSet(writes);
          expect(layered.apply(sorted)).toBe(memory.apply(sorted));
          for (const entry of writes) entry.value === null ? state.delete(entry.key) : state.set(entry.key, entry.value);
          // A batch taken is written only later (or at the next take): reads meanwhile come from memory.
          if (batch !== 'none') {
            if (inFlight !== undefined) {
              lower.write(inFlight);
              layered.flushed();
            }
            inFlight = layered.takePending();
            if (batch === 'take-and-write') {
              lower.write(inFlight);
              layered.flushed();
              inFlight = undefined;
            }
          }
          for (const candidate of [...state.keys(), probe]) expect(layered.prove(candidate)).toEqual(memory.prove(candidate));
        }
        if (inFlight !== undefined) {
          lower.write(inFlight);
          layered.flushed();
        }
        lower.write(layered.takePending());
        layered.flushed();
        // Every node below the kept depths is in the lower store, and nothing else is.
        const upperCount = [...upperPositions(memory, memoryDepth)].length;
        expect(lower.rows.size + upperCount).toBe(memory.size);
        for (const candidate of [...state.keys(), probe]) expect(layered.prove(candidate)).toEqual(memory.prove(candidate));
      }),
    );
  });

  it('refuses a second batch before the first is written', () => {
    const layered = new LayeredStateTree(new MapLower(), 0);
    layered.apply([{ key: 'a/1', value: 1 }, { key: 'b/2', value: 2 }]);
    layered.takePending();
    expect(() => layered.takePending()).toThrow(/before the last one was written/);
  });
});

/** The in-memory tree's nodes at depths below `memoryDepth` (a position key starts with its depth in two hex digits). */
function* upperPositions(memory: MemoryStateTree, memoryDepth: number): Generator<string> {
  for (const positionKey of memory.positionKeys()) if (Number.parseInt(positionKey.slice(0, 2), 16) < memoryDepth) yield positionKey;
}
