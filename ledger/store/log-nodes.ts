/**
 * Reading the ledger's Merkle log (RFC 9162 section 2.1.1; the `n:` rows of docs/encoding.md
 * section 11) for proofs and roots with few LevelDB reads. A proof in a log of a million leaves
 * names about twenty nodes, one per level, each in its own stretch of the key space (the rows
 * sort by level), so it met as many tables on a large store and as many chances to reopen one.
 *
 * - The upper levels are kept in memory: every level from `floor` up, where `floor` is the lowest
 *   level at which those levels hold at most `upperNodesMax` nodes together (32 bytes each). The
 *   log is append-only and a node, once written, never changes, so these never go stale: the
 *   store adds the nodes each append completes once its batch is durable, and drops the lowest
 *   level when the log outgrows the budget.
 * - Below the floor each node a proof or a root needs is read as its own row, all of them in one
 *   batch of point reads (one trip to LevelDB's thread): at most one a level, five at a million
 *   leaves. Computing them from the runs of adjacent leaves under them instead read 32 rows and
 *   hashed 31 nodes a proof, which doubled the garbage a proof leaves and cost more than the
 *   tables the scattered rows may reopen (docs/performance.md, "A proof's garbage").
 */
import { assert } from '../assert.js';
import { type Hash, HASH_BYTES, type NodeId, type NodeLookup, type NodeWrite } from '../merkle/index.js';
import { storeKeys } from './keys.js';

export const LOG_NODE_LIMITS = {
  /** Nodes of the upper levels held in memory, 32 bytes each: 2 MiB. */
  upperNodesMax: 65_536,
} as const;

/** What the reader needs of the database: a batch of point reads, and a range read to load a level. */
export interface LogNodeSource {
  getMany(keys: string[]): Promise<Array<Uint8Array | undefined>>;
  range(gte: string, lt: string): Promise<Uint8Array[]>;
}

/** The lowest level from which every level up, in a log of `size` leaves, holds at most `nodesMax` complete nodes in all. */
export function upperFloor(size: number, nodesMax: number = LOG_NODE_LIMITS.upperNodesMax): number {
  let floor = 0;
  while (nodesAtOrAbove(size, floor) > nodesMax) floor++;
  return floor;
}

function nodesAtOrAbove(size: number, level: number): number {
  let total = 0;
  for (let width = 2 ** level; width <= size; width *= 2) total += Math.floor(size / width);
  return total;
}

/** One level's hashes end to end in one growing array: 32 bytes a node, not an object each. */
class PackedHashes {
  #bytes = new Uint8Array(0);
  #count = 0;

  get length(): number {
    return this.#count;
  }

  push(hash: Hash): void {
    assert(hash.length === HASH_BYTES, 'a Merkle node is a 32-byte hash');
    if ((this.#count + 1) * HASH_BYTES > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(HASH_BYTES * 64, this.#bytes.length * 2));
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes.set(hash, this.#count * HASH_BYTES);
    this.#count++;
  }

  /** A copy, so that what a caller does with it never reaches the level. */
  at(index: number): Hash | undefined {
    return index < this.#count ? this.#bytes.slice(index * HASH_BYTES, (index + 1) * HASH_BYTES) : undefined;
  }
}

export class LogNodes {
  #size: number;
  #floor: number;
  /** `#levels[level]`, for levels from the floor up; lower levels are empty. */
  readonly #levels: PackedHashes[];

  private constructor(
    private readonly source: LogNodeSource,
    size: number,
    floor: number,
    levels: PackedHashes[],
    private readonly nodesMax: number,
  ) {
    this.#size = size;
    this.#floor = floor;
    this.#levels = levels;
  }

  /** Reads the upper levels of a log of `size` leaves: one range read a level. */
  static async load(source: LogNodeSource, size: number, nodesMax: number = LOG_NODE_LIMITS.upperNodesMax): Promise<LogNodes> {
    const floor = upperFloor(size, nodesMax);
    const levels: PackedHashes[] = [];
    for (let level = 0; 2 ** level <= size; level++) {
      const packed = new PackedHashes();
      levels.push(packed);
      if (level < floor) continue;
      const count = Math.floor(size / 2 ** level);
      const hashes = await source.range(storeKeys.merkleNode(level, 0), storeKeys.merkleNode(level, count));
      if (hashes.length !== count) throw new Error(`Merkle level ${level} holds ${hashes.length} nodes, not the ${count} a log of ${size} leaves has`);
      for (const hash of hashes) packed.push(hash);
    }
    return new LogNodes(source, size, floor, levels, nodesMax);
  }

  get size(): number {
    return this.#size;
  }

  get floor(): number {
    return this.#floor;
  }

  /** Nodes held in memory. */
  get upperNodes(): number {
    return this.#levels.reduce((total, level) => total + level.length, 0);
  }

  /**
   * Takes the nodes an append completed (MerkleFrontier.append's writes, in order), once they are
   * durable, and the log's new size.
   */
  appended(writes: readonly NodeWrite[], size: number): void {
    assert(size >= this.#size, `the log shrank from ${this.#size} to ${size}`);
    for (const { id, hash } of writes) {
      if (id.level < this.#floor) continue;
      while (this.#levels.length <= id.level) this.#levels.push(new PackedHashes());
      const level = this.#levels[id.level]!;
      assert(id.index === level.length, `Merkle node ${id.level}/${id.index} arrives after ${level.length} of its level`);
      level.push(hash);
    }
    this.#size = size;
    for (let floor = upperFloor(size, this.nodesMax); this.#floor < floor; this.#floor++) this.#levels[this.#floor] = new PackedHashes();
  }

  /**
   * A lookup over the given nodes, all complete subtrees of the log of the current size: those of
   * the upper levels from memory, the rest with one batch of point reads. A missing row is a
   * broken store and throws.
   */
  async lookup(ids: readonly NodeId[]): Promise<NodeLookup> {
    const found = new Map<string, Hash>();
    const reads: NodeId[] = [];
    for (const id of ids) {
      assert((id.index + 1) * 2 ** id.level <= this.#size, `merkle node ${id.level}/${id.index} is beyond the log of ${this.#size}`);
      if (id.level >= this.#floor) found.set(keyOf(id), this.#levels[id.level]!.at(id.index)!);
      else reads.push(id);
    }
    if (reads.length > 0) {
      const values = await this.source.getMany(reads.map((id) => storeKeys.merkleNode(id.level, id.index)));
      for (const [position, id] of reads.entries()) {
        const value = values[position];
        if (value === undefined) throw new Error(`Merkle node level ${id.level} index ${id.index} is missing`);
        if (value.length !== HASH_BYTES) throw new Error(`Merkle node level ${id.level} index ${id.index} holds ${value.length} bytes, not a 32-byte hash`);
        found.set(keyOf(id), value);
      }
    }
    return (id) => {
      const node = found.get(keyOf(id));
      if (node === undefined) throw new Error(`Merkle node level ${id.level} index ${id.index} is missing`);
      return node;
    };
  }
}

function keyOf(id: NodeId): string {
  return `${id.level}/${id.index}`;
}
