/**
 * The state tree (ledger/state-tree/): its root depends only on the state, not on the order or
 * history of writes; proofs of present and absent keys verify, and fail for a wrong value, a
 * wrong key, a tampered sibling and a wrong root; and its depth stays near log16 of the keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { toHex } from '../../../ledger/encoding/hex.js';
import { sortWriteSet, type StateWrite } from '../../../ledger/model/state.js';
import { EMPTY_SUBTREE, MemoryStateTree, verifyStateTreeProof, leafHashOf, keyHashOf, valueHashOf, encodeNode, decodeNode, encodeChild, decodeChild, nibbleAt, type StateTreeProof } from '../../../ledger/state-tree/index.js';
import { fromHex } from '../../../ledger/encoding/hex.js';

const key = fc.stringMatching(/^[a-z]{1,3}\/[a-z0-9]{0,4}$/);
const value: fc.Arbitrary<JsonValue> = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.record({ holder: fc.string({ maxLength: 4 }), quarantined: fc.boolean() }));
const write = fc.record({ key, value: fc.option(value, { nil: null, freq: 3 }) });
/** Blocks of writes, each a canonical write set (a key once per block). */
const blocks = fc.array(fc.uniqueArray(write, { selector: (entry) => entry.key, maxLength: 24 }), { minLength: 1, maxLength: 8 });

function finalState(history: StateWrite[][]): Map<string, JsonValue> {
  const state = new Map<string, JsonValue>();
  for (const writes of history) for (const entry of writes) entry.value === null ? state.delete(entry.key) : state.set(entry.key, entry.value);
  return state;
}

function treeOf(history: StateWrite[][]): MemoryStateTree {
  const tree = new MemoryStateTree();
  for (const writes of history) tree.apply(sortWriteSet(writes));
  return tree;
}

function fromScratch(state: Map<string, JsonValue>): MemoryStateTree {
  const tree = new MemoryStateTree();
  tree.apply(sortWriteSet([...state].map(([entryKey, entryValue]) => ({ key: entryKey, value: entryValue }))));
  return tree;
}

