/**
 * The RFC 9162 Merkle log core: hashing (section 2.1.1), storage-agnostic proof planning and
 * assembly (sections 2.1.3.1 and 2.1.4.1), verification (sections 2.1.3.2 and 2.1.4.2), the
 * append frontier and an in-memory log.
 */
export { type Hash, EMPTY_ROOT, HASH_BYTES, isHash, leafHash, nodeHash } from './hashing.js';
export { type NodeId, type NodeLookup, type NodeWrite, MERKLE_SIZE_MAX } from './nodes.js';
export { nodesForConsistencyProof, nodesForInclusionProof, nodesForRoot } from './planning.js';
export { buildConsistencyProof, buildInclusionProof, rootFromNodes } from './proofs.js';
export { type ProofCheck, verifyConsistency, verifyInclusion } from './verification.js';
export { MerkleFrontier } from './frontier.js';
export { MemoryMerkleLog } from './memory-log.js';
