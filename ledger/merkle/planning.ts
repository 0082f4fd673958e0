/**
 * Proof planning: which subtrees a root, an inclusion proof (RFC 9162 section 2.1.3.1, PATH)
 * or a consistency proof (section 2.1.4.1, PROOF and SUBPROOF) consists of, and so which
 * stored nodes the store must read. Pure functions of sizes and indices, so a disk-backed
 * store can batch its reads before any hashing happens.
 *
 * The RFC's recursions are unrolled top-down here. Each proof element is the hash of one
 * subtree of the tree of size n; at most one of them is incomplete (the first right-hand
 * sibling met on the right edge), which costs at most log2(n) extra node reads, so a plan
 * reads O(log n) nodes.
 */
import { assert } from '../assert.js';
import { type LeafRange, type NodeId, assertSize, decomposeRange, splitPoint } from './nodes.js';

function assertInclusionArguments(leafIndex: number, size: number): void {
  assertSize(size, 'tree size');
  assert(size >= 1, 'an empty tree has no inclusion proofs');
  assert(Number.isSafeInteger(leafIndex) && leafIndex >= 0 && leafIndex < size, `leaf index ${leafIndex} is outside a tree of size ${size}`);
}

/**
 * Consistency proofs exist for 0 < oldSize <= newSize. RFC 9162 section 2.1.4.1 defines
 * PROOF only for 0 < m < n; equal sizes give the empty proof (the roots must simply match),
 * and the empty tree is consistent with every tree without any proof, so asking for one is
 * a caller bug rather than something to encode.
 */
function assertConsistencyArguments(oldSize: number, newSize: number): void {
  assertSize(oldSize, 'old tree size');
  assertSize(newSize, 'new tree size');
  assert(oldSize >= 1, 'a consistency proof from the empty tree is not defined (RFC 9162 section 2.1.4.1 requires 0 < m)');
  assert(oldSize <= newSize, `old tree size ${oldSize} exceeds new tree size ${newSize}`);
}

/** The subtrees whose hashes form PATH(leafIndex, D[size]), in proof order (leaf side first). */
export function planInclusionProof(leafIndex: number, size: number): LeafRange[] {
  assertInclusionArguments(leafIndex, size);
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const middle = start + splitPoint(end - start);
    if (leafIndex < middle) {
      topDown.push({ start: middle, end });
      end = middle;
    } else {
      topDown.push({ start, end: middle });
      start = middle;
    }
  }
  return topDown.reverse();
}

/** The subtrees whose hashes form PROOF(oldSize, D[newSize]), in proof order. */
export function planConsistencyProof(oldSize: number, newSize: number): LeafRange[] {
  assertConsistencyArguments(oldSize, newSize);
  if (oldSize === newSize) return [];
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = newSize;
  // SUBPROOF's flag b: true while the old tree is still a prefix of the current subtree's left edge.
  let oldTreeIsLeftEdge = true;
  while (oldSize !== end) {
    const middle = start + splitPoint(end - start);
    if (oldSize <= middle) {
      topDown.push({ start: middle, end });
      end = middle;
    } else {
      topDown.push({ start, end: middle });
      start = middle;
      oldTreeIsLeftEdge = false;
    }
  }
  const proof = topDown.reverse();
  // When the old tree is itself a subtree on the left edge the verifier already holds its hash.
  if (!oldTreeIsLeftEdge) proof.unshift({ start, end });
  return proof;
}

function nodesOf(ranges: LeafRange[]): NodeId[] {
  return ranges.flatMap(decomposeRange);
}

/** Stored nodes needed for the root of the first `size` leaves (none for the empty tree). */
export function nodesForRoot(size: number): NodeId[] {
  assertSize(size, 'tree size');
  return size === 0 ? [] : decomposeRange({ start: 0, end: size });
}

/** Stored nodes needed for PATH(leafIndex, D[size]); proof elements' ranges are disjoint, so no duplicates. */
export function nodesForInclusionProof(leafIndex: number, size: number): NodeId[] {
  return nodesOf(planInclusionProof(leafIndex, size));
}

/** Stored nodes needed for PROOF(oldSize, D[newSize]); no duplicates. */
export function nodesForConsistencyProof(oldSize: number, newSize: number): NodeId[] {
  return nodesOf(planConsistencyProof(oldSize, newSize));
}