describe('the state tree', () => {
  it('gives the same root whatever the order of writes within a block', () => {
    fc.assert(
      fc.property(blocks, fc.integer(), (history, seed) => {
        const shuffled = history.map((writes) => [...writes].sort(() => 0).reverse().sort((a, b) => ((a.key.length * 31 + seed) % 7) - ((b.key.length * 31 + seed) % 7)));
        const inOrder = new MemoryStateTree();
        const otherOrder = new MemoryStateTree();
        for (const [index, writes] of history.entries()) {
          inOrder.apply(sortWriteSet(writes));
          otherOrder.apply(shuffled[index]!);
        }
        expect(otherOrder.root).toBe(inOrder.root);
      }),
    );
  });

  it('after any sequence of inserts and deletes, equals the tree built from scratch from the final state, node for node', () => {
    fc.assert(
      fc.property(blocks, (history) => {
        const incremental = treeOf(history);
        const rebuilt = fromScratch(finalState(history));
        expect(incremental.root).toBe(rebuilt.root);
        // No node left behind by deletions: the same number of internal nodes.
        expect(incremental.size).toBe(rebuilt.size);
      }),
    );
  });

  it('has the empty hash as the root of an empty state, a leaf hash as the root of one key', () => {
    const tree = new MemoryStateTree();
    expect(tree.apply([])).toBe(toHex(EMPTY_SUBTREE));
    expect(tree.apply([{ key: 'item/a', value: 1 }])).toBe(toHex(leafHashOf(keyHashOf('item/a'), valueHashOf(1))));
    expect(tree.apply([{ key: 'item/a', value: null }])).toBe(toHex(EMPTY_SUBTREE));
    expect(tree.size).toBe(0);
  });

  it('proves present keys with their values and absent keys, and nothing else', () => {
    fc.assert(
      fc.property(blocks, key, (history, probe) => {
        const tree = treeOf(history);
        const state = finalState(history);
        const root = fromHex(tree.root);
        for (const candidate of [...state.keys(), probe]) {
          const proof = tree.prove(candidate);
          const held = state.get(candidate) ?? null;
          expect(verifyStateTreeProof(candidate, held, proof, root)).toEqual({ ok: true });
          // The other claim about the same key fails: absent when present, present when absent, another value.
          expect(verifyStateTreeProof(candidate, held === null ? 'something' : null, proof, root).ok).toBe(false);
          if (held !== null) expect(verifyStateTreeProof(candidate, { not: held }, proof, root).ok).toBe(false);
          // A wrong root.
          const otherRoot = new Uint8Array(root);
          otherRoot[0]! ^= 1;
          expect(verifyStateTreeProof(candidate, held, proof, otherRoot).ok).toBe(false);
          // A tampered sibling, a sibling said to be empty, an empty child said to be there.
          for (const [depth, level] of proof.levels.entries()) {
            const at = (change: (copy: StateTreeProof['levels'][number]) => void): StateTreeProof => {
              const copy = structuredClone(proof);
              change(copy.levels[depth]!);
              return copy;
            };
            for (const index of level.hashes.keys()) {
              expect(verifyStateTreeProof(candidate, held, at((copy) => (copy.hashes[index] = flipHex(copy.hashes[index]!))), root).ok).toBe(false);
            }
            if (level.hashes.length > 0) {
              const first = 15 - Math.floor(Math.log2(level.mask));
              expect(verifyStateTreeProof(candidate, held, at((copy) => ((copy.mask &= ~(0x8000 >> first)), copy.hashes.shift())), root).ok).toBe(false);
            }
            const emptySlot = Array.from({ length: 16 }, (_, slot) => slot).find((slot) => (level.mask & (0x8000 >> slot)) === 0 && slot !== nibbleAt(keyHashOf(candidate), depth));
            if (emptySlot !== undefined) {
              const claimed = at((copy) => {
                copy.mask |= 0x8000 >> emptySlot;
                const before = Array.from({ length: emptySlot }, (_, slot) => slot).filter((slot) => (level.mask & (0x8000 >> slot)) !== 0).length;
                copy.hashes.splice(before, 0, '00'.repeat(32));
              });
              expect(verifyStateTreeProof(candidate, held, claimed, root).ok).toBe(false);
            }
          }
        }
      }),
    );
  });

  it('refuses a proof for another key, and an absence proof whose leaf is off the path or the key’s own', () => {
    const tree = new MemoryStateTree();
    const keys = Array.from({ length: 64 }, (_, index) => `item/${index}`);
    tree.apply(sortWriteSet(keys.map((entry) => ({ key: entry, value: entry }))));
    const root = fromHex(tree.root);
    const proof = tree.prove('item/7');
    expect(verifyStateTreeProof('item/7', 'item/7', proof, root)).toEqual({ ok: true });
    expect(verifyStateTreeProof('item/8', 'item/7', proof, root).ok).toBe(false);
    expect(verifyStateTreeProof('item/8', null, proof, root).ok).toBe(false);
    // An absent key whose path ends at another leaf: that leaf cannot be moved onto another key's path.
    const absent = Array.from({ length: 200 }, (_, index) => `absent/${index}`).map((entry) => ({ entry, proof: tree.prove(entry) })).find((candidate) => candidate.proof.leaf !== undefined)!;
    expect(verifyStateTreeProof(absent.entry, null, absent.proof, root)).toEqual({ ok: true });
    const ownLeaf = { levels: proof.levels, leaf: { keyHash: toHex(keyHashOf('item/7')), valueHash: toHex(valueHashOf('item/7')) } };
    expect(verifyStateTreeProof('item/7', null, ownLeaf, root)).toMatchObject({ ok: false, reason: expect.stringContaining('present') });
    const offPath = tree.prove('item/7');
    const someLeaf = { levels: offPath.levels, leaf: absent.proof.leaf! };
    expect(verifyStateTreeProof('item/7', null, someLeaf, root).ok).toBe(false);
    // Malformed hashes and overlong paths are refused, not thrown.
    expect(verifyStateTreeProof('item/7', 'item/7', { levels: [{ mask: 1, hashes: ['zz'] }] }, root).ok).toBe(false);
    expect(verifyStateTreeProof('item/7', 'item/7', { levels: [{ mask: 0x10000, hashes: [] }] }, root).ok).toBe(false);
    expect(verifyStateTreeProof('item/7', 'item/7', { levels: [{ mask: 3, hashes: ['00'.repeat(32)] }] }, root).ok).toBe(false);
    expect(verifyStateTreeProof('item/7', 'item/7', { levels: Array(65).fill({ mask: 0, hashes: [] }) }, root).ok).toBe(false);
  });

  it('keeps paths near log16 of the number of keys, not 64 deep', () => {
    const tree = new MemoryStateTree();
    const keys = Array.from({ length: 4096 }, (_, index) => `item/urn:epc:id:sgtin:0614141.107346.${index}`);
    tree.apply(sortWriteSet(keys.map((entry) => ({ key: entry, value: 1 }))));
    const depths = keys.map((entry) => tree.prove(entry).levels.length);
    // log16(4096) = 3; a random key set's deepest pair shares about 2 log16(n) nibbles.
    expect(Math.max(...depths)).toBeLessThanOrEqual(8);
    expect(depths.reduce((sum, depth) => sum + depth, 0) / depths.length).toBeLessThan(4.5);
    // Each node holds two or more keys and splits them up to sixteen ways.
    expect(tree.size).toBeGreaterThanOrEqual(Math.ceil((keys.length - 1) / 15));
    expect(tree.size).toBeLessThan(keys.length / 2);
  });

  it('encodes nodes and roots so that they decode to the same children', () => {
    const tree = new MemoryStateTree();
    tree.apply(sortWriteSet(['a', 'b', 'c'].map((entry) => ({ key: entry, value: entry }))));
    const root = tree.rootNode;
    expect(decodeChild(encodeChild(root))).toEqual(root);
    const node = tree.node({ depth: 0, keyHash: keyHashOf('a') })!;
    expect(decodeNode(encodeNode(node))).toEqual(node);
  });
});

function flipHex(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}
