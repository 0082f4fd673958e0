/**
 * Proof assembly from stored nodes: the tree hash MTH (RFC 9162 section 2.1.1), inclusion
 * proofs PATH (section 2.1.3.1) and consistency proofs PROOF (section 2.1.4.1). Reads exactly
 * the nodes the matching `nodesFor...` plan lists, each once, and never rehashes leaves.
 */
import { type Hash, EMPTY_ROOT, isHash, nodeHash } from './hashing.js';
import { type LeafRange, type NodeId, type NodeLookup, assertSize, decomposeRange, nodeKey } from './nodes.js';
import { planConsistencyProof, planInclusionProof } from './planning.js';
import { assert } from '../assert.js';

function read(lookup: NodeLookup, id: NodeId): Hash {
  const hash = lookup(id);
  assert(isHash(hash), `stored merkle node ${nodeKey(id)} is not a 32-byte hash`);
  return hash;
}

/** MTH of a subtree: its aligned pieces folded right to left, as the RFC recursion nests them. */
function rangeHash(range: LeafRange, lookup: NodeLookup): Hash {
  const pieces = decomposeRange(range);
  let index = pieces.length - 1;
  let hash = read(lookup, pieces[index]!);
  while (index > 0) {
    index -= 1;
    hash = nodeHash(read(lookup, pieces[index]!), hash);
  }
  return hash;
}

export function rootFromNodes(size: number, lookup: NodeLookup): Hash {
  assertSize(size, 'tree size');
  return size === 0 ? EMPTY_ROOT : rangeHash({ start: 0, end: size }, lookup);
}

export function buildInclusionProof(leafIndex: number, size: number, lookup: NodeLookup): Hash[] {
  return planInclusionProof(leafIndex, size).map((range) => rangeHash(range, lookup));
}

/** Asserts 1 <= oldSize <= newSize; equal sizes give the empty proof. */
export function buildConsistencyProof(oldSize: number, newSize: number, lookup: NodeLookup): Hash[] {
  return planConsistencyProof(oldSize, newSize).map((range) => rangeHash(range, lookup));
}
