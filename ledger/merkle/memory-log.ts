/**
 * An RFC 9162 Merkle log held entirely in memory, for tests, the offline verifier and the
 * simulator. It stores nodes exactly as the disk store does (every complete aligned subtree)
 * and answers through the same planning and assembly code, so it exercises the real paths.
 */
import { assert } from '../assert.js';
import { type Hash, leafHash } from './hashing.js';
import { MerkleFrontier } from './frontier.js';
import { type NodeId, type NodeLookup, nodeKey } from './nodes.js';
import { buildConsistencyProof, buildInclusionProof, rootFromNodes } from './proofs.js';

export class MemoryMerkleLog {
  readonly #nodes = new Map<string, Hash>();
  readonly #frontier = MerkleFrontier.empty();

  readonly lookup: NodeLookup = (id: NodeId): Hash => {
    const hash = this.#nodes.get(nodeKey(id));
    assert(hash !== undefined, `merkle node ${nodeKey(id)} is not stored`);
    return hash;
  };

  /** Appends raw leaf data (hashed per RFC 9162 section 2.1.1) and returns its leaf index. */
  append(data: Uint8Array): number {
    return this.appendLeafHash(leafHash(data));
  }

  appendLeafHash(leaf: Hash): number {
    const leafIndex = this.#frontier.size;
    for (const write of this.#frontier.append(leaf)) this.#nodes.set(nodeKey(write.id), write.hash);
    return leafIndex;
  }

  get size(): number {
    return this.#frontier.size;
  }

  root(size = this.size): Hash {
    this.#assertKnownSize(size);
    return size === this.size ? this.#frontier.root() : rootFromNodes(size, this.lookup);
  }

  inclusionProof(leafIndex: number, size = this.size): Hash[] {
    this.#assertKnownSize(size);
    return buildInclusionProof(leafIndex, size, this.lookup);
  }

  consistencyProof(oldSize: number, newSize = this.size): Hash[] {
    this.#assertKnownSize(newSize);
    return buildConsistencyProof(oldSize, newSize, this.lookup);
  }

  #assertKnownSize(size: number): void {
    assert(size <= this.size, `tree size ${size} is beyond the log's ${this.size} leaves`);
  }
}
