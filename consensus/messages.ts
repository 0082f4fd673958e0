/**
 * Consensus messages (docs/consensus.md, "Messages"), as Jolteon / DiemBFT v4 defines them:
 * proposals carrying the certificate that justifies their round, votes sent to the next leader,
 * timeouts carrying the sender's highest quorum certificate, timeout certificates, and the sync
 * messages that fetch missing blocks. Blocks use the ledger's header; the payload is opaque bytes
 * that only the application reads.
 *
 * Every signed message has one digest and its own domain tag (docs/encoding.md, section 2):
 *   proposal: domainTag("proposal") || H(JCS({blockHash, payloadHash}))
 *   vote:     domainTag("vote")     || H(JCS({blockHash, height, round}))    (ledger/model/certificate.ts)
 *   timeout:  domainTag("timeout")  || H(JCS({round, highQcRound}))
 */
import { canonicalBytes } from '../ledger/encoding/canonical-json.js';
import { toHex } from '../ledger/encoding/hex.js';
import { sha256 } from '../ledger/crypto/sha256.js';
import type { BlockHeader } from '../ledger/model/block.js';
import type { QuorumCertificate, VoteData } from '../ledger/model/certificate.js';

/** A block as consensus sees it: the ledger header and the application's opaque payload. */
export interface ProposedBlock {
  header: BlockHeader;
  payload: Uint8Array;
}

/**
 * A certificate for the parent of a block. `null` stands for genesis, the implicit certified
 * block at height 0 and round 0 whose hash is the genesis hash.
 */
export type ParentCertificate = QuorumCertificate | null;

export interface TimeoutSignature {
  validator: string;
  /** Round of the highest QC the signer had when it timed out (0 for genesis). */
  highQcRound: number;
  signature: string;
}

/** n - f timeouts for one round: lets the next leader propose without a QC for this round. */
export interface TimeoutCertificate {
  round: number;
  /** The highest QC among the signers' (its round is the maximum highQcRound). */
  highQc: ParentCertificate;
  signatures: TimeoutSignature[];
}

export interface ProposalMessage {
  kind: 'proposal';
  block: ProposedBlock;
  /** Certifies the block's parent (header.prevHash). */
  justify: ParentCertificate;
  /** Present when the previous round ended in a timeout rather than a QC. */
  timeoutCertificate: TimeoutCertificate | null;
  /** The proposer's signature over the proposal digest. */
  signature: string;
}

export interface VoteMessage {
  kind: 'vote';
  vote: VoteData;
  validator: string;
  signature: string;
}

export interface TimeoutMessage {
  kind: 'timeout';
  round: number;
  highQc: ParentCertificate;
  validator: string;
  signature: string;
  /** The sender's highest TC, so a validator in a lower round can catch up. */
  highTc: TimeoutCertificate | null;
}

/**
 * Sent to a validator seen in a lower round: the certificates that move it forward. With
 * `request`, the sender asks for the receiver's own sync-info in return (a validator recovering
 * a lost safety record learns the network's round this way, even on an idle network); an answer
 * never carries `request`, so requests cannot bounce.
 */
export interface SyncInfoMessage {
  kind: 'sync-info';
  highQc: ParentCertificate;
  highTc: TimeoutCertificate | null;
  request?: true;
}

/** Asks for the block with `blockHash` and up to `count - 1` of its ancestors. */
export interface BlockRequestMessage {
  kind: 'block-request';
  requestId: number;
  blockHash: string;
  count: number;
}

export interface BlockRecord {
  block: ProposedBlock;
  justify: ParentCertificate;
}

export interface BlockResponseMessage {
  kind: 'block-response';
  requestId: number;
  /** Newest first: the requested block, then its parent, and so on. Empty if unknown here. */
  blocks: BlockRecord[];
  /** The responder's committed height: a requester below it may need committed-block catch-up. */
  committedHeight: number;
}

/**
 * Asks for committed blocks from `fromHeight` on. The driver answers it from the ledger store
 * (the core holds only recent blocks); the answer reaches the requester's core as a message.
 */
export interface CommittedRequestMessage {
  kind: 'committed-request';
  fromHeight: number;
  count: number;
}

export interface CommittedBlock {
  block: ProposedBlock;
  /** The QC on this block itself. */
  certificate: QuorumCertificate;
}

export interface CommittedResponseMessage {
  kind: 'committed-response';
  blocks: CommittedBlock[];
}

export type ConsensusMessage =
  | ProposalMessage
  | VoteMessage
  | TimeoutMessage
  | SyncInfoMessage
  | BlockRequestMessage
  | BlockResponseMessage
  | CommittedRequestMessage
  | CommittedResponseMessage;

export function payloadHash(payload: Uint8Array): string {
  return toHex(sha256(payload));
}

export function proposalDigest(blockHash: string, payload: Uint8Array): Uint8Array {
  return sha256(canonicalBytes({ blockHash, payloadHash: payloadHash(payload) }));
}

export function timeoutDigest(round: number, highQcRound: number): Uint8Array {
  return sha256(canonicalBytes({ round, highQcRound }));
}

export function certificateRound(certificate: ParentCertificate): number {
  return certificate === null ? 0 : certificate.vote.round;
}

export function certificateHeight(certificate: ParentCertificate): number {
  return certificate === null ? 0 : certificate.vote.height;
}
