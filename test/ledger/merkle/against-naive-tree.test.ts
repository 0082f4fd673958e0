/**
 * Agreement with RFC 9162 read literally: MTH (section 2.1.1), PATH (2.1.3.1) and PROOF /
 * SUBPROOF (2.1.4.1) written as the RFC's recursions straight over the leaf list, with raw
 * SHA-256 and the 0x00 / 0x01 prefixes, sharing no code with ledger/merkle. Exhaustive for
 * every tree up to 64 leaves, then fast-check for random trees of a few thousand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import { concatBytes, toHex } from '../../../ledger/encoding/hex.js';
import {
  MemoryMerkleLog,
  MerkleFrontier,
  buildConsistencyProof,
  buildInclusionProof,
  rootFromNodes,
  verifyConsistency,
  verifyInclusion,
} from '../../../ledger/merkle/index.js';

function largestPowerOfTwoBelow(width: number): number {
  let power = 1;
  while (power * 2 < width) power *= 2;
  return power;
}

function naiveLeafHash(data: Uint8Array): Uint8Array {
  return sha256(concatBytes(new Uint8Array([0]), data));
}

/**
 * The RFC's recursions over leaves[start, end). Subtree hashes are memoised by range only so
 * that thousands of random cases stay fast; the recursion itself is the RFC's, unchanged.
 */
class NaiveTree {
  readonly #memo = new Map<string, Uint8Array>();

  constructor(readonly leaves: Uint8Array[]) {}

  treeHash(start: number, end: number): Uint8Array {
    const key = `${start}:${end}`;
    let hash = this.#memo.get(key);
    if (hash === undefined) {
      hash = this.#computeTreeHash(start, end);
      this.#memo.set(key, hash);
    }
    return hash;
  }

  #computeTreeHash(start: number, end: number): Uint8Array {
    if (end === start) return sha256(new Uint8Array(0));
    if (end - start === 1) return this.leaves[start]!;
    const middle = start + largestPowerOfTwoBelow(end - start);
    return sha256(concatBytes(new Uint8Array([1]), this.treeHash(start, middle), this.treeHash(middle, end)));
  }

  root(size: number): Uint8Array {
    return this.treeHash(0, size);
  }

  /** PATH(m, D[start:end]) with m relative to start. */
  path(leafIndex: number, start: number, end: number): Uint8Array[] {
    if (end - start <= 1) return [];
    const split = largestPowerOfTwoBelow(end - start);
    if (leafIndex < split) return [...this.path(leafIndex, start, start + split), this.treeHash(start + split, end)];
    return [...this.path(leafIndex - split, start + split, end), this.treeHash(start, start + split)];
  }

  /** SUBPROOF(m, D[start:end], b) with m relative to start. */
  subproof(oldSize: number, start: number, end: number, oldTreeIsLeftEdge: boolean): Uint8Array[] {
    if (oldSize === end - start) return oldTreeIsLeftEdge ? [] : [this.treeHash(start, end)];
    const split = largestPowerOfTwoBelow(end - start);
    if (oldSize <= split) {
      return [...this.subproof(oldSize, start, start + split, oldTreeIsLeftEdge), this.treeHash(start + split, end)];
    }
    return [...this.subproof(oldSize - split, start + split, end, false), this.treeHash(start, start + split)];
  }

  inclusionProof(leafIndex: number, size: number): Uint8Array[] {
    return this.path(leafIndex, 0, size);
  }

  consistencyProof(oldSize: number, newSize: number): Uint8Array[] {
    return this.subproof(oldSize, 0, newSize, true);
  }
}

function leafData(index: number): Uint8Array {
  return new TextEncoder().encode(`custodia test leaf ${index}`);
}

function buildLog(size: number): { log: MemoryMerkleLog; leaves: Uint8Array[]; naive: NaiveTree } {
  const log = new MemoryMerkleLog();
  const leaves: Uint8Array[] = [];
  for (let index = 0; index < size; index++) {
    log.append(leafData(index));
    leaves.push(naiveLeafHash(leafData(index)));
  }
  return { log, leaves, naive: new NaiveTree(leaves) };
}

const hexList = (hashes: Uint8Array[]): string[] => hashes.map(toHex);

