/**
 * Proof planning and assembly at scale (RFC 9162 sections 2.1.3.1 and 2.1.4.1): plans name
 * O(log n) stored nodes, the nodes tile exactly the leaves the proof must cover, and assembly
 * reads each planned node once and nothing else. Sizes reach 2^48, far past 32-bit integers,
 * using lookups that need no real tree: a counting one with arbitrary distinct hashes, and a
 * "uniform" tree whose leaves are all equal, so that every node of a level has the same hash
 * and real proofs of giant trees can be checked with the verifier.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import {
  EMPTY_ROOT,
  MERKLE_SIZE_MAX,
  type NodeId,
  buildConsistencyProof,
  buildInclusionProof,
  leafHash,
  nodeHash,
  nodesForConsistencyProof,
  nodesForInclusionProof,
  nodesForRoot,
  rootFromNodes,
  verifyConsistency,
  verifyInclusion,
} from '../../../ledger/merkle/index.js';

/** Deterministic xorshift so that the sampled sizes are the same on every run. */
function sampler(seed: number): (limit: number) => number {
  let state = seed;
  return (limit) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const high = (state >>> 0) / 2 ** 32;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const low = (state >>> 0) / 2 ** 32;
    return Math.floor((high + low / 2 ** 32) * limit);
  };
}

const random = sampler(0x5eed);
const sizes: number[] = [];
for (let size = 1; size <= 130; size++) sizes.push(size);
for (let exponent = 7; exponent <= 48; exponent++) {
  for (const offset of [-1, 0, 1, 3]) {
    const size = 2 ** exponent + offset;
    if (size <= MERKLE_SIZE_MAX) sizes.push(size);
  }
}
for (let sample = 0; sample < 80; sample++) sizes.push(1 + random(2 ** 40));
for (let sample = 0; sample < 30; sample++) sizes.push(1 + random(MERKLE_SIZE_MAX));

function indicesOf(size: number): number[] {
  const candidates = [0, 1, size - 2, size - 1, Math.floor(size / 2), random(size), random(size)];
  return [...new Set(candidates.filter((index) => index >= 0 && index < size))];
}

function oldSizesOf(newSize: number): number[] {
  const candidates = [1, 2, 3, newSize - 1, newSize, Math.floor(newSize / 2), 2 ** Math.floor(Math.log2(newSize)), 1 + random(newSize)];
  return [...new Set(candidates.filter((oldSize) => oldSize >= 1 && oldSize <= newSize))];
}

/** The bound the plans must meet: 2 * ceil(log2 n) + 2 node reads. */
function readBound(size: number): number {
  let ceilingLog = 0;
  while (2 ** ceilingLog < size) ceilingLog++;
  return 2 * ceilingLog + 2;
}

const key = (id: NodeId): string => `${id.level}/${id.index}`;

/** Distinct per node and cheap: the level and index written into otherwise zero bytes. */
function fakeHash(id: NodeId): Uint8Array {
  const hash = new Uint8Array(32);
  const view = new DataView(hash.buffer);
  view.setUint32(0, id.level);
  view.setFloat64(8, id.index);
  return hash;
}

/** A lookup over arbitrary distinct hashes that records what it is asked for. */
function countingLookup(): { lookup: (id: NodeId) => Uint8Array; reads: string[] } {
  const reads: string[] = [];
  return { reads, lookup: (id) => (reads.push(key(id)), fakeHash(id)) };
}

/**
 * Checks are collected as problem descriptions and asserted once per test: thousands of
 * individual expect calls would dominate the run time.
 */
function readProblems(planned: NodeId[], reads: string[]): string[] {
  const expected = planned.map(key).sort().join(',');
  const actual = [...reads].sort().join(',');
  return expected === actual ? [] : [`read [${actual}] but planned [${expected}]`];
}

/** Problems unless the nodes and gaps tile [0, size) exactly, without overlap. */
function tilingProblems(nodes: NodeId[], gaps: { start: number; end: number }[], size: number): string[] {
  const pieces = [
    ...nodes.map((id) => ({ start: id.index * 2 ** id.level, end: (id.index + 1) * 2 ** id.level })),
    ...gaps,
  ].sort((left, right) => left.start - right.start);
  let cursor = 0;
  for (const piece of pieces) {
    if (piece.start !== cursor) return [`size ${size}: gap or overlap at leaf ${cursor}`];
    cursor = piece.end;
  }
  return cursor === size ? [] : [`size ${size}: tiling ends at ${cursor}`];
}

function boundProblems(planned: NodeId[], size: number): string[] {
  return planned.length <= readBound(size) ? [] : [`size ${size}: ${planned.length} nodes exceed ${readBound(size)}`];
}

