/**
 * The state tree's nodes as they are stored (docs/encoding.md, section 11, the `z:` rows): the
 * tree is persistent in the way of Diem's and Aptos' Jellyfish Merkle tree (Gao et al., "Jellyfish
 * Merkle Tree", 2021, section 3): a node is never changed in place; an update writes new nodes on
 * the changed paths, each under the version (the ledger height) that made it, and leaves every
 * other subtree where it is, referred to by its version. So the tree of every retained height can
 * be read, and a proof built against the root a certified header names.
 *
 * Only internal nodes are rows, each with its 16 children. A leaf lives inside its parent's row
 * (or as the root), with the height whose write set holds its value, so that the value at any
 * retained height can be found. A subtree of one key is that key's leaf, wherever its key hash's
 * prefix first becomes unique, which keeps depth near log16(keys) rather than 64.
 */
import { assert } from '../assert.js';
import { EMPTY_SUBTREE, HASH_BYTES, KEY_HASH_NIBBLES, RADIX, type Hash } from './hashing.js';

export type Child =
  | { kind: 'empty'; hash: Hash }
  | { kind: 'leaf'; hash: Hash; keyHash: Hash; valueHash: Hash; /** The height whose write set set this value. */ valueHeight: number }
  | { kind: 'internal'; hash: Hash; /** The height that wrote this node. */ version: number };

export interface InternalNode {
  /** RADIX children, by the nibble of the key hash at the node's depth. */
  children: readonly Child[];
}

export const EMPTY_CHILD: Child = Object.freeze({ kind: 'empty', hash: EMPTY_SUBTREE });

/** Where an internal node sits: its depth in nibbles and the key-hash nibbles above it (the rest are ignored). */
export interface NodePosition {
  depth: number;
  /** Any key hash under the node: only its first `depth` nibbles count. */
  keyHash: Hash;
}

/** Reads internal nodes of retained versions; undefined when not stored (pruned, or damage). */
export interface StateTreeNodes {
  node(position: NodePosition, version: number): InternalNode | undefined;
}

/** The node rows an update writes, and the rows it made stale (still needed by older versions). */
export interface NodeChanges {
  created: Array<{ position: NodePosition; version: number; node: InternalNode }>;
  stale: Array<{ position: NodePosition; version: number }>;
}

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * The position's key text: the depth (2 hex digits), then the first `depth` nibbles of the key
 * hash in hex. Equal for every key hash under the node.
 */
export function positionKey(position: NodePosition): string {
  const { depth, keyHash } = position;
  assert(Number.isInteger(depth) && depth >= 0 && depth < KEY_HASH_NIBBLES, 'a state tree node depth is outside the tree');
  // On every node read and write of an update: a byte table rather than toHex and a slice.
  let text = BYTE_HEX[depth]! + ':';
  for (let index = 0; index < depth >> 1; index++) text += BYTE_HEX[keyHash[index]!]!;
  if ((depth & 1) === 1) text += BYTE_HEX[keyHash[depth >> 1]!]![0]!;
  return text;
}

const LEAF_TAG = 1;
const INTERNAL_TAG = 2;
const HEIGHT_BYTES = 8;
const LEAF_BYTES = 1 + 3 * HASH_BYTES + HEIGHT_BYTES;
const INTERNAL_BYTES = 1 + HASH_BYTES + HEIGHT_BYTES;
const MASK_BYTES = 2;

/** Heights are below 2^53: 8 bytes big-endian, written byte by byte. */
function writeHeight(out: Uint8Array, offset: number, height: number): void {
  let high = Math.floor(height / 2 ** 32);
  let low = height >>> 0;
  for (let index = 3; index >= 0; index--) {
    out[offset + index] = high & 0xff;
    out[offset + 4 + index] = low & 0xff;
    high >>>= 8;
    low >>>= 8;
  }
}

function readHeight(bytes: Uint8Array, offset: number): number {
  let high = 0;
  let low = 0;
  for (let index = 0; index < 4; index++) {
    high = high * 256 + bytes[offset + index]!;
    low = low * 256 + bytes[offset + 4 + index]!;
  }
  return high * 2 ** 32 + low;
}

