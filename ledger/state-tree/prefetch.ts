/**
 * The nodes one update will read, found before it runs (docs/encoding.md, section 9): the update
 * (update.ts) is synchronous and reads each node on its path as it descends, which from a store
 * means one synchronous read per node on the caller's thread; on a large ledger most of them miss
 * every cache and an append or a check then holds a validator's event loop for hundreds of
 * milliseconds. Here the same descent runs level by level, asking the caller for each depth's
 * nodes in one batch (a store reads them off the event loop), and the update then runs from
 * memory.
 *
 * It descends exactly as the update does: from an internal node into each child slot that a
 * write reaches, if that child is an internal node. So every node the update asks for is among
 * those fetched, unless the store lacks it (then the update's own read finds the same absence).
 */
import { nibbleAt } from './hashing.js';
import { positionKey, type Child, type InternalNode, type NodePosition, type StateTreeNodes } from './nodes.js';
import type { PreparedWrite } from './update.js';

export interface NodeRequest {
  position: NodePosition;
  version: number;
}

/** Reads the requested nodes, in the order asked (undefined for one not stored). */
export type FetchNodes = (requests: readonly NodeRequest[]) => Promise<ReadonlyArray<InternalNode | undefined>>;

/** The nodes fetched, by position and version. */
export type PrefetchedNodes = ReadonlyMap<string, InternalNode>;

function nodeIdentity(position: NodePosition, version: number): string {
  return `${positionKey(position)}@${version}`;
}

interface Descent {
  child: Extract<Child, { kind: 'internal' }>;
  depth: number;
  /** The writes [lo, hi) under this node, in key-hash order (prepareWrites). */
  lo: number;
  hi: number;
}

/** Every node `updateStateTree(…, root, …, writes)` reads, one `fetch` per depth of the tree. */
export async function prefetchUpdateReads(root: Child, writes: readonly PreparedWrite[], fetch: FetchNodes): Promise<PrefetchedNodes> {
  const fetched = new Map<string, InternalNode>();
  let level: Descent[] = root.kind === 'internal' && writes.length > 0 ? [{ child: root, depth: 0, lo: 0, hi: writes.length }] : [];
  while (level.length > 0) {
    const requests = level.map((descent) => ({ position: { depth: descent.depth, keyHash: writes[descent.lo]!.keyHash }, version: descent.child.version }));
    const nodes = await fetch(requests);
    const next: Descent[] = [];
    for (const [index, descent] of level.entries()) {
      const node = nodes[index];
      if (node === undefined) continue;
      fetched.set(nodeIdentity(requests[index]!.position, requests[index]!.version), node);
      // The writes share the nibbles above, so they come grouped by the nibble at this depth.
      for (let start = descent.lo; start < descent.hi; ) {
        const slot = nibbleAt(writes[start]!.keyHash, descent.depth);
        let end = start + 1;
        while (end < descent.hi && nibbleAt(writes[end]!.keyHash, descent.depth) === slot) end++;
        const child = node.child(slot);
        if (child.kind === 'internal') next.push({ child, depth: descent.depth + 1, lo: start, hi: end });
        start = end;
      }
    }
    level = next;
  }
  return fetched;
}

/** The fetched nodes first, `fallback` for anything else. */
export function withPrefetched(fetched: PrefetchedNodes, fallback: StateTreeNodes): StateTreeNodes {
  return {
    node(position, version) {
      return fetched.get(nodeIdentity(position, version)) ?? fallback.node(position, version);
    },
  };
}