/** Every leaf hashes to the same value, so level k of the tree is 2^k copies of one hash. */
const uniformLevels: Uint8Array[] = [leafHash(new TextEncoder().encode('uniform leaf'))];
for (let level = 1; level <= 48; level++) uniformLevels.push(nodeHash(uniformLevels[level - 1]!, uniformLevels[level - 1]!));

function uniformLookup(id: NodeId): Uint8Array {
  const hash = uniformLevels[id.level];
  if (hash === undefined) throw new Error(`no uniform node at level ${id.level}`);
  return hash;
}

/** MTH of the uniform tree by the RFC recursion; a complete subtree is one level hash. */
function uniformRoot(size: number): Uint8Array {
  if (size === 0) return EMPTY_ROOT;
  let power = 1;
  let level = 0;
  while (power * 2 <= size) {
    power *= 2;
    level++;
  }
  if (power === size) return uniformLevels[level]!;
  return nodeHash(uniformLevels[level]!, uniformRoot(size - power));
}

describe('root planning', () => {
  it('needs no nodes for the empty tree and gives the empty root', () => {
    expect(nodesForRoot(0)).toEqual([]);
    expect(toHex(rootFromNodes(0, () => { throw new Error('the empty tree reads nothing'); }))).toBe(toHex(EMPTY_ROOT));
  });

  it('names one node per set bit of the size, tiling the tree, and reads only those', () => {
    const problems: string[] = [];
    for (const size of sizes) {
      const planned = nodesForRoot(size);
      problems.push(...boundProblems(planned, size), ...tilingProblems(planned, [], size));
      const { lookup, reads } = countingLookup();
      rootFromNodes(size, lookup);
      problems.push(...readProblems(planned, reads));
      if (toHex(rootFromNodes(size, uniformLookup)) !== toHex(uniformRoot(size))) problems.push(`size ${size}: wrong root`);
    }
    expect(problems).toEqual([]);
  });
});

describe('inclusion proof planning', () => {
  it('reads O(log n) nodes that tile everything but the leaf, and only those', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const size of sizes) {
      for (const leafIndex of indicesOf(size)) {
        const planned = nodesForInclusionProof(leafIndex, size);
        problems.push(...boundProblems(planned, size));
        problems.push(...tilingProblems(planned, [{ start: leafIndex, end: leafIndex + 1 }], size));
        const { lookup, reads } = countingLookup();
        buildInclusionProof(leafIndex, size, lookup);
        problems.push(...readProblems(planned, reads));
        checked++;
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it('builds proofs of giant trees that verify', () => {
    const failures: string[] = [];
    for (const size of sizes) {
      for (const leafIndex of indicesOf(size)) {
        const proof = buildInclusionProof(leafIndex, size, uniformLookup);
        const check = verifyInclusion(uniformLevels[0]!, leafIndex, size, proof, uniformRoot(size));
        if (!check.ok) failures.push(`leaf ${leafIndex} of ${size}: ${check.reason}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('handles the last leaf of the largest tree', () => {
    const proof = buildInclusionProof(MERKLE_SIZE_MAX - 1, MERKLE_SIZE_MAX, uniformLookup);
    expect(proof).toHaveLength(48);
    expect(verifyInclusion(uniformLevels[0]!, MERKLE_SIZE_MAX - 1, MERKLE_SIZE_MAX, proof, uniformLevels[48]!)).toEqual({ ok: true });
  });
});

describe('consistency proof planning', () => {
  it('reads O(log n) nodes that tile the new tree around the old one, and only those', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const newSize of sizes) {
      for (const oldSize of oldSizesOf(newSize)) {
        const planned = nodesForConsistencyProof(oldSize, newSize);
        problems.push(...boundProblems(planned, newSize));
        // When the old tree is a complete subtree the verifier holds its hash, so the proof omits it.
        const oldTreeIsSubtree = Number.isInteger(Math.log2(oldSize));
        if (oldSize === newSize) {
          if (planned.length !== 0) problems.push(`(${oldSize}, ${newSize}): equal sizes need no nodes`);
        } else {
          problems.push(...tilingProblems(planned, oldTreeIsSubtree ? [{ start: 0, end: oldSize }] : [], newSize));
        }
        const { lookup, reads } = countingLookup();
        buildConsistencyProof(oldSize, newSize, lookup);
        problems.push(...readProblems(planned, reads));
        checked++;
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it('builds proofs between giant trees that verify', () => {
    const failures: string[] = [];
    for (const newSize of sizes) {
      for (const oldSize of oldSizesOf(newSize)) {
        const proof = buildConsistencyProof(oldSize, newSize, uniformLookup);
        const check = verifyConsistency(oldSize, newSize, uniformRoot(oldSize), uniformRoot(newSize), proof);
        if (!check.ok) failures.push(`(${oldSize}, ${newSize}): ${check.reason}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
