/**
 * The consensus core's boundary (docs/consensus.md, "The state machine"): what goes in, what
 * comes out, what the application provides, and what is persisted. Like etcd's raft library,
 * the core never performs I/O: the driver (node/ in production, tools/sim in simulation)
 * carries out the outputs of each step in order: durable writes, then sends, then commits,
 * then the timer.
 */
import type { BlockHeader } from '../ledger/model/block.js';
import type { QuorumCertificate } from '../ledger/model/certificate.js';
import type { Validator, ValidatorSet } from '../ledger/model/validator-set.js';
import type { BlockRecord, CommittedBlock, ConsensusMessage, ParentCertificate, TimeoutCertificate } from './messages.js';

export interface ConsensusLimits {
  /** Largest payload a proposal may carry. */
  payloadBytesMax: number;
  /** Messages for rounds further ahead than this are refused as far-future. */
  futureRoundsMax: number;
  /** Blocks held in the uncommitted tree (beyond it, proposals are refused until commits prune). */
  pendingBlocksMax: number;
  /** Committed blocks kept in memory to answer block requests from slightly lagging peers. */
  recentCommittedBlocksKept: number;
  /** Block requests in flight at once. */
  syncRequestsMax: number;
  /** Blocks in one block-response or committed-response. */
  blocksPerResponseMax: number;
  /** Proposals waiting for missing ancestors or for the application to catch up. */
  pendingProposalsMax: number;
  /** Votes held for rounds whose proposal has not arrived yet, per round. */
  bufferedVotesPerRoundMax: number;
}

export interface ConsensusTimings {
  /** Round timeout after progress; doubles (by backoffFactor) for each round without a commit. */
  roundTimeoutBaseMs: number;
  roundTimeoutMaxMs: number;
  backoffFactor: number;
  /**
   * The heartbeat: a leader with nothing to order waits this long before proposing an empty
   * block, and a round without work times out only this long plus its round timeout after it began.
   */
  idleProposalDelayMs: number;
  /** How often a validator that timed out re-broadcasts its timeout (lossy links). */
  timeoutRebroadcastMs: number;
  /** A block request not answered within this is retried with another peer. */
  syncRequestTimeoutMs: number;
  /** How far ahead of the local clock a block timestamp may be. */
  clockSkewMaxMs: number;
  /**
   * How far behind the local clock a proposal's timestamp may be when it arrives
   * (docs/consensus.md "Block time"): what bounds how long a Byzantine leader can hold block
   * time back. Well above twice clockSkewMaxMs plus a network delay, or honest leaders' blocks
   * would be refused.
   */
  timestampLagMaxMs: number;
}

/** Test-only switches that break the protocol on purpose, to prove the simulator's checkers bite. */
export interface UnsafeTestSwitches {
  /** Vote even when the proposal's certificates do not justify its round (breaks safety). */
  skipSafeToVoteRule?: boolean;
  /** Keep the stored safety state as it is, below the certificates the stores hold (breaks safety after a rollback). */
  skipSafetyFloor?: boolean;
  /** Sign at once after a lost safety record, without learning the network's round first (breaks safety). */
  skipSafetyRecovery?: boolean;
}

/**
 * A validator-set epoch as the core runs it (docs/consensus.md, "Validator-set epochs"): a fresh
 * Jolteon instance whose genesis is the last block of the previous epoch. Rounds restart at 1,
 * the block at `startHeight` extends `rootHash` with no parent certificate, and every signature
 * is domain-separated by `number`.
 */
export interface EpochConfig {
  number: number;
  validators: ValidatorSet;
  /** The first height this set certifies. */
  startHeight: number;
  /** Hash and timestamp of the block at startHeight - 1 (for epoch 0, the genesis hash and time). */
  rootHash: string;
  rootTimestamp: number;
}

export interface ConsensusConfig {
  chainId: string;
  genesisHash: string;
  genesisTime: number;
  /** The genesis validator set (epoch 0). */
  validators: ValidatorSet;
  /** The epoch the ledger's committed head is in, when it is past epoch 0. */
  epoch?: EpochConfig;
  /**
   * This validator's id. Outside the epoch's set it is an observer: it follows and commits the
   * chain but signs nothing (a validator that is about to join, or one that left).
   */
  self: string;
  /** The signing key; only the safety module reads it. */
  signingSeed: Uint8Array;
  limits: ConsensusLimits;
  timings: ConsensusTimings;
  unsafeTestSwitches?: UnsafeTestSwitches;
}

/** What the application reports about a proposed block. */
export type ProposalCheck =
  | { verdict: 'accept' }
  | { verdict: 'reject'; reason: string }
  /** The header names a ledger height the application has not executed yet: ask again later. */
  | { verdict: 'not-ready' }
  /**
   * The payload names transactions the application does not hold yet (proposals carry their
   * references, not their bodies); it has asked peers for them and gives the core a
   * 'transactions-arrived' input once it holds more. A validator votes only for blocks whose
   * every transaction it holds, so a certified block's data is with at least f + 1 honest ones.
   */
  | { verdict: 'missing-transactions' };

