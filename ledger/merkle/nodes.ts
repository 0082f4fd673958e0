/**
 * Addressing of stored Merkle nodes. A NodeId {level, index} names the complete, aligned
 * subtree over leaves [index * 2^level, (index + 1) * 2^level); level 0 are the leaf hashes.
 * In the tree of RFC 9162 section 2.1.1 every subtree that is not complete lies on the right
 * edge and starts at a multiple of a power of two at least its width, so its hash is a fold
 * of the complete aligned subtrees that tile it, largest first (what `decomposeRange` lists).
 *
 * Sizes go up to 2^48, beyond the 32 bits JavaScript's bitwise operators handle, so all
 * arithmetic here is on exact doubles (every integer up to 2^53 is exact).
 */
import { assert } from '../assert.js';
import type { Hash } from './hashing.js';

export interface NodeId {
  level: number;
  index: number;
}

export interface NodeWrite {
  id: NodeId;
  hash: Hash;
}

/** Reads a stored node; throws if the node is missing (a missing node is a broken store). */
export type NodeLookup = (id: NodeId) => Hash;

/** 2^48 leaves: far beyond any ledger's life, and small enough that index arithmetic stays exact. */
export const MERKLE_SIZE_MAX = 2 ** 48;

const TWO_TO_32 = 2 ** 32;

/** A half-open leaf range [start, end). */
export interface LeafRange {
  start: number;
  end: number;
}

export function isValidSize(size: unknown): size is number {
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && size <= MERKLE_SIZE_MAX;
}

export function assertSize(size: number, what: string): void {
  assert(isValidSize(size), `${what} must be an integer in [0, 2^48], got ${String(size)}`);
}

/** floor(log2(value)) for a positive safe integer, exactly (Math.log2 rounds near powers of two). */
export function floorLog2(value: number): number {
  assert(Number.isSafeInteger(value) && value >= 1, `floorLog2 needs a positive integer, got ${value}`);
  const high = Math.floor(value / TWO_TO_32);
  if (high > 0) return 63 - Math.clz32(high);
  return 31 - Math.clz32(value);
}

/** The k of RFC 9162 section 2.1.1: the largest power of two smaller than width (width >= 2). */
export function splitPoint(width: number): number {
  assert(width >= 2, `only trees of two or more leaves split, got ${width}`);
  return 2 ** floorLog2(width - 1);
}

export function isPowerOfTwo(value: number): boolean {
  return value >= 1 && value === 2 ** floorLog2(value);
}

/**
 * The complete aligned subtrees that tile [start, end), largest (leftmost) first.
 * Valid for the subtrees of RFC 9162 trees, whose start is aligned to their width rounded up
 * to a power of two; anything else is a planning bug.
 */
export function decomposeRange(range: LeafRange): NodeId[] {
  const nodes: NodeId[] = [];
  let cursor = range.start;
  while (cursor < range.end) {
    const level = floorLog2(range.end - cursor);
    const width = 2 ** level;
    assert(cursor % width === 0, `leaf range [${range.start}, ${range.end}) is not a Merkle subtree`);
    nodes.push({ level, index: cursor / width });
    cursor += width;
  }
  return nodes;
}

export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}
