/** The state tree: a sparse Merkle tree over the application state (docs/encoding.md, sections 9 and 16). */
export * from './hashing.js';
export * from './nodes.js';
export * from './update.js';
export * from './prefetch.js';
export * from './proof.js';
export { MemoryStateTree } from './memory-tree.js';