/** The header fields and payload the application fills in for a new block. */
export interface ProposalContent {
  payload: Uint8Array;
  txCount: number;
  txRoot: string;
  ledgerHeight: number;
  logSize: number;
  logRoot: string;
  stateRoot: string;
}

/** A validator set change the executed ledger has scheduled: the set certifies heights from startHeight on. */
export interface ScheduledValidatorSet {
  startHeight: number;
  validators: Validator[];
}

/**
 * The application port (in the spirit of ABCI): synchronous and deterministic from the core's
 * point of view. The core treats payloads as opaque bytes.
 */
export interface ApplicationPort {
  /** The height through which the application has executed committed blocks. */
  executedThrough(): number;
  /**
   * The validator set change recorded in the executed ledger's state, if any (it may already
   * have taken effect; the core ignores one that starts at or below its epoch's start).
   */
  scheduledValidatorSet(): ScheduledValidatorSet | undefined;
  /**
   * Whether transactions are waiting that no committed block orders, neither one the application
   * was given nor `committedThisStep` (blocks this step committed, whose commit output the
   * application has not seen yet); if none, a leader may wait before proposing an empty block.
   */
  hasPendingTransactions(committedThisStep: readonly ProposedBlockView[]): boolean;
  /**
   * Payload and ledger fields for a new block at `height` on top of `parent`. Undefined when the
   * application has not yet executed the parent's ledgerHeight (a block's ledgerHeight never goes
   * below its parent's); the core asks again when the ledger advances.
   */
  propose(context: ProposalContext): ProposalContent | undefined;
  /** Everything a voter checks: the payload (as checkPayload), and the header's ledger roots against the application's ledger. */
  checkProposal(header: BlockHeader, payload: Uint8Array, ancestors: readonly ProposedBlockView[]): ProposalCheck;
  /**
   * Only that the payload is well formed and matches the header's txCount and txRoot. Used for
   * blocks fetched by sync: their header is quorum-certified, but the certificate does not
   * cover the payload bytes, so a peer could pair a certified header with a forged payload.
   */
  checkPayload(header: BlockHeader, payload: Uint8Array): { ok: true } | { ok: false; reason: string };
}

export interface ProposalContext {
  height: number;
  round: number;
  parent: BlockHeader | null;
  ancestors: readonly ProposedBlockView[];
  /**
   * The block lies past the end of its epoch (docs/consensus.md, "Validator-set epochs"): it
   * exists only to commit the epoch's last block and must carry no transactions.
   */
  emptyOnly: boolean;
  /**
   * The highest ledgerHeight the block may state: what its own chain proves committed (its
   * parent's ledgerHeight, the epoch's root, or a two-chain among its certified ancestors). A
   * height this validator committed through a certificate the others never saw would leave them
   * unable to check the proposal (docs/consensus.md, "Ledger heights a proposal may state").
   */
  ledgerHeightMax: number;
}

/**
 * The ancestors of a new block the application has not executed yet, oldest first: the
 * uncommitted ones, preceded by any committed in the same step (their commit output comes after
 * this call). The application uses them to avoid proposing a transaction twice.
 */
export interface ProposedBlockView {
  header: BlockHeader;
  payload: Uint8Array;
}

export type ConsensusInput =
  /** `epoch` is the sender's epoch as its envelope states it (absent: the receiver's own, for in-process harnesses). */
  | { kind: 'message'; from: string; message: ConsensusMessage; nowMs: number; epoch?: number }
  | { kind: 'tick'; nowMs: number }
  /** Transactions arrived, so an idle leader can propose now. */
  | { kind: 'transactions-ready'; nowMs: number }
  /** The application executed more committed blocks: proposals that were not-ready are checked again. */
  | { kind: 'ledger-advanced'; nowMs: number }
  /** The application now holds transactions a proposal was missing: such proposals are checked again. */
  | { kind: 'transactions-arrived'; nowMs: number };

export interface SignedVoteRecord {
  blockHash: string;
  height: number;
  round: number;
  signature: string;
}

export interface SignedTimeoutRecord {
  round: number;
  highQcRound: number;
  /** Kept so that a restarted validator can re-broadcast exactly the timeout it signed. */
  highQc: ParentCertificate;
  signature: string;
}

export interface SignedProposalRecord {
  round: number;
  digest: string;
  signature: string;
}

/**
 * The safety module's persistent state (Aptos SafetyData): written durably before any
 * signature it allows leaves the node.
 */
export interface SafetyState {
  /** The validator-set epoch these rounds belong to; entering a later epoch starts afresh. */
  epoch: number;
  /** Highest round in which this validator voted or timed out; it never votes at or below it again. */
  lastVotedRound: number;
  /** Highest QC round seen while voting or timing out (the 2-chain lock, Aptos' one_chain_round). */
  lockedRound: number;
  /** Highest round in which it signed a timeout. */
  highestTimeoutRound: number;
  lastVote: SignedVoteRecord | null;
  lastTimeout: SignedTimeoutRecord | null;
  lastProposal: SignedProposalRecord | null;
}

