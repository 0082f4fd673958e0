/**
 * Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) against tampering and malformed
 * input. Every bit of every proof element, root and leaf is flipped, and every index and
 * size is moved by one and has each of its bits flipped.
 *
 * A moved size is not always detectable: the RFC algorithms bind the size only through the
 * shape of the path (leaf 0 has the same path shape in trees of 3 and of 4 leaves), and the
 * size is authenticated by the signed checkpoint instead. So for moved numbers the expected
 * verdict comes from an oracle written from the RFC's recursive definitions: it spells out
 * which hash expression over the proof elements the claimed root must equal, and the claim
 * verifies exactly when that expression is the original one.
 */
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../ledger/assert.js';
import {
  EMPTY_ROOT,
  MERKLE_SIZE_MAX,
  MemoryMerkleLog,
  type ProofCheck,
  buildConsistencyProof,
  buildInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../ledger/merkle/index.js';

interface Range {
  start: number;
  end: number;
}

function largestPowerOfTwoBelow(width: number): number {
  let power = 1;
  while (power * 2 < width) power *= 2;
  return power;
}

function isPowerOfTwo(value: number): boolean {
  return value >= 1 && largestPowerOfTwoBelow(value + 1) === value;
}

/** Subtrees of PATH(m, D[start:end]), m absolute, in proof order. */
function pathRanges(leafIndex: number, start: number, end: number): Range[] {
  if (end - start <= 1) return [];
  const middle = start + largestPowerOfTwoBelow(end - start);
  if (leafIndex < middle) return [...pathRanges(leafIndex, start, middle), { start: middle, end }];
  return [...pathRanges(leafIndex, middle, end), { start, end: middle }];
}

/** Subtrees of SUBPROOF(m, D[start:end], b), m absolute, in proof order. */
function subproofRanges(oldSize: number, start: number, end: number, oldTreeIsLeftEdge: boolean): Range[] {
  if (oldSize === end) return oldTreeIsLeftEdge ? [] : [{ start, end }];
  const middle = start + largestPowerOfTwoBelow(end - start);
  if (oldSize <= middle) return [...subproofRanges(oldSize, start, middle, oldTreeIsLeftEdge), { start: middle, end }];
  return [...subproofRanges(oldSize, middle, end, false), { start, end: middle }];
}

/** MTH(D[start:end]) as an expression over the named subtrees, following the RFC's split. */
function expression(range: Range, named: Map<string, string>): string {
  const name = named.get(`${range.start}:${range.end}`);
  if (name !== undefined) return name;
  if (range.end - range.start <= 1) throw new Error(`oracle bug: leaf ${range.start} is not derivable from the proof`);
  const middle = range.start + largestPowerOfTwoBelow(range.end - range.start);
  return `N(${expression({ start: range.start, end: middle }, named)},${expression({ start: middle, end: range.end }, named)})`;
}

function proofNames(ranges: Range[]): Map<string, string> {
  return new Map(ranges.map((range, position) => [`${range.start}:${range.end}`, `P${position}`]));
}

const isSize = (value: number): boolean => Number.isSafeInteger(value) && value >= 0 && value <= MERKLE_SIZE_MAX;

/** The root a verifier rebuilds for this claim, or undefined when the claim is rejected up front. */
function inclusionRootExpression(leafIndex: number, size: number, proofLength: number): string | undefined {
  if (!isSize(size) || !isSize(leafIndex) || leafIndex >= size) return undefined;
  const ranges = pathRanges(leafIndex, 0, size);
  if (ranges.length !== proofLength) return undefined;
  const named = proofNames(ranges);
  named.set(`${leafIndex}:${leafIndex + 1}`, 'LEAF');
  return expression({ start: 0, end: size }, named);
}

/** The old and new roots a verifier rebuilds, with OLD standing for the old root it was given. */
function consistencyRootExpressions(oldSize: number, newSize: number, proofLength: number): [string, string] | undefined {
  if (!isSize(oldSize) || !isSize(newSize) || oldSize === 0 || oldSize >= newSize) return undefined;
  const ranges = subproofRanges(oldSize, 0, newSize, true);
  if (ranges.length !== proofLength) return undefined;
  const named = proofNames(ranges);
  if (isPowerOfTwo(oldSize)) named.set(`0:${oldSize}`, 'OLD');
  return [expression({ start: 0, end: oldSize }, named), expression({ start: 0, end: newSize }, named)];
}

function expectedInclusionVerdict(original: [number, number], claimed: [number, number], proofLength: number): boolean {
  const reference = inclusionRootExpression(original[0], original[1], proofLength);
  return reference !== undefined && inclusionRootExpression(claimed[0], claimed[1], proofLength) === reference;
}

function expectedConsistencyVerdict(
  original: [number, number],
  claimed: [number, number],
  proof: Uint8Array[],
  rootsEqual: boolean,
): boolean {
  if (claimed[0] === claimed[1] && claimed[0] >= 1 && isSize(claimed[0])) return proof.length === 0 && rootsEqual;
  const reference = consistencyRootExpressions(original[0], original[1], proof.length);
  const candidate = consistencyRootExpressions(claimed[0], claimed[1], proof.length);
  if (reference === undefined || candidate === undefined) return false;
  // The claimed verifier is handed the real old root, whose expression is the reference's old one.
  const substitute = (text: string): string => text.replaceAll('OLD', reference[0]);
  return substitute(candidate[0]) === substitute(reference[0]) && substitute(candidate[1]) === substitute(reference[1]);
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

function flipNumberBit(value: number, bit: number): number {
  const weight = 2 ** bit;
  return Math.floor(value / weight) % 2 === 1 ? value - weight : value + weight;
}

/** The value moved by one either way and with each of its 50 low bits flipped (covering 2^48). */
function movedNumbers(value: number): number[] {
  const moved = [value - 1, value + 1];
  for (let bit = 0; bit < 50; bit++) moved.push(flipNumberBit(value, bit));
  return moved;
}

const HASH_BITS = 256;

/** Every value of [first, last] for small trees; for larger ones the edges and the middle, for speed. */
function representativeValues(first: number, last: number): number[] {
  if (last - first < 8) return Array.from({ length: last - first + 1 }, (_, offset) => first + offset);
  const middle = Math.floor((first + last) / 2);
  return [...new Set([first, first + 1, first + 2, middle, middle + 1, last - 1, last])];
}
const representativeSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 32, 33];
const log = new MemoryMerkleLog();
for (let index = 0; index < 34; index++) log.append(new TextEncoder().encode(`leaf ${index}`));

describe('inclusion verification against tampering', () => {
  it.each(representativeSizes)('rejects every single-bit change to proof, leaf and root in a tree of %i', (size) => {
    const root = log.root(size);
    // Verdicts are collected and compared once: a per-call expect would dominate the run time.
    const accepted: string[] = [];
    let attempts = 0;
    const expectRejected = (check: ProofCheck, description: string): void => {
      attempts++;
      if (check.ok) accepted.push(description);
    };
    for (const leafIndex of representativeValues(0, size - 1)) {
      const leaf = log.lookup({ level: 0, index: leafIndex });
      const proof = log.inclusionProof(leafIndex, size);
      expect(verifyInclusion(leaf, leafIndex, size, proof, root)).toEqual({ ok: true });
      for (let element = 0; element < proof.length; element++) {
        for (let bit = 0; bit < HASH_BITS; bit++) {
          const tampered = proof.slice();
          tampered[element] = flipBit(proof[element]!, bit);
          expectRejected(verifyInclusion(leaf, leafIndex, size, tampered, root), `leaf ${leafIndex} proof[${element}] bit ${bit}`);
        }
      }
      for (let bit = 0; bit < HASH_BITS; bit++) {
        expectRejected(verifyInclusion(flipBit(leaf, bit), leafIndex, size, proof, root), `leaf ${leafIndex} leaf bit ${bit}`);
        expectRejected(verifyInclusion(leaf, leafIndex, size, proof, flipBit(root, bit)), `leaf ${leafIndex} root bit ${bit}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(attempts).toBeGreaterThanOrEqual(2 * HASH_BITS);
  });

  it.each(representativeSizes)('accepts a moved index or size in a tree of %i only when the RFC path shape is unchanged', (size) => {
    const root = log.root(size);
    const wrongVerdicts: string[] = [];
    for (const leafIndex of representativeValues(0, size - 1)) {
      const leaf = log.lookup({ level: 0, index: leafIndex });
      const proof = log.inclusionProof(leafIndex, size);
      for (const claimedIndex of movedNumbers(leafIndex)) {
        // The path shape identifies the leaf within a fixed size, so a moved index never passes.
        if (verifyInclusion(leaf, claimedIndex, size, proof, root).ok) wrongVerdicts.push(`index ${leafIndex} -> ${claimedIndex} accepted`);
      }
      for (const claimedSize of movedNumbers(size)) {
        const expected = expectedInclusionVerdict([leafIndex, size], [leafIndex, claimedSize], proof.length);
        const verdict = verifyInclusion(leaf, leafIndex, claimedSize, proof, root).ok;
        if (verdict !== expected) wrongVerdicts.push(`leaf ${leafIndex}: size ${size} -> ${claimedSize} gave ${verdict}`);
      }
    }
    expect(wrongVerdicts).toEqual([]);
  });

  it('shows the RFC property that a path shape shared by two sizes verifies for both', () => {
    // Leaf 0 sits under the same left-left path in trees of 3 and 4 leaves.
    const proof = log.inclusionProof(0, 3);
    const leaf = log.lookup({ level: 0, index: 0 });
    expect(verifyInclusion(leaf, 0, 4, proof, log.root(3))).toEqual({ ok: true });
    expect(verifyInclusion(leaf, 0, 5, proof, log.root(3)).ok).toBe(false);
  });
});

describe('consistency verification against tampering', () => {
  it.each(representativeSizes)('rejects every single-bit change to proof and roots up to size %i', (newSize) => {
    const newRoot = log.root(newSize);
    const accepted: string[] = [];
    let attempts = 0;
    const expectRejected = (check: ProofCheck, description: string): void => {
      attempts++;
      if (check.ok) accepted.push(description);
    };
    for (const oldSize of representativeValues(1, newSize)) {
      const oldRoot = log.root(oldSize);
      const proof = log.consistencyProof(oldSize, newSize);
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).toEqual({ ok: true });
      for (let element = 0; element < proof.length; element++) {
        for (let bit = 0; bit < HASH_BITS; bit++) {
          const tampered = proof.slice();
          tampered[element] = flipBit(proof[element]!, bit);
          expectRejected(verifyConsistency(oldSize, newSize, oldRoot, newRoot, tampered), `${oldSize}: proof[${element}] bit ${bit}`);
        }
      }
      for (let bit = 0; bit < HASH_BITS; bit++) {
        expectRejected(verifyConsistency(oldSize, newSize, flipBit(oldRoot, bit), newRoot, proof), `${oldSize}: old root bit ${bit}`);
        expectRejected(verifyConsistency(oldSize, newSize, oldRoot, flipBit(newRoot, bit), proof), `${oldSize}: new root bit ${bit}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(attempts).toBeGreaterThanOrEqual(2 * HASH_BITS);
  });

  it.each(representativeSizes)('accepts moved sizes up to %i only when the RFC proof shape is unchanged', (newSize) => {
    const newRoot = log.root(newSize);
    const wrongVerdicts: string[] = [];
    for (const oldSize of representativeValues(1, newSize)) {
      const oldRoot = log.root(oldSize);
      const proof = log.consistencyProof(oldSize, newSize);
      const claims: [number, number][] = [
        ...movedNumbers(oldSize).map((claimedOld): [number, number] => [claimedOld, newSize]),
        ...movedNumbers(newSize).map((claimedNew): [number, number] => [oldSize, claimedNew]),
      ];
      for (const claim of claims) {
        const expected = expectedConsistencyVerdict([oldSize, newSize], claim, proof, oldSize === newSize);
        const verdict = verifyConsistency(claim[0], claim[1], oldRoot, newRoot, proof).ok;
        if (verdict !== expected) wrongVerdicts.push(`(${oldSize}, ${newSize}) -> (${claim[0]}, ${claim[1]}) gave ${verdict}`);
      }
      if (oldSize < newSize && verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof).ok) {
        wrongVerdicts.push(`(${oldSize}, ${newSize}) accepted swapped roots`);
      }
    }
    expect(wrongVerdicts).toEqual([]);
  });
});

describe('malformed verification input is rejected, never thrown', () => {
  const size = 7;
  const leafIndex = 3;
  const leaf = log.lookup({ level: 0, index: leafIndex });
  const root = log.root(size);
  const proof = log.inclusionProof(leafIndex, size);
  const oldRoot = log.root(3);
  const consistency = log.consistencyProof(3, size);
  const untyped = <T>(value: unknown): T => value as T;

  it.each([
    ['negative size', leafIndex, -1, 'invalid tree size'],
    ['fractional size', leafIndex, 7.5, 'invalid tree size'],
    ['NaN size', leafIndex, Number.NaN, 'invalid tree size'],
    ['infinite size', leafIndex, Number.POSITIVE_INFINITY, 'invalid tree size'],
    ['size beyond 2^48', leafIndex, MERKLE_SIZE_MAX + 1, 'invalid tree size'],
    ['string size', leafIndex, untyped<number>('7'), 'invalid tree size'],
    ['negative index', -1, size, 'invalid leaf index'],
    ['fractional index', 2.5, size, 'invalid leaf index'],
    ['index equal to size', size, size, 'index out of range'],
    ['index beyond size', size + 10, size, 'index out of range'],
    ['empty tree', 0, 0, 'index out of range'],
  ])('inclusion: %s', (_label, claimedIndex, claimedSize, reason) => {
    expect(verifyInclusion(leaf, claimedIndex, claimedSize, proof, root)).toEqual({ ok: false, reason });
  });

  it('inclusion: wrong hash lengths and non-hash proof elements', () => {
    expect(verifyInclusion(leaf.subarray(1), leafIndex, size, proof, root)).toEqual({ ok: false, reason: 'leaf hash is not 32 bytes' });
    expect(verifyInclusion(leaf, leafIndex, size, proof, new Uint8Array(33))).toEqual({ ok: false, reason: 'root is not 32 bytes' });
    expect(verifyInclusion(untyped('leaf'), leafIndex, size, proof, root).ok).toBe(false);
    const shortElement = [proof[0]!.subarray(0, 31), ...proof.slice(1)];
    expect(verifyInclusion(leaf, leafIndex, size, shortElement, root)).toEqual({ ok: false, reason: 'proof element is not a 32-byte hash' });
    const textElement = untyped<Uint8Array[]>(['00'.repeat(32), ...proof.slice(1)]);
    expect(verifyInclusion(leaf, leafIndex, size, textElement, root)).toEqual({ ok: false, reason: 'proof element is not a 32-byte hash' });
    expect(verifyInclusion(leaf, leafIndex, size, untyped(null), root)).toEqual({ ok: false, reason: 'proof is not an array' });
  });

  it('inclusion: proofs of the wrong length', () => {
    expect(verifyInclusion(leaf, leafIndex, size, [...proof, root], root)).toEqual({ ok: false, reason: 'proof too long' });
    expect(verifyInclusion(leaf, leafIndex, size, [root, ...proof], root)).toEqual({ ok: false, reason: 'proof too long' });
    expect(verifyInclusion(leaf, leafIndex, size, proof.slice(1), root)).toEqual({ ok: false, reason: 'proof too short' });
    expect(verifyInclusion(leaf, leafIndex, size, [], root)).toEqual({ ok: false, reason: 'proof too short' });
    const oversized = Array.from({ length: 100_000 }, () => root);
    expect(verifyInclusion(leaf, leafIndex, size, oversized, root)).toEqual({ ok: false, reason: 'proof too long' });
    expect(verifyInclusion(leaf, 0, 1, [leaf], leaf)).toEqual({ ok: false, reason: 'proof too long' });
  });

  it.each([
    ['negative old size', -1, size, 'invalid old tree size'],
    ['fractional new size', 3, 7.25, 'invalid new tree size'],
    ['new size beyond 2^48', 3, MERKLE_SIZE_MAX + 2, 'invalid new tree size'],
    ['old size greater than new size', 8, size, 'old size greater than new size'],
    ['old size 0', 0, size, 'old size 0 is not provable'],
  ])('consistency: %s', (_label, claimedOld, claimedNew, reason) => {
    expect(verifyConsistency(claimedOld, claimedNew, oldRoot, root, consistency)).toEqual({ ok: false, reason });
  });

  it('consistency: the empty tree is never proved, not even against itself', () => {
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toEqual({ ok: false, reason: 'old size 0 is not provable' });
  });

  it('consistency: equal sizes need an empty proof and equal roots', () => {
    expect(verifyConsistency(size, size, root, root, [])).toEqual({ ok: true });
    expect(verifyConsistency(size, size, root, oldRoot, [])).toEqual({ ok: false, reason: 'root mismatch' });
    expect(verifyConsistency(size, size, root, root, [root])).toEqual({ ok: false, reason: 'proof too long' });
  });

  it('consistency: wrong hash lengths, wrong proof lengths and swapped roots', () => {
    expect(verifyConsistency(3, size, oldRoot.subarray(2), root, consistency)).toEqual({ ok: false, reason: 'old root is not 32 bytes' });
    expect(verifyConsistency(3, size, oldRoot, new Uint8Array(0), consistency)).toEqual({ ok: false, reason: 'new root is not 32 bytes' });
    expect(verifyConsistency(3, size, oldRoot, root, [])).toEqual({ ok: false, reason: 'proof too short' });
    expect(verifyConsistency(3, size, oldRoot, root, [...consistency, root])).toEqual({ ok: false, reason: 'proof too long' });
    expect(verifyConsistency(3, size, oldRoot, root, untyped({ length: 3 }))).toEqual({ ok: false, reason: 'proof is not an array' });
    expect(verifyConsistency(3, size, root, oldRoot, consistency)).toEqual({ ok: false, reason: 'old root mismatch' });
    expect(verifyConsistency(3, size, oldRoot, oldRoot, consistency)).toEqual({ ok: false, reason: 'new root mismatch' });
  });
});

describe('invalid build arguments are programming errors', () => {
  it.each([
    ['index equal to size', 5, 5],
    ['empty tree', 0, 0],
    ['negative index', -1, 3],
    ['fractional index', 1.5, 3],
    ['size beyond 2^48', 0, MERKLE_SIZE_MAX + 1],
  ])('inclusion: %s', (_label, leafIndex, size) => {
    expect(() => buildInclusionProof(leafIndex, size, log.lookup)).toThrow(InvariantError);
  });

  it.each([
    ['old size 0', 0, 5],
    ['both sizes 0', 0, 0],
    ['old size greater than new size', 6, 5],
    ['fractional old size', 1.5, 5],
  ])('consistency: %s', (_label, oldSize, newSize) => {
    expect(() => buildConsistencyProof(oldSize, newSize, log.lookup)).toThrow(InvariantError);
  });

  it('memory log refuses sizes it has not reached and reports missing nodes', () => {
    expect(() => log.root(log.size + 1)).toThrow(InvariantError);
    expect(() => log.inclusionProof(0, log.size + 1)).toThrow(InvariantError);
    expect(() => log.consistencyProof(1, log.size + 1)).toThrow(InvariantError);
    expect(() => log.lookup({ level: 0, index: log.size })).toThrow(/not stored/);
  });
});
