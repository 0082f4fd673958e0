/**
 * A state tree node held as its row (ledger/state-tree/nodes.ts): decoded lazily, it gives the
 * same children as an eager decoding written here from docs/encoding.md section 11; a row
 * rebuilt from an older one by copying its unchanged children is byte for byte the row written
 * from all sixteen children; the node's hash taken from its row is the hash of its children; and
 * a damaged row is refused when read, not when a child is asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import {
  buildNode,
  decodeNode,
  EMPTY_CHILD,
  encodeNode,
  HASH_BYTES,
  internalHashOf,
  internalHashOfNode,
  InternalNode,
  leafHashOf,
  MemoryStateTree,
  RADIX,
  type Child,
} from '../../../ledger/state-tree/index.js';
import { sortWriteSet } from '../../../ledger/model/state.js';

const hash = fc.uint8Array({ minLength: HASH_BYTES, maxLength: HASH_BYTES });
/** Heights below 2^53, the edges included. */
const height = fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.nat({ max: Number.MAX_SAFE_INTEGER }));
const child: fc.Arbitrary<Child> = fc.oneof(
  fc.constant(EMPTY_CHILD),
  fc.record({ kind: fc.constant('leaf' as const), hash, keyHash: hash, valueHash: hash, valueHeight: height }),
  fc.record({ kind: fc.constant('internal' as const), hash, version: height }),
);
const children = fc.array(child, { minLength: RADIX, maxLength: RADIX });
/** Some slots replaced (a child, possibly empty: a deletion), the others kept. */
const replacements = fc.array(fc.option(child, { nil: undefined, freq: 2 }), { minLength: RADIX, maxLength: RADIX });

function heightBytes(value: number): number[] {
  const out: number[] = [];
  for (let index = 7; index >= 0; index--) out.push(Math.floor(value / 2 ** (8 * index)) % 256);
  return out;
}

/** The row as section 11 states it, written the plain way: mask, then each non-empty child in slot order. */
function referenceRow(all: readonly Child[]): Uint8Array {
  let mask = 0;
  const body: number[] = [];
  all.forEach((entry, slot) => {
    if (entry.kind === 'empty') return;
    mask |= 1 << (15 - slot);
    if (entry.kind === 'leaf') body.push(1, ...entry.hash, ...entry.keyHash, ...entry.valueHash, ...heightBytes(entry.valueHeight));
    else body.push(2, ...entry.hash, ...heightBytes(entry.version));
  });
  return Uint8Array.from([mask >> 8, mask & 0xff, ...body]);
}

/** The eager decoding: sixteen children read in one pass. */
function referenceChildren(row: Uint8Array): Child[] {
  const mask = (row[0]! << 8) | row[1]!;
  const readHeight = (at: number) => row.subarray(at, at + 8).reduce((sum, byte) => sum * 256 + byte, 0);
  let at = 2;
  return Array.from({ length: RADIX }, (_, slot): Child => {
    if ((mask & (1 << (15 - slot))) === 0) return EMPTY_CHILD;
    if (row[at] === 1) {
      const leaf: Child = { kind: 'leaf', hash: row.slice(at + 1, at + 33), keyHash: row.slice(at + 33, at + 65), valueHash: row.slice(at + 65, at + 97), valueHeight: readHeight(at + 97) };
      at += 105;
      return leaf;
    }
    const internal: Child = { kind: 'internal', hash: row.slice(at + 1, at + 33), version: readHeight(at + 33) };
    at += 41;
    return internal;
  });
}

/** Children compared by value, whatever views hold their bytes. */
function plain(entries: readonly Child[]): unknown[] {
  return entries.map((entry) => (entry.kind === 'leaf' ? { ...entry, hash: [...entry.hash], keyHash: [...entry.keyHash], valueHash: [...entry.valueHash] } : { ...entry, hash: [...entry.hash] }));
}