function childBytes(child: Child): number {
  return child.kind === 'empty' ? 0 : child.kind === 'leaf' ? LEAF_BYTES : INTERNAL_BYTES;
}

/** A non-empty child: its tag, hash and fields. */
function writeChild(out: Uint8Array, offset: number, child: Child): number {
  assert(child.kind !== 'empty', 'an empty child has no bytes of its own');
  out[offset] = child.kind === 'leaf' ? LEAF_TAG : INTERNAL_TAG;
  out.set(child.hash, offset + 1);
  if (child.kind === 'leaf') {
    out.set(child.keyHash, offset + 1 + HASH_BYTES);
    out.set(child.valueHash, offset + 1 + 2 * HASH_BYTES);
    writeHeight(out, offset + 1 + 3 * HASH_BYTES, child.valueHeight);
    return offset + LEAF_BYTES;
  }
  writeHeight(out, offset + 1 + HASH_BYTES, child.version);
  return offset + INTERNAL_BYTES;
}

function readChild(bytes: Uint8Array, offset: number): { child: Child; next: number } {
  const tag = bytes[offset];
  if (tag === LEAF_TAG) {
    assert(offset + LEAF_BYTES <= bytes.length, 'a state tree record ends inside a leaf');
    const hash = bytes.subarray(offset + 1, offset + 1 + HASH_BYTES);
    const keyHash = bytes.subarray(offset + 1 + HASH_BYTES, offset + 1 + 2 * HASH_BYTES);
    const valueHash = bytes.subarray(offset + 1 + 2 * HASH_BYTES, offset + 1 + 3 * HASH_BYTES);
    return { child: { kind: 'leaf', hash, keyHash, valueHash, valueHeight: readHeight(bytes, offset + 1 + 3 * HASH_BYTES) }, next: offset + LEAF_BYTES };
  }
  assert(tag === INTERNAL_TAG && offset + INTERNAL_BYTES <= bytes.length, 'a state tree record holds an unknown child tag or ends inside a child');
  return { child: { kind: 'internal', hash: bytes.subarray(offset + 1, offset + 1 + HASH_BYTES), version: readHeight(bytes, offset + 1 + HASH_BYTES) }, next: offset + INTERNAL_BYTES };
}

/** A child on its own (the `zr:` root rows): nothing for an empty tree, else its tag, hash and fields. */
export function encodeChild(child: Child): Uint8Array {
  const out = new Uint8Array(childBytes(child));
  if (child.kind !== 'empty') writeChild(out, 0, child);
  return out;
}

export function decodeChild(bytes: Uint8Array): Child {
  if (bytes.length === 0) return EMPTY_CHILD;
  const { child, next } = readChild(bytes, 0);
  assert(next === bytes.length, 'a state tree root record has trailing bytes');
  return child;
}

/** An internal node's row: a 16-bit mask of its non-empty children (bit 15 - slot), then each of them in slot order. */
export function encodeNode(node: InternalNode): Uint8Array {
  let size = MASK_BYTES;
  let mask = 0;
  for (let slot = 0; slot < RADIX; slot++) {
    const child = node.children[slot]!;
    if (child.kind === 'empty') continue;
    mask |= 0x8000 >> slot;
    size += childBytes(child);
  }
  const out = new Uint8Array(size);
  out[0] = mask >> 8;
  out[1] = mask & 0xff;
  let offset = MASK_BYTES;
  for (let slot = 0; slot < RADIX; slot++) {
    const child = node.children[slot]!;
    if (child.kind !== 'empty') offset = writeChild(out, offset, child);
  }
  return out;
}

export function decodeNode(bytes: Uint8Array): InternalNode {
  assert(bytes.length >= MASK_BYTES, 'a state tree node record is too short');
  const mask = (bytes[0]! << 8) | bytes[1]!;
  const children: Child[] = [];
  let offset = MASK_BYTES;
  for (let slot = 0; slot < RADIX; slot++) {
    if ((mask & (0x8000 >> slot)) === 0) {
      children.push(EMPTY_CHILD);
      continue;
    }
    const read = readChild(bytes, offset);
    children.push(read.child);
    offset = read.next;
  }
  assert(offset === bytes.length, 'a state tree node record has trailing bytes');
  return { children };
}
