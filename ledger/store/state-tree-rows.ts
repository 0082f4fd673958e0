/**
 * The state tree's rows in the block store (docs/encoding.md, section 11): versioned internal
 * nodes (`z:`), the root of each retained height (`zr:`), the nodes each height made stale
 * (`zs:`), and the lowest height whose tree is whole (`m:state-floor`). An append writes its
 * height's nodes and root and prunes in the same synced batch, so the store never holds a tree
 * without its nodes.
 *
 * Pruning keeps the trees of the last `heightsKept` heights (the stale-node index of the
 * Jellyfish Merkle tree, Gao et al. 2021, section 3.3): a node replaced at height s is needed only
 * by the trees of heights below s, so once the lowest retained height reaches s it is deleted.
 * Proofs are served at the height a certified header states, a few heights below the head, and
 * the tail check re-derives the root of every checked height from the tree of the one before, so
 * the window covers both with room.
 */
import { assert } from '../assert.js';
import { utf8 } from '../encoding/hex.js';
import { decodeChild, decodeNode, encodeChild, encodeNode, positionKey, type Child, type FetchNodes, type InternalNode, type NodeChanges, type NodePosition, type StateTreeNodes } from '../state-tree/index.js';
import { fixedHex, HEIGHT_DIGITS } from './keys.js';

/** Heights whose state trees a store keeps by default: proofs are served at any of them. */
export const STATE_HEIGHTS_KEPT_DEFAULT = 128;
/** The fewest: a certified checkpoint states the ledger a few heights below the head, and proofs are served there. */
export const STATE_HEIGHTS_KEPT_MIN = 16;
/** The most: a million heights of stale nodes is already far more than any proof needs. */
export const STATE_HEIGHTS_KEPT_MAX = 1_000_000;
/** Heights one append prunes at most, so that lowering heightsKept never makes one huge batch. */
export const STATE_PRUNE_HEIGHTS_PER_APPEND_MAX = 16;

export const stateTreeKeys = {
  node: (position: NodePosition, version: number) => `z:${positionKey(position)}:${fixedHex(version, HEIGHT_DIGITS)}`,
  root: (height: number) => `zr:${fixedHex(height, HEIGHT_DIGITS)}`,
  stale: (height: number) => `zs:${fixedHex(height, HEIGHT_DIGITS)}`,
  floor: 'm:state-floor',
};

/** The store's synchronous reads (LevelDB's getSync): the tree update waits on each node before the next. */
export type SyncGet = (key: string) => Uint8Array | undefined;

export function storedStateTreeNodes(get: SyncGet): StateTreeNodes {
  return {
    node(position: NodePosition, version: number): InternalNode | undefined {
      const bytes = get(stateTreeKeys.node(position, version));
      return bytes === undefined ? undefined : decodeNode(bytes);
    },
  };
}

/** The store's batched reads (LevelDB's getMany, on libuv's thread pool): values in the order of the keys. */
export type ManyGet = (keys: string[]) => Promise<ReadonlyArray<Uint8Array | undefined>>;

/**
 * Node reads in one batch, for prefetchUpdateReads (state-tree/prefetch.ts): those `cached`
 * holds from memory, the rest in one getMany.
 */
export function storedNodesFetch(getMany: ManyGet, cached?: CachedStateTreeNodes): FetchNodes {
  return async (requests) => {
    const nodes = new Array<InternalNode | undefined>(requests.length);
    const missing: number[] = [];
    for (const [index, request] of requests.entries()) {
      const hit = cached?.peek(request.position, request.version);
      if (hit === undefined) missing.push(index);
      else nodes[index] = hit;
    }
    if (missing.length === 0) return nodes;
    const values = await getMany(missing.map((index) => stateTreeKeys.node(requests[index]!.position, requests[index]!.version)));
    for (const [at, index] of missing.entries()) {
      const bytes = values[at];
      nodes[index] = bytes === undefined ? undefined : decodeNode(bytes);
    }
    return nodes;
  };
}

/** Nodes a store keeps in memory (each its row, up to 1.7 KB, and its children's offsets): the upper levels every block rewrites (273 nodes to depth 3), and the paths it reads. */
export const STATE_NODES_CACHED_MAX = 4096;

