/**
 * Verification of inclusion proofs (RFC 9162 section 2.1.3.2) and consistency proofs
 * (section 2.1.4.2). Everything here is untrusted input from peers or auditors' files, so
 * nothing throws: each failure comes back as a value saying what did not hold.
 *
 * Before hashing, the proof length is compared with the length the RFC's PATH / PROOF would
 * have for these sizes. The RFC algorithms reject wrong lengths anyway, but checking first
 * bounds the work an attacker can cause and names the failure precisely.
 *
 * Known property of RFC 9162, not specific to this code: an inclusion or consistency proof
 * binds the tree size only through the shape of the path, so the same proof can also verify
 * for another size whose path has the same shape (for example leaf 0 of size 3 and of size 4).
 * The size is authenticated by the signed checkpoint that carries the root, never by the proof.
 */
import { equalBytes } from '../encoding/hex.js';
import { type Hash, isHash, nodeHash } from './hashing.js';
import { isPowerOfTwo, isValidSize } from './nodes.js';
import { planConsistencyProof, planInclusionProof } from './planning.js';

export type ProofCheck = { ok: true } | { ok: false; reason: string };

const VALID: ProofCheck = { ok: true };

function fail(reason: string): ProofCheck {
  return { ok: false, reason };
}

function checkProofShape(proof: unknown, expectedLength: number): ProofCheck {
  if (!Array.isArray(proof)) return fail('proof is not an array');
  if (proof.length > expectedLength) return fail('proof too long');
  if (proof.length < expectedLength) return fail('proof too short');
  for (const element of proof) if (!isHash(element)) return fail('proof element is not a 32-byte hash');
  return VALID;
}

function half(value: number): number {
  return Math.floor(value / 2);
}

function isOdd(value: number): boolean {
  return value % 2 === 1;
}

export function verifyInclusion(leaf: Hash, leafIndex: number, size: number, proof: Hash[], root: Hash): ProofCheck {
  if (!isValidSize(size)) return fail('invalid tree size');
  if (!isValidSize(leafIndex)) return fail('invalid leaf index');
  if (leafIndex >= size) return fail('index out of range');
  if (!isHash(leaf)) return fail('leaf hash is not 32 bytes');
  if (!isHash(root)) return fail('root is not 32 bytes');
  const shape = checkProofShape(proof, planInclusionProof(leafIndex, size).length);
  if (!shape.ok) return shape;

  // RFC 9162 section 2.1.3.2, with right shifts written as halvings (sizes exceed 32 bits).
  let position = leafIndex;
  let lastPosition = size - 1;
  let computed = leaf;
  for (const sibling of proof) {
    if (lastPosition === 0) return fail('proof too long');
    if (isOdd(position) || position === lastPosition) {
      computed = nodeHash(sibling, computed);
      // Climb past the levels where this node was the last one and so had no right sibling.
      while (!isOdd(position) && position !== 0) {
        position = half(position);
        lastPosition = half(lastPosition);
      }
    } else {
      computed = nodeHash(computed, sibling);
    }
    position = half(position);
    lastPosition = half(lastPosition);
  }
  if (lastPosition !== 0) return fail('proof too short');
  if (!equalBytes(computed, root)) return fail('root mismatch');
  return VALID;
}

/**
 * Valid iff the tree of oldSize with oldRoot is a prefix of the tree of newSize with newRoot.
 * Choices beyond the RFC text: equal sizes need an empty proof and equal roots; oldSize 0 is
 * refused ('old size 0 is not provable') because every tree extends the empty tree and there
 * is nothing a proof could show, so a caller asking is confused about what it holds.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Hash, newRoot: Hash, proof: Hash[]): ProofCheck {
  if (!isValidSize(oldSize)) return fail('invalid old tree size');
  if (!isValidSize(newSize)) return fail('invalid new tree size');
  if (oldSize > newSize) return fail('old size greater than new size');
  if (!isHash(oldRoot)) return fail('old root is not 32 bytes');
  if (!isHash(newRoot)) return fail('new root is not 32 bytes');
  if (oldSize === 0) return fail('old size 0 is not provable');
  const shape = checkProofShape(proof, planConsistencyProof(oldSize, newSize).length);
  if (!shape.ok) return shape;
  if (oldSize === newSize) return equalBytes(oldRoot, newRoot) ? VALID : fail('root mismatch');

  // RFC 9162 section 2.1.4.2. When the old tree is a complete subtree the proof omits its hash
  // because the verifier already has it: step 2 puts it back.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let position = oldSize - 1;
  let lastPosition = newSize - 1;
  while (isOdd(position)) {
    position = half(position);
    lastPosition = half(lastPosition);
  }
  let oldComputed = path[0]!;
  let newComputed = oldComputed;
  for (const element of path.slice(1)) {
    if (lastPosition === 0) return fail('proof too long');
    if (isOdd(position) || position === lastPosition) {
      oldComputed = nodeHash(element, oldComputed);
      newComputed = nodeHash(element, newComputed);
      while (!isOdd(position) && position !== 0) {
        position = half(position);
        lastPosition = half(lastPosition);
      }
    } else {
      newComputed = nodeHash(newComputed, element);
    }
    position = half(position);
    lastPosition = half(lastPosition);
  }
  if (lastPosition !== 0) return fail('proof too short');
  if (!equalBytes(oldComputed, oldRoot)) return fail('old root mismatch');
  if (!equalBytes(newComputed, newRoot)) return fail('new root mismatch');
  return VALID;
}
