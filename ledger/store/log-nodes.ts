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
 * - Below the floor a node is computed from the leaves it covers: the nodes a proof or a root
 *   needs there lie inside one or two aligned runs of 2^floor leaves (the leaf's own, and the
 *   log's last, partial one), whose rows are adjacent, so LevelDB finds them all in one or two of
 *   its blocks. Levels that would need more than 2^leafRunLevelMax leaves are read as nodes.
 *   Everything a lookup reads goes in one batch of point reads (one trip to LevelDB's thread).
 */
import { assert } from '../assert.js';
import { type Hash, HASH_BYTES, type NodeId, type NodeLookup, type NodeWrite, nodeHash } from '../merkle/index.js';
import { storeKeys } from './keys.js';

export const LOG_NODE_LIMITS = {
  /** Nodes of the upper levels held in memory, 32 bytes each: 2 MiB. */
  upperNodesMax: 65_536,
  /** A node below the floor is computed from at most 2^6 = 64 leaves (one range read); higher ones are read. */
  leafRunLevelMax: 6,
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
   * the upper levels from memory, the rest with one range read of leaves per run and at most one
   * batch of point reads. A missing row is a broken store and throws.
   */
  async lookup(ids: readonly NodeId[]): Promise<NodeLookup> {
    const found = new Map<string, Hash>();
    const runLevel = Math.min(this.#floor, LOG_NODE_LIMITS.leafRunLevelMax);
    const runs = new Set<number>();
    const reads: NodeId[] = [];
    for (const id of ids) {
      assert((id.index + 1) * 2 ** id.level <= this.#size, `merkle node ${id.level}/${id.index} is beyond the log of ${this.#size}`);
      if (id.level >= this.#floor) found.set(keyOf(id), this.#levels[id.level]!.at(id.index)!);
      else if (id.level < runLevel) runs.add(Math.floor((id.index * 2 ** id.level) / 2 ** runLevel));
      else reads.push(id);
    }
    const leafRuns = [...runs].map((run) => {
      const start = run * 2 ** runLevel;
      return { start, end: Math.min(start + 2 ** runLevel, this.#size) };
    });
    for (const { start, end } of leafRuns) for (let leaf = start; leaf < end; leaf++) reads.push({ level: 0, index: leaf });
    if (reads.length > 0) {
      const values = await this.source.getMany(reads.map((id) => storeKeys.merkleNode(id.level, id.index)));
      for (const [position, id] of reads.entries()) {
        const value = values[position];
        if (value !== undefined) found.set(keyOf(id), value);
      }
    }
    for (const run of leafRuns) this.#completeRun(run, runLevel, found);
    return (id) => {
      const node = found.get(keyOf(id));
      if (node === undefined) throw new Error(`Merkle node level ${id.level} index ${id.index} is missing`);
      return node;
    };
  }

  /** Every complete node below runLevel over one aligned run of leaves [start, end), from the leaves read. */
  #completeRun({ start, end }: { start: number; end: number }, runLevel: number, found: Map<string, Hash>): void {
    let hashes = Array.from({ length: end - start }, (_, offset) => found.get(keyOf({ level: 0, index: start + offset })));
    const missing = hashes.indexOf(undefined);
    if (missing !== -1) throw new Error(`Merkle leaf ${start + missing} is missing`);
    for (let level = 1, first = start / 2; level < runLevel && hashes.length > 1; level++, first /= 2) {
      const parents: Hash[] = [];
      for (let pair = 0; pair + 1 < hashes.length; pair += 2) parents.push(nodeHash(hashes[pair]!, hashes[pair + 1]!));
      for (const [offset, hash] of parents.entries()) found.set(keyOf({ level, index: first + offset }), hash);
      hashes = parents;
    }
  }
}

function keyOf(id: NodeId): string {
  return `${id.level}/${id.index}`;
}