/** Everything the core needs to resume after a restart: persisted by the driver from the core's outputs. */
export interface PersistedConsensusState {
  /** Its epoch tells which epoch the blocks and certificates below belong to. */
  safety: SafetyState;
  /** Uncommitted blocks (any order), each with the certificate of its parent. */
  blocks: BlockRecord[];
  highQc: ParentCertificate;
  highTc: TimeoutCertificate | null;
  /** The last block the ledger holds as committed, with the QC on it (null at genesis). */
  committed: CommittedBlock | null;
  /**
   * The consensus store held no safety record although this validator had run before (its
   * ledger is past genesis, or the store kept blocks or certificates): the record was lost, so
   * the core signs nothing until a quorum of peers has shown it the network's round
   * (docs/consensus.md section 3, "A lost safety record").
   */
  safetyRecordLost?: boolean;
}

/**
 * Two different signed messages of one kind from one validator for one round, both verified:
 * proof that it signed twice (a Byzantine validator, or one whose safety state rolled back).
 * `first` and `second` are the block hashes (proposals and votes) or the signatures (timeouts).
 */
export interface EquivocationEvidence {
  validator: string;
  round: number;
  message: 'proposal' | 'vote' | 'timeout';
  first: string;
  second: string;
}

export type ConsensusOutput =
  /** Durable writes: the driver completes them (fsync) before carrying out any later output. */
  | {
      kind: 'persist';
      safety?: SafetyState;
      blocks?: BlockRecord[];
      highQc?: ParentCertificate;
      highTc?: TimeoutCertificate | null;
      /** A new epoch began: every stored block record belongs to the old one and is dropped. */
      dropAllBlocks?: true;
      /**
       * Blocks at or below this height are committed. The driver may drop their records only
       * once the ledger holds them (after it has executed this step's commits), so that a crash
       * in between loses nothing.
       */
      pruneBelowHeight?: number;
      /**
       * The blocks past an epoch's last block (at `height`) that proved it committed, each with
       * the QC on it. The ledger never holds them; the driver keeps them, durably and before the
       * commit reaches the ledger, to serve with that block to validators still in the old epoch.
       */
      handOverProof?: { height: number; blocks: CommittedBlock[] };
    }
  /** Messages carry the sender's epoch in their envelope, so a lagging peer learns to catch up. */
  | { kind: 'send'; to: string; message: ConsensusMessage; epoch: number }
  | { kind: 'broadcast'; message: ConsensusMessage; epoch: number }
  /** Blocks to execute and append to the ledger, in height order, each with the QC on it. */
  | { kind: 'commit'; blocks: CommittedBlock[] }
  /** Wake the core with a tick at (or after) this time. */
  | { kind: 'timer'; atMs: number }
  /** A double signature seen: the driver reports it (log and metric); the core has already refused the second message. */
  | { kind: 'evidence'; evidence: EquivocationEvidence }
  /** The core entered a new validator-set epoch (after the ledger executed the previous one's last block). */
  | {
      kind: 'epoch';
      number: number;
      startHeight: number;
      validators: Validator[];
      member: boolean;
    };

/** Why an input was refused; counted by reason, never thrown. */
export type RejectionReason =
  | 'malformed'
  | 'unknown-validator'
  | 'bad-signature'
  | 'wrong-leader'
  | 'wrong-chain'
  | 'invalid-certificate'
  | 'stale-round'
  | 'unjustified-round'
  | 'far-future-round'
  | 'oversized'
  | 'bad-parent'
  | 'bad-ledger-height'
  | 'bad-timestamp'
  /** A proposal whose timestamp was more than timestampLagMaxMs behind the local clock when it arrived. */
  | 'timestamp-too-old'
  /** A second sync-info request from one peer within syncRequestTimeoutMs. */
  | 'rate-limited'
  | 'equivocation'
  | 'duplicate'
  | 'not-leader'
  | 'application-rejected'
  | 'safety-refused'
  | 'buffer-full'
  | 'unsolicited'
  | 'bad-sync-response'
  | 'bad-epoch-boundary'
  | 'stale-epoch'
  | 'future-epoch';

export interface ConsensusStatus {
  epoch: number;
  /** Whether this validator is in the epoch's set (otherwise it only observes). */
  member: boolean;
  round: number;
  highQcRound: number;
  committedHeight: number;
  committedRound: number;
  /** The highest committed height a peer stated in a block response (its word only); null before any. */
  peersCommittedHeight: number | null;
  lastVotedRound: number;
  pendingBlocks: number;
  rejections: Readonly<Record<string, number>>;
  /** While a lost safety record holds signing: the peers heard from so far and how many it takes. */
  safetyRecovery: { peersHeard: number; peersNeeded: number } | null;
  /**
   * Per peer, the median of (its proposals' timestamps minus the local clock when they arrived)
   * over its last few verified proposals (docs/consensus.md "Block time"): positive means the
   * peer's blocks are stamped ahead of this validator's clock. Network delay makes it slightly
   * negative on a healthy network.
   */
  clockOffsetsMs: Readonly<Record<string, number>>;
  /** The median over peers of clockOffsetsMs, or null before any peer's proposal arrived. */
  clockOffsetMs: number | null;
}

export type { QuorumCertificate };