describe('a state tree node held as its row', () => {
  it('decodes lazily to the same children as the eager decoding, and encodes to the row it came from', () => {
    fc.assert(
      fc.property(children, (all) => {
        const row = referenceRow(all);
        const node = decodeNode(row);
        expect(plain(node.children)).toEqual(plain(referenceChildren(row)));
        expect(plain(node.children)).toEqual(plain(all));
        for (let slot = 0; slot < RADIX; slot++) {
          expect(node.isEmpty(slot)).toBe(all[slot]!.kind === 'empty');
        }
        expect([...encodeNode(node)]).toEqual([...row]);
        expect([...InternalNode.fromChildren(all).bytes]).toEqual([...row]);
        expect([...internalHashOfNode(node)]).toEqual([...internalHashOf(all.map((entry) => entry.hash))]);
      }),
    );
  });

  it('rebuilds a row from an older one and some replaced children exactly as from all sixteen', () => {
    fc.assert(
      fc.property(children, replacements, (before, replaced) => {
        const base = InternalNode.fromChildren(before);
        const merged = before.map((entry, slot) => replaced[slot] ?? entry);
        const rebuilt = buildNode(base, replaced);
        expect([...rebuilt.bytes]).toEqual([...referenceRow(merged)]);
        expect(plain(rebuilt.children)).toEqual(plain(merged));
        // The offsets it noted as it went are the ones a fresh read finds.
        expect(plain(decodeNode(rebuilt.bytes).children)).toEqual(plain(rebuilt.children));
        expect([...internalHashOfNode(rebuilt)]).toEqual([...internalHashOf(merged.map((entry) => entry.hash))]);
        // The older node is untouched.
        expect(plain(base.children)).toEqual(plain(before));
      }),
    );
  });

  it('agrees with the eager decoding on every node of random trees', () => {
    const key = fc.stringMatching(/^[a-z]{1,2}\/[a-z0-9]{0,3}$/);
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.record({ key, value: fc.option(fc.integer(), { nil: null, freq: 4 }) }), { selector: (entry) => entry.key, maxLength: 40 }), { minLength: 1, maxLength: 6 }), (history) => {
        const tree = new MemoryStateTree();
        for (const writes of history) tree.apply(sortWriteSet(writes));
        const walk = (at: Child, depth: number, keyHash: Uint8Array): void => {
          if (at.kind !== 'internal') return;
          const node = tree.node({ depth, keyHash })!;
          const row = encodeNode(node);
          const eager = referenceChildren(row);
          expect(plain(node.children)).toEqual(plain(eager));
          expect([...referenceRow(eager)]).toEqual([...row]);
          expect([...sha256(Uint8Array.from([1, ...eager.flatMap((entry) => [...entry.hash])]))]).toEqual([...at.hash]);
          eager.forEach((below, slot) => {
            const under = new Uint8Array(keyHash);
            under[depth >> 1] = (depth & 1) === 0 ? (slot << 4) | (under[depth >> 1]! & 15) : (under[depth >> 1]! & 0xf0) | slot;
            if (below.kind === 'leaf') expect([...below.hash]).toEqual([...leafHashOf(below.keyHash, below.valueHash)]);
            walk(below, depth + 1, under);
          });
        };
        walk(tree.rootNode, 0, new Uint8Array(HASH_BYTES));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a damaged row when it is read: too short, an unknown tag, a child cut off, trailing bytes', () => {
    const leaf: Child = { kind: 'leaf', hash: new Uint8Array(32).fill(1), keyHash: new Uint8Array(32).fill(2), valueHash: new Uint8Array(32).fill(3), valueHeight: 7 };
    const row = referenceRow([leaf, { kind: 'internal', hash: new Uint8Array(32).fill(4), version: 9 }, ...Array<Child>(14).fill(EMPTY_CHILD)]);
    expect(() => decodeNode(row.subarray(0, 1))).toThrow(/too short/);
    const badTag = row.slice();
    badTag[2] = 3;
    expect(() => decodeNode(badTag)).toThrow(/unknown child tag/);
    expect(() => decodeNode(row.subarray(0, row.length - 1))).toThrow(/ends inside a child/);
    expect(() => decodeNode(row.subarray(0, 2 + 50))).toThrow(/ends inside a leaf/);
    expect(() => decodeNode(Uint8Array.from([...row, 0]))).toThrow(/trailing bytes/);
    // A mask naming a child the row does not hold.
    const missing = row.slice();
    missing[1] = 0x01;
    expect(() => decodeNode(missing)).toThrow(/ends inside|unknown child tag/);
  });
});