/**
 * The store's nodes with the most recent kept in memory: nodes never change once
 * written, so a cached node is always right, and pruned ones are no longer asked for. Each
 * block's update reads mostly what the block before wrote (the upper levels), so the appends
 * remember what they write (`remember`, after their batch is durable).
 *
 * Kept in two generations of half the bound each: a new node goes into the recent one, and when
 * that is full it becomes the older one and the older one is dropped whole. Forgetting the oldest
 * node one at a time (`map.delete(map.keys().next().value)`) cost 2.2 µs a node here: V8 leaves a
 * hole for each deleted entry until it rebuilds the table, and a new iterator steps over every
 * hole before the first live entry (docs/performance.md, "Evicting from a Map").
 */
export class CachedStateTreeNodes implements StateTreeNodes {
  private recent = new Map<string, InternalNode>();
  private older = new Map<string, InternalNode>();

  constructor(private readonly get: SyncGet) {}

  node(position: NodePosition, version: number): InternalNode | undefined {
    const key = stateTreeKeys.node(position, version);
    const cached = this.cached(key);
    if (cached !== undefined) return cached;
    const bytes = this.get(key);
    if (bytes === undefined) return undefined;
    const node = decodeNode(bytes);
    this.keep(key, node);
    return node;
  }

  /** A node held in memory, without reading the store. */
  peek(position: NodePosition, version: number): InternalNode | undefined {
    return this.cached(stateTreeKeys.node(position, version));
  }

  /** Keeps an append's new nodes, once its batch is durable; `keys` are their rows' keys, as putStateTreeHeight returned them. */
  remember(changes: NodeChanges, keys: readonly string[]): void {
    assert(keys.length === changes.created.length, `${keys.length} keys for ${changes.created.length} new state tree nodes`);
    for (const [index, created] of changes.created.entries()) this.keep(keys[index]!, created.node);
  }

  /** Nodes held, at most STATE_NODES_CACHED_MAX. */
  get size(): number {
    return this.recent.size + this.older.size;
  }

  private cached(key: string): InternalNode | undefined {
    return this.recent.get(key) ?? this.older.get(key);
  }

  private keep(key: string, node: InternalNode): void {
    if (this.recent.size >= STATE_NODES_CACHED_MAX / 2) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(key, node);
  }
}

export function storedStateTreeRoot(get: SyncGet, height: number): Child | undefined {
  const bytes = get(stateTreeKeys.root(height));
  return bytes === undefined ? undefined : decodeChild(bytes);
}

export function storedStateFloor(get: SyncGet): number | undefined {
  const bytes = get(stateTreeKeys.floor);
  return bytes === undefined ? undefined : Number(new TextDecoder().decode(bytes));
}

/** What a batch needs: LevelDB's chained batch has these two. */
export interface RowBatch {
  put(key: string, value: Uint8Array): unknown;
  del(key: string): unknown;
}

/**
 * Puts one height's tree into the batch: its new nodes, its root, and the list of nodes it made
 * stale. Returns the new nodes' keys, in the order of `changes.created`, for the store's cache.
 */
export function putStateTreeHeight(batch: RowBatch, height: number, root: Child, changes: NodeChanges): string[] {
  const keys = changes.created.map((created) => stateTreeKeys.node(created.position, created.version));
  for (const [index, created] of changes.created.entries()) batch.put(keys[index]!, encodeNode(created.node));
  if (changes.stale.length > 0) batch.put(stateTreeKeys.stale(height), utf8(changes.stale.map((stale) => stateTreeKeys.node(stale.position, stale.version)).join('\n')));
  batch.put(stateTreeKeys.root(height), encodeChild(root));
  return keys;
}

/**
 * Drops the trees of heights below `head - heightsKept + 1` (at most STATE_PRUNE_HEIGHTS_PER_APPEND_MAX
 * heights a call) and returns the new floor, the lowest height whose tree stays whole.
 */
export function pruneStateTrees(batch: RowBatch, get: SyncGet, floor: number, head: number, heightsKept: number): number {
  assert(Number.isSafeInteger(heightsKept) && heightsKept >= 1, `heightsKept ${heightsKept} must be a positive integer`);
  const wanted = Math.min(Math.max(floor, head - heightsKept + 1), floor + STATE_PRUNE_HEIGHTS_PER_APPEND_MAX);
  for (let next = floor + 1; next <= wanted; next++) {
    // The tree of height next - 1 goes: its root, and the nodes that only it and older ones used.
    batch.del(stateTreeKeys.root(next - 1));
    const stale = get(stateTreeKeys.stale(next));
    if (stale === undefined) continue;
    for (const key of new TextDecoder().decode(stale).split('\n')) batch.del(key);
    batch.del(stateTreeKeys.stale(next));
  }
  if (wanted !== floor) batch.put(stateTreeKeys.floor, utf8(String(wanted)));
  return wanted;
}