describe('every tree up to 64 leaves', () => {
  const exhaustiveSize = 64;
  const { log, leaves, naive } = buildLog(exhaustiveSize);
  const naiveRoots = Array.from({ length: exhaustiveSize + 1 }, (_, size) => naive.root(size));

  it('assigns consecutive leaf indices', () => {
    const fresh = new MemoryMerkleLog();
    expect([0, 1, 2].map((index) => fresh.append(leafData(index)))).toEqual([0, 1, 2]);
  });

  it('computes the naive root for every size', () => {
    for (let size = 0; size <= exhaustiveSize; size++) {
      expect(toHex(log.root(size))).toBe(toHex(naiveRoots[size]!));
      expect(toHex(rootFromNodes(size, log.lookup))).toBe(toHex(naiveRoots[size]!));
    }
  });

  it('builds the naive PATH for every leaf of every size, and it verifies', () => {
    for (let size = 1; size <= exhaustiveSize; size++) {
      for (let leafIndex = 0; leafIndex < size; leafIndex++) {
        const proof = buildInclusionProof(leafIndex, size, log.lookup);
        expect(hexList(proof)).toEqual(hexList(naive.inclusionProof(leafIndex, size)));
        expect(verifyInclusion(leaves[leafIndex]!, leafIndex, size, proof, naiveRoots[size]!)).toEqual({ ok: true });
      }
    }
  });

  it('builds the naive PROOF for every pair 1 <= m <= n <= 64, and it verifies', () => {
    for (let newSize = 1; newSize <= exhaustiveSize; newSize++) {
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const proof = buildConsistencyProof(oldSize, newSize, log.lookup);
        expect(hexList(proof)).toEqual(hexList(naive.consistencyProof(oldSize, newSize)));
        const check = verifyConsistency(oldSize, newSize, naiveRoots[oldSize]!, naiveRoots[newSize]!, proof);
        expect(check).toEqual({ ok: true });
      }
    }
  });
});

describe('random trees of up to a few thousand leaves (fast-check)', () => {
  const largestSize = 3000;
  const { log, leaves, naive } = buildLog(largestSize);
  const naiveRoot = (size: number): Uint8Array => naive.root(size);
  const sizeArbitrary = fc.integer({ min: 1, max: largestSize });
  const leafOfTree = sizeArbitrary.chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
  const sizePair = sizeArbitrary.chain((newSize) => fc.tuple(fc.integer({ min: 1, max: newSize }), fc.constant(newSize)));

  it('inclusion proofs equal the naive PATH and verify against the naive root', () => {
    fc.assert(
      fc.property(leafOfTree, ([size, leafIndex]) => {
        const proof = log.inclusionProof(leafIndex, size);
        expect(hexList(proof)).toEqual(hexList(naive.inclusionProof(leafIndex, size)));
        expect(verifyInclusion(leaves[leafIndex]!, leafIndex, size, proof, naiveRoot(size))).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });

  it('consistency proofs equal the naive PROOF and verify against the naive roots', () => {
    fc.assert(
      fc.property(sizePair, ([oldSize, newSize]) => {
        const proof = log.consistencyProof(oldSize, newSize);
        expect(hexList(proof)).toEqual(hexList(naive.consistencyProof(oldSize, newSize)));
        expect(verifyConsistency(oldSize, newSize, naiveRoot(oldSize), naiveRoot(newSize), proof)).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });

  it('a flipped bit anywhere in an inclusion proof is rejected', () => {
    const flip = leafOfTree
      .filter(([size]) => size > 1)
      .chain(([size, leafIndex]) =>
        fc.tuple(fc.constant(size), fc.constant(leafIndex), fc.nat(), fc.integer({ min: 0, max: 255 })),
      );
    fc.assert(
      fc.property(flip, ([size, leafIndex, elementChoice, bit]) => {
        const proof = log.inclusionProof(leafIndex, size);
        const element = elementChoice % proof.length;
        const tampered = proof.map((hash) => hash.slice());
        tampered[element]![bit >> 3]! ^= 1 << (bit & 7);
        const check = verifyInclusion(leaves[leafIndex]!, leafIndex, size, tampered, naiveRoot(size));
        expect(check).toEqual({ ok: false, reason: 'root mismatch' });
      }),
      { numRuns: 150 },
    );
  });

  it('a flipped bit anywhere in a consistency proof is rejected', () => {
    const flip = sizePair
      .filter(([oldSize, newSize]) => oldSize < newSize)
      .chain(([oldSize, newSize]) =>
        fc.tuple(fc.constant(oldSize), fc.constant(newSize), fc.nat(), fc.integer({ min: 0, max: 255 })),
      );
    fc.assert(
      fc.property(flip, ([oldSize, newSize, elementChoice, bit]) => {
        const proof = log.consistencyProof(oldSize, newSize);
        const element = elementChoice % proof.length;
        const tampered = proof.map((hash) => hash.slice());
        tampered[element]![bit >> 3]! ^= 1 << (bit & 7);
        const check = verifyConsistency(oldSize, newSize, naiveRoot(oldSize), naiveRoot(newSize), tampered);
        expect(check.ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('a frontier reloaded from stored nodes has the naive root and keeps agreeing as it grows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: largestSize - 20 }), fc.integer({ min: 1, max: 20 }), (size, extra) => {
        const frontier = MerkleFrontier.fromNodes(size, log.lookup);
        expect(frontier.size).toBe(size);
        expect(toHex(frontier.root())).toBe(toHex(naiveRoot(size)));
        for (let index = size; index < size + extra; index++) frontier.append(leaves[index]!);
        expect(toHex(frontier.root())).toBe(toHex(naiveRoot(size + extra)));
      }),
      { numRuns: 60 },
    );
  });
});
