/**
 * The append frontier (RFC 9162 section 2.1.1 tree hashing, grown one leaf at a time): its
 * roots match the in-memory log and a naive MTH, the nodes each append reports are exactly
 * the complete subtrees that leaf finishes, and reloading from stored nodes restores it.
 */
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../ledger/assert.js';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import { concatBytes, toHex } from '../../../ledger/encoding/hex.js';
import {
  EMPTY_ROOT,
  MemoryMerkleLog,
  MerkleFrontier,
  type NodeWrite,
  leafHash,
  nodesForRoot,
} from '../../../ledger/merkle/index.js';

/** MTH by the RFC 9162 section 2.1.1 recursion, straight from raw SHA-256. */
function naiveTreeHash(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return sha256(concatBytes(new Uint8Array([1]), naiveTreeHash(leaves.slice(0, split)), naiveTreeHash(leaves.slice(split))));
}

const leafCount = 150;
const leaves = Array.from({ length: leafCount }, (_, index) => leafHash(new TextEncoder().encode(`frontier leaf ${index}`)));

/** The nodes finished by appending leaf `leafIndex`: each level whose aligned block it closes. */
function naiveCompletedNodes(leafIndex: number): string[] {
  const completed: string[] = [];
  for (let level = 0; (leafIndex + 1) % 2 ** level === 0; level++) {
    const width = 2 ** level;
    const index = (leafIndex + 1) / width - 1;
    completed.push(`${level}/${index}=${toHex(naiveTreeHash(leaves.slice(index * width, (index + 1) * width)))}`);
  }
  return completed;
}

const describeWrites = (writes: NodeWrite[]): string[] => writes.map(({ id, hash }) => `${id.level}/${id.index}=${toHex(hash)}`);

describe('MerkleFrontier', () => {
  it('starts empty with the empty root', () => {
    const frontier = MerkleFrontier.empty();
    expect(frontier.size).toBe(0);
    expect(toHex(frontier.root())).toBe(toHex(EMPTY_ROOT));
    expect(frontier.nodes).toEqual([]);
  });

  it('grows with the same roots as the memory log and the naive tree hash', () => {
    const frontier = MerkleFrontier.empty();
    const log = new MemoryMerkleLog();
    const mismatches: string[] = [];
    for (let index = 0; index < leafCount; index++) {
      frontier.append(leaves[index]!);
      log.appendLeafHash(leaves[index]!);
      const expected = toHex(naiveTreeHash(leaves.slice(0, index + 1)));
      if (toHex(frontier.root()) !== expected) mismatches.push(`frontier root at size ${index + 1}`);
      if (toHex(log.root()) !== expected) mismatches.push(`log root at size ${index + 1}`);
    }
    expect(mismatches).toEqual([]);
    expect(frontier.size).toBe(leafCount);
  });

  it('reports exactly the complete subtrees each leaf finishes, leaf first', () => {
    const frontier = MerkleFrontier.empty();
    const everyWrite = new Set<string>();
    for (let index = 0; index < leafCount; index++) {
      const writes = frontier.append(leaves[index]!);
      expect(describeWrites(writes)).toEqual(naiveCompletedNodes(index));
      for (const write of writes) everyWrite.add(`${write.id.level}/${write.id.index}`);
    }
    // Over the whole run: every complete aligned subtree of the final tree, once.
    let completeSubtrees = 0;
    for (let width = 1; width <= leafCount; width *= 2) completeSubtrees += Math.floor(leafCount / width);
    expect(everyWrite.size).toBe(completeSubtrees);
  });

  it('holds the root nodes of its size, largest first', () => {
    const frontier = MerkleFrontier.empty();
    for (let index = 0; index < leafCount; index++) {
      frontier.append(leaves[index]!);
      expect(frontier.nodes.map(({ id }) => id)).toEqual(nodesForRoot(index + 1));
    }
  });

  it('is restored from stored nodes at every size, and then grows identically', () => {
    const log = new MemoryMerkleLog();
    const original = MerkleFrontier.empty();
    for (let size = 0; size < leafCount; size++) {
      const restored = MerkleFrontier.fromNodes(size, log.lookup);
      expect(restored.size).toBe(size);
      expect(describeWrites(restored.nodes)).toEqual(describeWrites(original.nodes));
      expect(toHex(restored.root())).toBe(toHex(original.root()));
      const next = leaves[size]!;
      expect(describeWrites(restored.append(next))).toEqual(describeWrites(original.append(next)));
      expect(toHex(restored.root())).toBe(toHex(original.root()));
      log.appendLeafHash(next);
    }
  });

  it('clones independently', () => {
    const original = MerkleFrontier.empty();
    for (const leaf of leaves.slice(0, 5)) original.append(leaf);
    const copy = original.clone();
    copy.append(leaves[5]!);
    expect(original.size).toBe(5);
    expect(toHex(original.root())).toBe(toHex(naiveTreeHash(leaves.slice(0, 5))));
    expect(copy.size).toBe(6);
    expect(toHex(copy.root())).toBe(toHex(naiveTreeHash(leaves.slice(0, 6))));
  });

  it('is not changed when the caller reuses its leaf buffer', () => {
    const frontier = MerkleFrontier.empty();
    const buffer = leaves[0]!.slice();
    frontier.append(buffer);
    buffer.fill(0);
    expect(toHex(frontier.root())).toBe(toHex(leaves[0]!));
  });

  it('refuses a leaf that is not a 32-byte hash', () => {
    expect(() => MerkleFrontier.empty().append(new Uint8Array(31))).toThrow(InvariantError);
  });

  it('refuses to reload from a store missing a node', () => {
    const log = new MemoryMerkleLog();
    for (const leaf of leaves.slice(0, 3)) log.appendLeafHash(leaf);
    expect(() => MerkleFrontier.fromNodes(4, log.lookup)).toThrow(/not stored/);
  });
});
