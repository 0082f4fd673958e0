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

/**
 * An internal node held as its row (docs/encoding.md, section 11): the bytes as stored, and where
 * each child starts in them. Decoding is a walk over the mask and tags that checks the row's
 * shape and notes the offsets; a child becomes an object only when asked for. An update reads a
 * node to change one or a few of its sixteen children, and writes the new row mostly by copying
 * the old one's spans, so a node costs two small allocations rather than sixteen children with
 * three views each. Immutable, like the rows.
 */
export class InternalNode {
  private constructor(
    /** The row: a 16-bit mask of the non-empty children (bit 15 - slot), then each of them in slot order. */
    readonly bytes: Uint8Array,
    /** Where each child's tag is in `bytes`; 0 for an empty slot (offset 0 is the mask). */
    private readonly offsets: Uint16Array,
  ) {}

  /** The node of a stored row, its shape checked (a damaged row is a broken invariant). */
  static fromRow(bytes: Uint8Array): InternalNode {
    assert(bytes.length >= MASK_BYTES, 'a state tree node record is too short');
    const mask = (bytes[0]! << 8) | bytes[1]!;
    const offsets = new Uint16Array(RADIX);
    let offset = MASK_BYTES;
    for (let slot = 0; slot < RADIX; slot++) {
      if ((mask & (0x8000 >> slot)) === 0) continue;
      offsets[slot] = offset;
      offset = childEnd(bytes, offset);
    }
    assert(offset === bytes.length, 'a state tree node record has trailing bytes');
    return new InternalNode(bytes, offsets);
  }

  /** The node over `children` (RADIX of them), in its row's form. */
  static fromChildren(children: readonly Child[]): InternalNode {
    return buildNode(undefined, children);
  }

  /** For buildNode: a row it has just written, whose offsets it noted as it went. */
  static trusted(bytes: Uint8Array, offsets: Uint16Array): InternalNode {
    return new InternalNode(bytes, offsets);
  }

  isEmpty(slot: number): boolean {
    return this.offsets[slot] === 0;
  }

  /** The child in `slot`, as an object (its hashes views of the row). */
  child(slot: number): Child {
    const offset = this.offsets[slot]!;
    return offset === 0 ? EMPTY_CHILD : readChild(this.bytes, offset).child;
  }

  /** Where the child in `slot` starts in the row (0 when empty). */
  spanStart(slot: number): number {
    return this.offsets[slot]!;
  }

  /** Where the child in `slot` ends in the row (0 when empty). */
  spanEnd(slot: number): number {
    const start = this.offsets[slot]!;
    return start === 0 ? 0 : start + (this.bytes[start] === LEAF_TAG ? LEAF_BYTES : INTERNAL_BYTES);
  }

  /** The child in `slot`'s hash, copied into `out` at `at` (zeros when empty). */
  copyHash(slot: number, out: Uint8Array, at: number): void {
    const offset = this.offsets[slot]!;
    if (offset === 0) {
      out.fill(0, at, at + HASH_BYTES);
      return;
    }
    const bytes = this.bytes;
    for (let index = 0; index < HASH_BYTES; index++) out[at + index] = bytes[offset + 1 + index]!;
  }

  /** All sixteen children as objects: for tests and tools; the update and proofs ask for one at a time. */
  get children(): Child[] {
    return Array.from({ length: RADIX }, (_, slot) => this.child(slot));
  }
}

/** Where the child starting at `offset` ends, its tag and length checked. */
function childEnd(bytes: Uint8Array, offset: number): number {
  const tag = bytes[offset];
  if (tag === LEAF_TAG) {
    assert(offset + LEAF_BYTES <= bytes.length, 'a state tree record ends inside a leaf');
    return offset + LEAF_BYTES;
  }
  assert(tag === INTERNAL_TAG && offset + INTERNAL_BYTES <= bytes.length, 'a state tree record holds an unknown child tag or ends inside a child');
  return offset + INTERNAL_BYTES;
}

/**
 * A node's row from an older node of the same position (or none) and the children that replace
 * some of its own: unchanged children are copied from the old row a run at a time, never decoded.
 * `replaced[slot]` undefined keeps the old child (empty when there is no old node).
 */
export function buildNode(base: InternalNode | undefined, replaced: ReadonlyArray<Child | undefined>): InternalNode {
  let size = MASK_BYTES;
  let mask = 0;
  for (let slot = 0; slot < RADIX; slot++) {
    const child = replaced[slot];
    const bytes = child !== undefined ? childBytes(child) : base === undefined ? 0 : base.spanEnd(slot) - base.spanStart(slot);
    if (bytes === 0) continue;
    mask |= 0x8000 >> slot;
    size += bytes;
  }
  const out = new Uint8Array(size);
  const offsets = new Uint16Array(RADIX);
  out[0] = mask >> 8;
  out[1] = mask & 0xff;
  let offset = MASK_BYTES;
  // Kept children are copied a run at a time: adjacent in the old row and in the new one.
  let runStart = 0;
  let runEnd = 0;
  let runAt = 0;
  for (let slot = 0; slot < RADIX; slot++) {
    if ((mask & (0x8000 >> slot)) === 0) continue;
    const child = replaced[slot];
    if (child !== undefined) {
      if (runEnd > runStart) out.set(base!.bytes.subarray(runStart, runEnd), runAt);
      runStart = runEnd = 0;
      offsets[slot] = offset;
      offset = writeChild(out, offset, child);
      continue;
    }
    const start = base!.spanStart(slot);
    const end = base!.spanEnd(slot);
    if (start !== runEnd) {
      if (runEnd > runStart) out.set(base!.bytes.subarray(runStart, runEnd), runAt);
      runStart = start;
      runAt = offset;
    }
    runEnd = end;
    offsets[slot] = offset;
    offset += end - start;
  }
  if (runEnd > runStart) out.set(base!.bytes.subarray(runStart, runEnd), runAt);
  assert(offset === size, 'a state tree node row was not filled');
  return InternalNode.trusted(out, offsets);
}

/** An internal node's row. */
export function encodeNode(node: InternalNode): Uint8Array {
  return node.bytes;
}

export function decodeNode(bytes: Uint8Array): InternalNode {
  return InternalNode.fromRow(bytes);
}
