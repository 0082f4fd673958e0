/**
 * The consensus core: chained HotStuff with the two-chain commit rule and timeout certificates
 * (Jolteon / DiemBFT v4, as Aptos runs it), written as a pure state machine in the manner of
 * etcd's raft library (docs/consensus.md).
 *
 * `step(input)` takes a peer's message (decoded, not yet trusted), a clock tick, or a signal
 * from the application, and returns outputs in the order the driver must carry them out:
 * one durable write (safety state, blocks, certificates), then messages, then commits, then
 * the next timer. The core reads no clock, sets no timer, draws no random number and touches
 * no socket or disk: time arrives in inputs and every effect leaves as an output.
 *
 * Rounds: the leader of round r is validator r mod n. A round ends with a QC (n - f votes for
 * its block, gathered by the next leader) or a TC (n - f timeouts). A block commits when it and
 * its child in the next round are both certified.
 *
 * Epochs (docs/consensus.md, "Validator-set epochs"): a validator set change scheduled by the
 * ledger ends the current epoch at the block before its start height. That block names the next
 * set in its header; blocks past it in the old epoch stay empty and serve only to commit it; once
 * the ledger has executed it, the core starts the next epoch afresh on top of it, as Aptos does.
 */
import { assert } from '../ledger/assert.js';
import { toHex } from '../ledger/encoding/hex.js';
import { canonicalBytes } from '../ledger/encoding/canonical-json.js';
import { blockHash, type BlockHeader } from '../ledger/model/block.js';
import { verifyQuorumCertificate, voteDigest, type QuorumCertificate } from '../ledger/model/certificate.js';
import { VALIDATOR_SET_CHANGE_NOTICE_BLOCKS, ValidatorSet } from '../ledger/model/validator-set.js';
import { BlockTree, type TreeBlock, type TreeRoot } from './block-tree.js';
import { committedResponseBlocksMax } from './catch-up.js';
import { initialSafetyState } from './defaults.js';
import {
  certificateRound,
  proposalDigest,
  timeoutDigest,
  type BlockRecord,
  type BlockRequestMessage,
  type BlockResponseMessage,
  type CommittedBlock,
  type CommittedResponseMessage,
  type ConsensusMessage,
  type ParentCertificate,
  type ProposalMessage,
  type SyncInfoMessage,
  type TimeoutCertificate,
  type TimeoutMessage,
  type VoteMessage,
} from './messages.js';
import { SafetyRules, type RecoveredFloor } from './safety-rules.js';
import type {
  ApplicationPort,
  ConsensusConfig,
  ConsensusInput,
  ConsensusOutput,
  ConsensusStatus,
  EpochConfig,
  EquivocationEvidence,
  PersistedConsensusState,
  RejectionReason,
  SafetyState,
  ScheduledValidatorSet,
} from './types.js';
import { MessageVerifier, type Verdict } from './verifier.js';

type PersistOutput = Extract<ConsensusOutput, { kind: 'persist' }>;

interface PendingProposal {
  from: string;
  message: ProposalMessage;
  waitingFor: 'parent' | 'ledger' | 'transactions';
}

interface SyncRequest {
  peer: string;
  blockHash: string;
  sentAtMs: number;
}

/** Rounds of votes and timeouts kept behind the current round. */
const ROUNDS_KEPT_BEHIND = 1;
/**
 * Votes may reach the next leader before the proposal they vote for; a few rounds of them are
 * held. Further ahead they are refused, so that a Byzantine validator cannot fill the buffers
 * with signed votes for far-off rounds and crowd out the votes of the current one.
 */
const VOTE_ROUNDS_AHEAD_MAX = 4;
/**
 * Clock samples kept per peer (docs/consensus.md "Block time"): the offsets of its last verified
 * proposals, enough for a median that one delayed or Byzantine-stamped block does not move.
 */
const CLOCK_SAMPLES_PER_PEER = 16;
/** Messages to itself a validator handles in one step (see finishStep). */
const LOOPBACK_MESSAGES_PER_STEP_MAX = 64;

/** Where a height stands relative to the end of the current epoch. */
type EpochRole =
  /** Not known until the application executes further. */
  | 'unknown'
  | 'inside'
  /** The epoch's last block: it names the next set. */
  | 'last'
  /** Past the last block: empty, never committed in this epoch. */
  | 'beyond';

/**
 * Messages of the next epoch held until this validator enters it: peers that executed the
 * hand-over a moment earlier already propose and vote there, and dropping those would cost the
 * new epoch its first rounds. Signatures are checked when they are handled, after the switch.
 */
const NEXT_EPOCH_MESSAGES_MAX = 256;
const KINDS_HELD_FOR_NEXT_EPOCH: ReadonlySet<ConsensusMessage['kind']> = new Set(['proposal', 'vote', 'timeout']);

/** Messages whose sender need not be in the epoch's set (an observer catching up asks for blocks). */
const KINDS_FROM_ANY_PEER: ReadonlySet<ConsensusMessage['kind']> = new Set(['block-request', 'block-response', 'committed-response']);

export class ConsensusCore {
  private epoch: EpochConfig;
  private verifier: MessageVerifier;
  private readonly safety: SafetyRules;
  private tree: BlockTree;
  private readonly rejections = new Map<string, number>();
  /** The highest block the two-chain rule has committed, which may wait for the epoch's end to be known. */
  private commitTarget: {
    hash: string;
    height: number;
    certificate: QuorumCertificate;
    /** Its child from the next round with the QC on that child: the two-chain that commits it. */
    proof: CommittedBlock;
  } | null = null;
  /** A peer whose committed blocks we stopped taking at the commit ceiling: asked again once it rises. */
  private catchUpResumePeer: string | null = null;
  /**
   * The highest committed height a peer has stated in answer to this validator's block request,
   * or null before any answer: how far the network is, as far as this validator has heard. A
   * peer's word only (a target to wait for, as `custodia repair` does), never a reason to commit.
   */
  private peersCommittedHeight: number | null = null;
  private readonly nextEpochMessages: Array<{ from: string; message: ConsensusMessage }> = [];
  /** The epoch output of this step, if the core entered a new epoch. */
  private epochOutput: ConsensusOutput | null = null;
  /** Double signatures seen in this step, reported as outputs. */
  private evidence: EquivocationEvidence[] = [];

  private nowMs = 0;
  private round = 0;
  private highQc: ParentCertificate;
  private highTc: TimeoutCertificate | null;
  /** When this round began, and the round timeout it was given then. */
  private roundEnteredMs = 0;
  private roundTimeoutForRoundMs = 0;
  /**
   * Since when this round has had work (docs/consensus.md "Idle chains"), or null while it has
   * none: the round timer runs only from then, so an idle network neither proposes empty blocks
   * nor times out, except for the heartbeat.
   */
  private workSinceMs: number | null = null;
  private timedOutRound = 0;
  private timeoutMessage: TimeoutMessage | null = null;
  private nextRebroadcastMs = 0;
  private proposedRound = 0;
  private proposalDueMs: number | null = null;
  /** The application could not fill this round's proposal until it executes further. */
  private proposalAwaitsLedger = false;
  /** The first proposal seen per round, to spot a leader that equivocates. */
  private readonly proposalsSeen = new Map<number, string>();
  /** round -> validator -> its vote; each validator counts once per round. */
  private readonly votes = new Map<number, Map<string, VoteMessage>>();
  private readonly timeouts = new Map<number, Map<string, TimeoutMessage>>();
  private readonly pendingProposals = new Map<string, PendingProposal>();
  private readonly syncRequests = new Map<number, SyncRequest>();
  private nextRequestId = 1;
  private catchUp: { peer: string; sentAtMs: number } | null = null;
  private readonly syncInfoSentRound = new Map<string, number>();
  /** Certificates of restored blocks: they may satisfy the commit rule beyond the ledger's head. */
  private readonly restoredCertificates: ParentCertificate[] = [];
  /**
   * While a lost safety record holds signing (docs/consensus.md section 3, "A lost safety
   * record"): per peer of the epoch's set, the highest round and the highest QC round of the
   * verified certificates it sent since this validator started. Bounded by the set's size.
   */
  private readonly recoveryReports = new Map<string, { round: number; qcRound: number }>();
  private recoveryRequestSentMs = Number.NEGATIVE_INFINITY;
  /** When each peer's sync-info request was last answered: one answer per peer per syncRequestTimeoutMs. */
  private readonly syncRequestAnsweredMs = new Map<string, number>();
  /**
   * Per peer of the epoch's set, its last CLOCK_SAMPLES_PER_PEER proposal timestamps minus the
   * local clock at their arrival, oldest first: how far this validator's clock is from its peers'.
   */
  private readonly clockSamples = new Map<string, number[]>();

  // Outputs of the step in progress.
  private persist: PersistOutput | null = null;
  private sends: ConsensusOutput[] = [];
  private commits: CommittedBlock[] = [];
  private readonly loopback: ConsensusMessage[] = [];

  private constructor(
    private readonly config: ConsensusConfig,
    private readonly port: ApplicationPort,
    epoch: EpochConfig,
    safetyState: SafetyState,
    root: TreeRoot,
    highQc: ParentCertificate,
    highTc: TimeoutCertificate | null,
    /** The persisted state was from an earlier epoch: the start persists the reset. */
    private readonly staleEpochOnDisk: boolean,
    heldAfterLostRecord: boolean,
  ) {
    this.epoch = epoch;
    this.verifier = new MessageVerifier(config.chainId, epoch);
    this.safety = new SafetyRules(config.chainId, config.signingSeed, safetyState, config.unsafeTestSwitches, { heldAfterLostRecord });
    this.tree = new BlockTree(root, config.limits.recentCommittedBlocksKept);
    this.highQc = highQc;
    this.highTc = highTc;
  }

  /**
   * A core for a fresh validator, or one resuming from what its driver persisted: the safety
   * state, the uncommitted blocks, the highest certificates, and the ledger's committed head.
   * `config.epoch` is the epoch of the block after that head; persisted state from an earlier
   * epoch is set aside (its blocks can never commit now).
   */
  static create(config: ConsensusConfig, port: ApplicationPort, persisted?: PersistedConsensusState): ConsensusCore {
    const epoch: EpochConfig = config.epoch ?? {
      number: 0,
      validators: config.validators,
      startHeight: 1,
      rootHash: config.genesisHash,
      rootTimestamp: config.genesisTime,
    };
    const committed = persisted?.committed ?? null;
    const committedHeight = committed?.block.header.height ?? 0;
    assert(committedHeight >= epoch.startHeight - 1, `the committed head ${committedHeight} is below the start of epoch ${epoch.number}`);
    const atEpochRoot = committedHeight === epoch.startHeight - 1;
    if (atEpochRoot && committed !== null) assert(blockHash(committed.block.header) === epoch.rootHash, `the committed head is not the root of epoch ${epoch.number}`);
    const root: TreeRoot =
      committed === null
        ? { hash: epoch.rootHash, height: 0, round: 0, timestamp: epoch.rootTimestamp, block: null, certificate: null }
        : {
            hash: blockHash(committed.block.header),
            height: committedHeight,
            // The epoch's root stands in for genesis: the epoch's rounds start after round 0.
            round: atEpochRoot ? 0 : committed.block.header.round,
            timestamp: committed.block.header.timestamp,
            block: { hash: blockHash(committed.block.header), header: committed.block.header, payload: committed.block.payload, justify: null },
            certificate: committed.certificate,
          };
    const persistedEpoch = persisted?.safety.epoch ?? epoch.number;
    assert(persistedEpoch <= epoch.number, `the consensus state is from epoch ${persistedEpoch}, ahead of the ledger's epoch ${epoch.number}`);
    const current = persisted !== undefined && persistedEpoch === epoch.number ? persisted : undefined;
    let highQc: ParentCertificate = atEpochRoot ? null : committed!.certificate;
    if (current !== undefined && certificateRound(current.highQc) > certificateRound(highQc)) highQc = current.highQc;
    const stored = current?.safety ?? initialSafetyState(epoch.number);
    const safety =
      config.unsafeTestSwitches?.skipSafetyFloor === true
        ? stored
        : safetyAtLeastStores(stored, {
            certificates: [highQc, ...(current?.blocks.map((record) => record.justify) ?? [])],
            highTc: current?.highTc ?? null,
            ownProposalRounds: current?.blocks.filter((record) => record.block.header.proposer === config.self).map((record) => record.block.header.round) ?? [],
          });
    // Not for a record merely raised to the stores' certificates: a validator that received
    // certificates without signing (it was behind) looks the same, and holding it could leave a
    // stalled network short of the signature it needs (the floor alone covers what it holds).
    const held = persisted?.safetyRecordLost === true && config.unsafeTestSwitches?.skipSafetyRecovery !== true;
    const core = new ConsensusCore(config, port, epoch, safety, root, highQc, current?.highTc ?? null, persisted !== undefined && current === undefined, held);
    if (safety !== stored) core.safetyRaisedFrom = stored;
    if (current !== undefined) core.restoreBlocks(current.blocks);
    return core;
  }

  /**
   * The safety state as stored, when it was below what the stores show this validator certified
   * or signed for and create() raised it (safetyAtLeastStores); the driver logs it. Undefined otherwise.
   */
  safetyRaisedFrom: SafetyState | undefined;

  /**
   * Set when a hold after a lost safety record ended: the floor it signs above and the peers
   * whose certificates showed it. The driver logs it.
   */
  safetyRecovered: (RecoveredFloor & { peers: string[] }) | undefined;

  /** Enters the first round (or the round the persisted state implies) and returns the outputs. */
  start(nowMs: number): ConsensusOutput[] {
    this.nowMs = nowMs;
    this.beginStep();
    // The raised state is made durable before anything is signed under it.
    if (this.safetyRaisedFrom !== undefined) this.persistSafety(this.safety.state);
    if (this.staleEpochOnDisk) Object.assign(this.persisting(), { safety: this.safety.state, dropAllBlocks: true, highQc: null, highTc: null });
    for (const certificate of [...this.restoredCertificates, this.highQc]) this.tryCommitWith(certificate);
    this.restoredCertificates.length = 0;
    const lastVotedRound = this.safety.state.lastVotedRound;
    const round = Math.max(certificateRound(this.highQc) + 1, (this.highTc?.round ?? 0) + 1, lastVotedRound, 1);
    this.enterRound(round);
    this.requestRoundsIfHeld();
    return this.finishStep();
  }

  step(input: ConsensusInput): ConsensusOutput[] {
    this.nowMs = Math.max(this.nowMs, input.nowMs);
    this.beginStep();
    switch (input.kind) {
      case 'message':
        this.handleMessage(input.from, input.message, input.epoch);
        break;
      case 'tick':
        this.handleTick();
        break;
      case 'transactions-ready':
        if (this.proposalDueMs !== null) this.proposeIfLeader(true);
        break;
      case 'ledger-advanced':
        this.advanceCommits();
        if (this.enterNextEpochIfDue()) break;
        this.resumeCatchUp();
        this.retryPendingProposals('ledger');
        if (this.proposalAwaitsLedger) this.proposeIfLeader(true);
        break;
      case 'transactions-arrived':
        this.retryPendingProposals('transactions');
        break;
    }
    return this.finishStep();
  }

  status(): ConsensusStatus {
    return {
      epoch: this.epoch.number,
      member: this.isMember(),
      round: this.round,
      highQcRound: certificateRound(this.highQc),
      committedHeight: this.tree.root.height,
      committedRound: this.tree.root.round,
      peersCommittedHeight: this.peersCommittedHeight,
      lastVotedRound: this.safety.state.lastVotedRound,
      pendingBlocks: this.tree.size,
      rejections: Object.fromEntries(this.rejections),
      safetyRecovery: this.safety.held ? { peersHeard: this.recoveryReports.size, peersNeeded: this.recoveryPeersNeeded() } : null,
      ...this.clockOffsets(),
    };
  }

  private clockOffsets(): Pick<ConsensusStatus, 'clockOffsetsMs' | 'clockOffsetMs'> {
    const clockOffsetsMs: Record<string, number> = {};
    for (const [peer, samples] of [...this.clockSamples].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) clockOffsetsMs[peer] = median(samples);
    const perPeer = Object.values(clockOffsetsMs);
    return { clockOffsetsMs, clockOffsetMs: perPeer.length === 0 ? null : median(perPeer) };
  }

  /**
   * The round and whether signing is held, for a driver that reads them after every step:
   * status() copies the safety state and takes the medians of every peer's clock offsets, which
   * per consensus message was a measurable share of a lightly loaded validator's CPU.
   */
  get progress(): { round: number; safetyHeld: boolean } {
    return { round: this.round, safetyHeld: this.safety.held };
  }

  /** The safety state as it stands (what the last persist output holds, or will). */
  get safetyState(): SafetyState {
    return this.safety.state;
  }

  leaderOf(round: number): string {
    return this.validators.at(round % this.validators.size).id;
  }

  private get validators(): ValidatorSet {
    return this.epoch.validators;
  }

  private isMember(): boolean {
    return this.validators.get(this.config.self) !== undefined;
  }

  // ---------------------------------------------------------------- step plumbing

  private beginStep(): void {
    this.persist = null;
    this.sends = [];
    this.commits = [];
    this.epochOutput = null;
    this.evidence = [];
  }

  private finishStep(): ConsensusOutput[] {
    // Bounded work per step: with a quorum of one, a validator's own proposal, vote and QC would
    // otherwise chain into the next round within the same step, forever. The rest waits for the
    // next step, and the timer asks for one at once.
    for (let handled = 0; this.loopback.length > 0 && handled < LOOPBACK_MESSAGES_PER_STEP_MAX; handled++) {
      this.handleMessage(this.config.self, this.loopback.shift()!);
    }
    this.refreshWork();
    const outputs: ConsensusOutput[] = [];
    if (this.persist !== null) outputs.push(this.persist);
    outputs.push(...this.sends);
    if (this.commits.length > 0) outputs.push({ kind: 'commit', blocks: this.commits });
    if (this.epochOutput !== null) outputs.push(this.epochOutput);
    for (const evidence of this.evidence) outputs.push({ kind: 'evidence', evidence });
    outputs.push({ kind: 'timer', atMs: this.nextWakeMs() });
    return outputs;
  }

  private persisting(): PersistOutput {
    if (this.persist === null) this.persist = { kind: 'persist' };
    return this.persist;
  }

  private persistSafety(state: SafetyState): void {
    this.persisting().safety = state;
  }

  /** Only a signature made in this epoch's domain: the verifier checks in that domain alone. */
  private rememberOwnSignature(purpose: 'proposal' | 'vote' | 'timeout', digest: Uint8Array, decision: { signature: string; state: SafetyState }): void {
    if (decision.state.epoch === this.epoch.number) this.verifier.rememberOwnSignature(purpose, this.config.self, digest, decision.signature);
  }

  private send(to: string, message: ConsensusMessage): void {
    if (to === this.config.self) this.loopback.push(message);
    else this.sends.push({ kind: 'send', to, message, epoch: this.epoch.number });
  }

  private broadcast(message: ConsensusMessage): void {
    this.sends.push({ kind: 'broadcast', message, epoch: this.epoch.number });
    this.loopback.push(message);
  }

  /** Refuses the second of two verified, conflicting messages and reports both (bounded: one per message handled). */
  private equivocation(evidence: EquivocationEvidence): void {
    this.reject('equivocation');
    this.evidence.push(evidence);
  }

  private reject(reason: RejectionReason): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  private refuseUnless(verdict: Verdict): boolean {
    if (verdict.ok) return false;
    this.reject(verdict.reason);
    return true;
  }

  private nextWakeMs(): number {
    if (this.loopback.length > 0) return this.nowMs;
    let wake = this.timedOutRound === this.round ? this.nextRebroadcastMs : this.roundDeadlineMs();
    if (this.proposalDueMs !== null) wake = Math.min(wake, this.proposalDueMs);
    for (const request of this.syncRequests.values()) wake = Math.min(wake, request.sentAtMs + this.config.timings.syncRequestTimeoutMs);
    if (this.catchUp !== null) wake = Math.min(wake, this.catchUp.sentAtMs + this.config.timings.syncRequestTimeoutMs);
    if (this.safety.held) wake = Math.min(wake, this.recoveryRequestSentMs + this.config.timings.syncRequestTimeoutMs);
    return Math.max(wake, this.nowMs);
  }

  // ---------------------------------------------------------------- inputs

  private handleMessage(from: string, message: ConsensusMessage, epoch = this.epoch.number): void {
    if (message.kind !== 'committed-response' && epoch !== this.epoch.number) {
      if (epoch < this.epoch.number) return this.reject('stale-epoch');
      // A peer in a later epoch has committed and executed past the end of ours: fetch what we lack.
      this.requestCommitted(from);
      if (epoch === this.epoch.number + 1 && KINDS_HELD_FOR_NEXT_EPOCH.has(message.kind) && this.nextEpochMessages.length < NEXT_EPOCH_MESSAGES_MAX) {
        this.nextEpochMessages.push({ from, message });
      }
      return this.reject('future-epoch');
    }
    if (from !== this.config.self && !KINDS_FROM_ANY_PEER.has(message.kind) && this.validators.get(from) === undefined) {
      this.reject('unknown-validator');
      return;
    }
    switch (message.kind) {
      case 'proposal':
        return this.handleProposal(from, message);
      case 'vote':
        return this.handleVote(from, message);
      case 'timeout':
        return this.handleTimeout(from, message);
      case 'sync-info':
        return this.handleSyncInfo(from, message);
      case 'block-request':
        return this.handleBlockRequest(from, message);
      case 'block-response':
        return this.handleBlockResponse(from, message);
      case 'committed-response':
        return this.handleCommittedResponse(from, message);
      case 'committed-request':
        // Served by the driver from the ledger store; the core keeps only recent blocks.
        return this.reject('unsolicited');
    }
  }

  private handleTick(): void {
    const timings = this.config.timings;
    this.advanceCommits();
    if (this.enterNextEpochIfDue()) return;
    if (this.proposalDueMs !== null && this.nowMs >= this.proposalDueMs) this.proposeIfLeader(true);
    // Work may have ended since the last step (its transactions executed): then the deadline is the heartbeat's.
    this.refreshWork();
    this.requestRoundsIfHeld();
    if (this.timedOutRound !== this.round && this.nowMs >= this.roundDeadlineMs()) this.localTimeout();
    else if (this.timedOutRound === this.round && this.nowMs >= this.nextRebroadcastMs) {
      // A timeout the safety rules refused (a lock above the highest QC held, after a restart
      // that kept the record of a QC but lost the QC) is asked for again: a QC may have come since.
      if (this.timeoutMessage === null) this.localTimeout();
      else this.sends.push({ kind: 'broadcast', message: this.timeoutMessage, epoch: this.epoch.number });
      this.nextRebroadcastMs = this.nowMs + timings.timeoutRebroadcastMs;
    }
    for (const [requestId, request] of this.syncRequests) {
      if (this.nowMs < request.sentAtMs + timings.syncRequestTimeoutMs) continue;
      this.syncRequests.delete(requestId);
      if (!this.tree.contains(request.blockHash)) this.requestBlocks(request.blockHash, this.nextPeer(request.peer));
    }
    if (this.catchUp !== null && this.nowMs >= this.catchUp.sentAtMs + timings.syncRequestTimeoutMs) {
      const peer = this.nextPeer(this.catchUp.peer);
      this.catchUp = null;
      this.requestCommitted(peer);
    }
  }

  // ---------------------------------------------------------------- proposals and votes

  private handleProposal(from: string, proposal: ProposalMessage): void {
    const header = proposal.block.header;
    if (proposal.block.payload.length > this.config.limits.payloadBytesMax) return this.reject('oversized');
    if (header.round > this.round + this.config.limits.futureRoundsMax) return this.reject('far-future-round');
    if (this.refuseUnless(this.verifier.verifyProposal(proposal, (round) => this.leaderOf(round)))) return;
    this.noteRecoveryReport(from, proposal.justify, proposal.timeoutCertificate);

    this.processQuorumCertificate(proposal.justify, from);
    if (proposal.timeoutCertificate !== null) this.processTimeoutCertificate(proposal.timeoutCertificate, from);
    const hash = blockHash(header);
    if (header.round < this.round) {
      this.adoptCertifiedBlock(proposal, hash);
      return this.reject('stale-round');
    }
    if (header.round > this.round) return this.reject('unjustified-round');
    // Proposals of past rounds arrive late by definition: they would read as a clock ahead.
    this.recordClockSample(header.proposer, header.timestamp);

    const seen = this.proposalsSeen.get(header.round);
    if (seen !== undefined && seen !== hash) return this.equivocation({ validator: this.leaderOf(header.round), round: header.round, message: 'proposal', first: seen, second: hash });
    if (seen === undefined) this.proposalsSeen.set(header.round, hash);
    // The lower bound on block time (docs/consensus.md "Block time"), checked on arrival only: a
    // proposal held for its parent or its bodies is voted for later, and a slow fetch must not
    // make an honest block unvotable.
    if (header.timestamp < this.nowMs - this.config.timings.timestampLagMaxMs) return this.reject('timestamp-too-old');
    this.considerProposal(from, proposal, hash);
  }

  /** One verified proposal's timestamp against the local clock; this validator's own say nothing. */
  private recordClockSample(proposer: string, timestamp: number): void {
    if (proposer === this.config.self) return;
    let samples = this.clockSamples.get(proposer);
    if (samples === undefined) this.clockSamples.set(proposer, (samples = []));
    samples.push(timestamp - this.nowMs);
    if (samples.length > CLOCK_SAMPLES_PER_PEER) samples.shift();
  }

  /** Checks a verified proposal of the current round against the tree and the application, then votes. */
  private considerProposal(from: string, proposal: ProposalMessage, hash: string): void {
    const header = proposal.block.header;
    if (!this.tree.contains(header.prevHash)) {
      if (header.height - 1 <= this.tree.root.height) return this.reject('bad-parent');
      this.holdProposal(hash, { from, message: proposal, waitingFor: 'parent' });
      this.requestBlocks(header.prevHash, from);
      return;
    }
    const parentHeader = this.tree.headerOf(header.prevHash) ?? null;
    if (header.timestamp < (parentHeader?.timestamp ?? this.epoch.rootTimestamp) || header.timestamp > this.nowMs + this.config.timings.clockSkewMaxMs) {
      return this.reject('bad-timestamp');
    }
    // The ledger a header describes only moves forward along a chain, and is always committed history.
    if (header.ledgerHeight < (parentHeader?.ledgerHeight ?? 0) || header.ledgerHeight >= header.height) return this.reject('bad-ledger-height');
    const role = this.epochRole(header.height);
    if (role === 'unknown') {
      this.holdProposal(hash, { from, message: proposal, waitingFor: 'ledger' });
      return;
    }
    if (!this.fitsEpochRole(header, role)) return this.reject('bad-epoch-boundary');
    if (!this.tree.contains(hash) && this.tree.size >= this.config.limits.pendingBlocksMax) return this.reject('buffer-full');

    const ancestors = [...this.commits.map((committed) => committed.block), ...this.tree.pathFromRoot(header.prevHash)];
    const check = this.port.checkProposal(header, proposal.block.payload, ancestors);
    if (check.verdict === 'reject') return this.reject('application-rejected');
    if (check.verdict === 'not-ready' || check.verdict === 'missing-transactions') {
      this.holdProposal(hash, { from, message: proposal, waitingFor: check.verdict === 'not-ready' ? 'ledger' : 'transactions' });
      return;
    }
    this.pendingProposals.delete(hash);
    this.insertBlock({ block: proposal.block, justify: proposal.justify });
    this.vote(header, hash, proposal);
  }

  /**
   * A proposal that arrives after its round ended (its votes reached the next leader first) is
   * not voted on, but if our highest QC certifies it, it is the block the next proposal extends:
   * keep it rather than fetch it again.
   */
  private adoptCertifiedBlock(proposal: ProposalMessage, hash: string): void {
    const header = proposal.block.header;
    if (this.highQc?.vote.blockHash !== hash || this.tree.contains(hash) || !this.tree.contains(header.prevHash)) return;
    if (header.height <= this.tree.root.height || !this.port.checkPayload(header, proposal.block.payload).ok) return;
    this.insertBlock({ block: proposal.block, justify: proposal.justify });
    this.tryCommitWith(this.highQc);
    this.proposeIfLeader(false);
  }

  private vote(header: BlockHeader, hash: string, proposal: ProposalMessage): void {
    if (!this.isMember()) return;
    const timeoutCertificate = proposal.timeoutCertificate;
    const decision = this.safety.signVote({
      blockHash: hash,
      height: header.height,
      round: header.round,
      qcRound: certificateRound(proposal.justify),
      timeoutCertificate: timeoutCertificate === null ? null : { round: timeoutCertificate.round, highestQcRound: certificateRound(timeoutCertificate.highQc) },
    });
    if (!decision.ok) return this.reject('safety-refused');
    if (!decision.repeated) this.persistSafety(decision.state);
    const vote: VoteMessage = {
      kind: 'vote',
      vote: { blockHash: hash, height: header.height, round: header.round },
      validator: this.config.self,
      signature: decision.signature,
    };
    // It comes back to this validator when it leads the next round, and in the QC of the next proposal.
    this.rememberOwnSignature('vote', voteDigest(vote.vote), decision);
    this.send(this.leaderOf(header.round + 1), vote);
  }

  private handleVote(from: string, message: VoteMessage): void {
    const round = message.vote.round;
    if (round < this.round - ROUNDS_KEPT_BEHIND) {
      this.offerSyncInfo(from);
      return this.reject('stale-round');
    }
    if (round > this.round + VOTE_ROUNDS_AHEAD_MAX) return this.reject('far-future-round');
    if (this.leaderOf(round + 1) !== this.config.self) return this.reject('not-leader');
    if (this.refuseUnless(this.verifier.verifyVote(message))) return;

    let roundVotes = this.votes.get(round);
    if (roundVotes === undefined) this.votes.set(round, (roundVotes = new Map()));
    const earlier = roundVotes.get(message.validator);
    if (earlier !== undefined) {
      if (earlier.vote.blockHash === message.vote.blockHash) return this.reject('duplicate');
      return this.equivocation({ validator: message.validator, round, message: 'vote', first: earlier.vote.blockHash, second: message.vote.blockHash });
    }
    if (roundVotes.size >= this.config.limits.bufferedVotesPerRoundMax) return this.reject('buffer-full');
    roundVotes.set(message.validator, message);

    const sameBlock = [...roundVotes.values()].filter(
      (vote) => vote.vote.blockHash === message.vote.blockHash && vote.vote.height === message.vote.height,
    );
    if (sameBlock.length !== this.validators.quorum) return;
    const byIndex = (id: string) => this.validators.get(id)!.index;
    const certificate: QuorumCertificate = {
      vote: message.vote,
      signatures: sameBlock
        .map((vote) => ({ validator: vote.validator, signature: vote.signature }))
        .sort((a, b) => byIndex(a.validator) - byIndex(b.validator)),
    };
    // Every vote in it was verified on arrival and signs this same vote (its digest covers the
    // block hash, height and round compared above): its signatures are checked once, not again.
    this.verifier.rememberAssembledQuorumCertificate(certificate);
    this.processQuorumCertificate(certificate, from);
  }

  // ---------------------------------------------------------------- certificates, commits, rounds

  /** A verified QC: raise highQc, commit what the two-chain rule allows, and enter the next round. */
  private processQuorumCertificate(certificate: ParentCertificate, from: string): void {
    if (certificate === null) return;
    if (certificateRound(certificate) > certificateRound(this.highQc)) {
      this.highQc = certificate;
      this.persisting().highQc = certificate;
    }
    if (certificate.vote.height > this.tree.root.height && !this.tree.contains(certificate.vote.blockHash)) {
      this.requestBlocks(certificate.vote.blockHash, from === this.config.self ? this.firstSigner(certificate) : from);
    }
    this.tryCommitWith(certificate);
    if (certificate.vote.round + 1 > this.round) this.enterRound(certificate.vote.round + 1);
  }

  private processTimeoutCertificate(certificate: TimeoutCertificate, from: string): void {
    this.processQuorumCertificate(certificate.highQc, from);
    if (certificate.round > (this.highTc?.round ?? 0)) {
      this.highTc = certificate;
      this.persisting().highTc = certificate;
    }
    if (certificate.round + 1 > this.round) this.enterRound(certificate.round + 1);
  }

  /**
   * The two-chain commit rule: when a QC certifies block B' whose parent B is from the round
   * just before it, B and all its ancestors are committed.
   */
  private tryCommitWith(certificate: ParentCertificate): void {
    if (certificate === null) return;
    const certified = this.tree.get(certificate.vote.blockHash);
    if (certified === undefined || certified.header.height <= this.tree.root.height) return;
    const parent = this.tree.get(certified.header.prevHash);
    if (parent === undefined || parent.header.height <= this.tree.root.height) return;
    if (certified.header.round !== parent.header.round + 1) return;
    assert(certified.justify !== null, 'a block above the root without a parent certificate');
    if (this.commitTarget === null || parent.header.height > this.commitTarget.height) {
      const proof: CommittedBlock = { block: { header: certified.header, payload: certified.payload }, certificate };
      this.commitTarget = { hash: parent.hash, height: parent.header.height, certificate: certified.justify, proof };
    }
    this.advanceCommits();
  }

  /**
   * Commits toward the target as far as the epoch allows: never past the epoch's last block, and
   * never past a height whose place in the epoch the executed ledger cannot yet tell. Committing
   * an ancestor of a committable block is always safe; the rest follows when the ledger advances.
   */
  private advanceCommits(): void {
    const target = this.commitTarget;
    if (target === null) return;
    const rootHeight = this.tree.root.height;
    if (target.height <= rootHeight) {
      this.commitTarget = null;
      return;
    }
    const ceiling = this.commitCeiling();
    if (ceiling <= rootHeight) return;
    let hash = target.hash;
    let certificate = target.certificate;
    if (target.height > ceiling) {
      const path = this.tree.pathFromRoot(target.hash);
      const last = path[ceiling - rootHeight - 1]!;
      const child = path[ceiling - rootHeight]!;
      assert(child.justify !== null && child.justify.vote.blockHash === last.hash, 'a block in the tree lacks the QC on its parent');
      hash = last.hash;
      certificate = child.justify;
    }
    const committed = this.tree.commit(hash, certificate);
    this.commits.push(...committed);
    const scheduled = this.scheduledChange();
    if (scheduled !== undefined && this.tree.root.height === scheduled.startHeight - 1) this.keepHandOverProof(this.proofAboveRoot(target));
    if (this.tree.root.height >= target.height) this.commitTarget = null;
    this.persisting().pruneBelowHeight = this.tree.root.height;
    for (const [pendingHash, pending] of this.pendingProposals) {
      if (pending.message.block.header.height <= this.tree.root.height) this.pendingProposals.delete(pendingHash);
    }
  }

  /**
   * The blocks after this epoch's last one (the root, just committed) that prove it committed:
   * no ledger holds them, so the driver keeps them durably, in the same write that precedes the
   * commit, and serves them to validators still in this epoch (see handleCommittedResponse).
   */
  private keepHandOverProof(blocks: CommittedBlock[]): void {
    assert(blocks.length > 0, 'an empty hand-over proof');
    this.persisting().handOverProof = { height: this.scheduledChange()!.startHeight - 1, blocks };
  }

  /** The blocks from the root's child up to the target's certified child, each with the QC on it. */
  private proofAboveRoot(target: NonNullable<ConsensusCore['commitTarget']>): CommittedBlock[] {
    const path = this.tree.pathFromRoot(target.hash);
    const records = path.map((block, index): CommittedBlock => {
      const certificate = path[index + 1]?.justify ?? target.certificate;
      assert(certificate !== null && certificate.vote.blockHash === block.hash, 'a block in the tree lacks the QC on it');
      return { block: { header: block.header, payload: block.payload }, certificate };
    });
    return [...records, target.proof];
  }

  // ---------------------------------------------------------------- epochs

  /** The next set change, if the executed ledger has scheduled one past this epoch's start. */
  private scheduledChange(): ScheduledValidatorSet | undefined {
    const scheduled = this.port.scheduledValidatorSet();
    return scheduled !== undefined && scheduled.startHeight > this.epoch.startHeight ? scheduled : undefined;
  }

  /**
   * A change taking effect at height E is approved at or below E - notice. So with the ledger
   * executed through x and no change scheduled, no epoch ends before x + notice: every height up
   * to x + notice - 1 lies inside the epoch (its successor is in it too), and is known to.
   */
  private epochRole(height: number): EpochRole {
    const scheduled = this.scheduledChange();
    if (scheduled === undefined) return height <= this.port.executedThrough() + VALIDATOR_SET_CHANGE_NOTICE_BLOCKS - 1 ? 'inside' : 'unknown';
    if (height < scheduled.startHeight - 1) return 'inside';
    return height === scheduled.startHeight - 1 ? 'last' : 'beyond';
  }

  /** The highest height this epoch may commit now. */
  private commitCeiling(): number {
    const scheduled = this.scheduledChange();
    return scheduled === undefined ? this.port.executedThrough() + VALIDATOR_SET_CHANGE_NOTICE_BLOCKS - 1 : scheduled.startHeight - 1;
  }

  /** The epoch's last block names exactly the scheduled set; no other block names one; blocks beyond it are empty. */
  private fitsEpochRole(header: BlockHeader, role: Exclude<EpochRole, 'unknown'>): boolean {
    if (role !== 'last') return header.nextValidators === undefined && (role === 'inside' || header.txCount === 0);
    const expected = this.scheduledChange()!.validators;
    return header.nextValidators !== undefined && equalBytes(canonicalBytes(header.nextValidators), canonicalBytes(expected));
  }

  /**
   * Once the ledger holds the epoch's last block, start the next epoch on top of it: a fresh
   * tree rooted there, rounds from 1, a safety state of its own, and the new set's verifier.
   */
  private enterNextEpochIfDue(): boolean {
    const scheduled = this.scheduledChange();
    const root = this.tree.root;
    if (scheduled === undefined || root.height !== scheduled.startHeight - 1 || this.port.executedThrough() < root.height) return false;
    const next = ValidatorSet.create(scheduled.validators);
    assert(next.ok, `the scheduled validator set is invalid: ${next.ok ? '' : next.message}`);
    this.epoch = { number: this.epoch.number + 1, validators: next.set, startHeight: scheduled.startHeight, rootHash: root.hash, rootTimestamp: root.timestamp };
    this.verifier = new MessageVerifier(this.config.chainId, this.epoch);
    this.tree = new BlockTree({ ...root, round: 0 }, this.config.limits.recentCommittedBlocksKept);
    this.highQc = null;
    this.highTc = null;
    this.commitTarget = null;
    this.votes.clear();
    this.timeouts.clear();
    this.proposalsSeen.clear();
    this.pendingProposals.clear();
    this.syncRequests.clear();
    this.syncInfoSentRound.clear();
    this.syncRequestAnsweredMs.clear();
    // Only the set's members propose: samples of those that left would never be replaced.
    for (const peer of [...this.clockSamples.keys()]) if (this.validators.get(peer) === undefined) this.clockSamples.delete(peer);
    // Certificates of the old epoch say nothing of the new one's rounds: a hold starts over.
    this.recoveryReports.clear();
    this.catchUp = null;
    this.timedOutRound = 0;
    this.timeoutMessage = null;
    this.proposedRound = 0;
    this.loopback.length = 0;
    Object.assign(this.persisting(), { safety: this.safety.enterEpoch(this.epoch.number), dropAllBlocks: true, highQc: null, highTc: null });
    this.epochOutput = {
      kind: 'epoch',
      number: this.epoch.number,
      startHeight: this.epoch.startHeight,
      validators: scheduled.validators,
      member: this.isMember(),
    };
    this.round = 0;
    this.enterRound(1);
    for (const held of this.nextEpochMessages.splice(0)) this.handleMessage(held.from, held.message);
    this.resumeCatchUp();
    return true;
  }

  /** Asks again for the committed blocks a response held that this epoch could not take yet, once it can. */
  private resumeCatchUp(): void {
    const peer = this.catchUpResumePeer;
    if (peer === null || this.commitCeiling() <= this.tree.root.height) return;
    this.catchUpResumePeer = null;
    this.requestCommitted(peer);
  }

  private enterRound(round: number): void {
    assert(round > this.round, `rounds only move forward (${this.round} to ${round})`);
    this.round = round;
    this.roundEnteredMs = this.nowMs;
    this.roundTimeoutForRoundMs = this.roundTimeoutMs(round);
    this.workSinceMs = null;
    this.timeoutMessage = null;
    this.proposalDueMs = null;
    this.proposalAwaitsLedger = false;
    for (const kept of this.votes.keys()) if (kept < round - ROUNDS_KEPT_BEHIND) this.votes.delete(kept);
    for (const kept of this.timeouts.keys()) if (kept < round) this.timeouts.delete(kept);
    for (const kept of this.proposalsSeen.keys()) if (kept < round) this.proposalsSeen.delete(kept);
    for (const [hash, pending] of this.pendingProposals) if (pending.message.block.header.round < round) this.pendingProposals.delete(hash);
    this.proposeIfLeader(false);
  }

  /**
   * When this round times out: a round timeout after its work began, or, while it has none,
   * after the heartbeat's proposal was due (idleProposalDelayMs after the round began), so a
   * leader that misses even the heartbeat is still replaced.
   */
  private roundDeadlineMs(): number {
    const workSince = this.workSinceMs ?? this.roundEnteredMs + this.config.timings.idleProposalDelayMs;
    return workSince + this.roundTimeoutForRoundMs;
  }

  /**
   * Whether the round has work, from this step's state: transactions waiting, a certified payload
   * that needs descendants to commit, a proposal held for its parent, ledger or transactions, or
   * an epoch's end to reach. Not sticky: a period of work that ends (its transactions executed)
   * lets the timer fall back to the heartbeat, and a new one starts a full round timeout.
   */
  private refreshWork(): void {
    if (this.timedOutRound === this.round) return;
    const parentHash = this.highQc === null ? this.epoch.rootHash : this.highQc.vote.blockHash;
    const height = this.highQc === null ? this.epoch.startHeight : this.highQc.vote.height + 1;
    const working = this.pendingProposals.size > 0 || this.proposalUrgent(height, this.tree.pathFromRoot(parentHash));
    if (!working) this.workSinceMs = null;
    else if (this.workSinceMs === null) this.workSinceMs = this.nowMs;
  }

  /**
   * Whether a block at `height` over `ancestors` must be proposed now rather than at the
   * heartbeat: transactions wait (beyond those of the blocks this step committed, which the
   * application learns of only from this step's output), an uncommitted ancestor's payload needs
   * descendants to commit, or a scheduled validator-set change needs the chain to reach its
   * height (which counts blocks, so an idle chain would otherwise take a heartbeat per block of
   * notice). Past the epoch's end,
   * waiting transactions cannot go into a block; two blocks there are worth hurrying: the last
   * block's child, whose QC commits it, and the grandchild that carries that QC to everyone;
   * further ones (after failed rounds) wait like idle proposals.
   */
  private proposalUrgent(height: number, ancestors: readonly { header: BlockHeader }[]): boolean {
    const role = this.epochRole(height);
    const scheduled = this.scheduledChange();
    if (role === 'beyond') return height <= scheduled!.startHeight + 1;
    if (scheduled !== undefined) return true;
    return ancestors.some((block) => block.header.txCount > 0) || this.port.hasPendingTransactions(this.commits.map((committed) => committed.block));
  }

  /** Exponential backoff in the rounds since the last commit; reset by the next commit. */
  private roundTimeoutMs(round: number): number {
    const timings = this.config.timings;
    const roundsWithoutCommit = Math.max(0, round - this.tree.root.round - 2);
    const timeout = timings.roundTimeoutBaseMs * timings.backoffFactor ** Math.min(roundsWithoutCommit, 64);
    return Math.min(timeout, timings.roundTimeoutMaxMs);
  }

  // ---------------------------------------------------------------- leading a round

  /**
   * As leader, propose on the highest certified block once the round is justified. With nothing
   * to order (proposalUrgent), wait for the heartbeat (idleProposalDelayMs) first, unless `now`
   * is set because the wait is over or transactions came.
   */
  private proposeIfLeader(now: boolean): void {
    const round = this.round;
    if (this.leaderOf(round) !== this.config.self || this.proposedRound >= round) return;
    // Held after a lost safety record: it could not sign the proposal; its round times out.
    if (this.safety.held) return;
    const justifiedByQc = certificateRound(this.highQc) + 1 === round;
    const justifiedByTc = this.highTc !== null && this.highTc.round + 1 === round;
    if (!justifiedByQc && !justifiedByTc) return;
    if (this.reproposeAfterRestart(round, justifiedByQc)) return;
    const parentHash = this.highQc === null ? this.epoch.rootHash : this.highQc.vote.blockHash;
    if (!this.tree.contains(parentHash)) return;
    const height = this.highQc === null ? this.epoch.startHeight : this.highQc.vote.height + 1;
    const role = this.epochRole(height);
    if (role === 'unknown') {
      this.proposalAwaitsLedger = true;
      return;
    }
    // Blocks committed in this very step are not executed yet: the application must see them
    // as ancestors too, or it would propose their transactions again.
    const ancestors = [...this.commits.map((committed) => committed.block), ...this.tree.pathFromRoot(parentHash)];
    // Urgency counts the uncommitted ancestors only: blocks this very QC committed need no
    // descendant, since the sync-info below carries the QC that commits them to everyone. An
    // isolated transaction then costs two blocks, not three (docs/consensus.md, "Idle chains").
    if (!now && !this.proposalUrgent(height, this.tree.pathFromRoot(parentHash)) && !justifiedByTc) {
      if (this.proposalDueMs !== null) return;
      this.proposalDueMs = this.nowMs + this.config.timings.idleProposalDelayMs;
      // The others learn of the QC that opened this round only from its proposal, a heartbeat
      // away: without it they would sit in the round before, whose timer runs from its proposal,
      // and time it out. So the QC goes out now, once per round.
      if (this.highQc !== null) this.sends.push({ kind: 'broadcast', message: { kind: 'sync-info', highQc: this.highQc, highTc: this.highTc }, epoch: this.epoch.number });
      return;
    }
    this.proposalDueMs = null;
    const parentHeader = this.tree.headerOf(parentHash) ?? null;
    const ledgerHeightMax = this.provenLedgerHeight(parentHash, parentHeader);
    const content = this.port.propose({ height, round, parent: parentHeader, ancestors, emptyOnly: role === 'beyond', ledgerHeightMax });
    assert(content === undefined || content.ledgerHeight <= ledgerHeightMax, `the application stated ledgerHeight ${content?.ledgerHeight} above the proven ${ledgerHeightMax}`);
    this.proposalAwaitsLedger = content === undefined;
    if (content === undefined) return;
    const { payload, ...applicationFields } = content;
    const header: BlockHeader = {
      chainId: this.config.chainId,
      height,
      round,
      prevHash: parentHash,
      proposer: this.config.self,
      timestamp: Math.max(this.nowMs, parentHeader?.timestamp ?? this.epoch.rootTimestamp),
      ...applicationFields,
      ...(role === 'last' ? { nextValidators: this.scheduledChange()!.validators } : {}),
    };
    assert(role !== 'beyond' || header.txCount === 0, 'the application filled a block past the end of the epoch');
    const hash = blockHash(header);
    const digest = proposalDigest(hash, payload);
    const decision = this.safety.signProposal(round, digest);
    if (!decision.ok) return this.reject('safety-refused');
    if (!decision.repeated) this.persistSafety(decision.state);
    // The proposal loops back to this validator: its signature is not checked there.
    this.rememberOwnSignature('proposal', digest, decision);
    this.proposedRound = round;
    this.broadcast({
      kind: 'proposal',
      block: { header, payload },
      justify: this.highQc,
      timeoutCertificate: justifiedByQc ? null : this.highTc,
      signature: decision.signature,
    });
  }

  /**
   * The highest ledger height a block on top of `parent` (the block of the highest QC) may
   * state: one that every validator holding the block's chain has committed too. A validator
   * can commit a block through a QC the others never saw (the chain then left that QC's
   * block), and a leader stating that height would have proposals no one else can check, in
   * every round it leads (docs/consensus.md, "Ledger heights a proposal may state"). Proven are
   * the parent's own ledgerHeight (its voters had executed it), the epoch's root, and every
   * block whose child on the chain is from the very next round (the child is certified: the
   * parent by the highest QC, each other block by its child's justify), which is the two-chain
   * rule any holder of the chain applies itself.
   */
  private provenLedgerHeight(parentHash: string, parent: BlockHeader | null): number {
    let proven = Math.max(parent?.ledgerHeight ?? 0, this.epoch.startHeight - 1);
    if (parent === null) return proven;
    const root = this.tree.root;
    const certified = [...(root.block === null ? [] : [root.block]), ...this.tree.pathFromRoot(parentHash)];
    for (const block of certified) {
      if (block.justify === null || block.header.height <= this.epoch.startHeight) continue;
      if (block.header.round === block.justify.vote.round + 1) proven = Math.max(proven, block.header.height - 1);
    }
    return proven;
  }

  /**
   * A leader that restarted inside its own round already signed a proposal for it (the block was
   * persisted with that signature): it broadcasts that block again rather than a new one, which
   * its safety rules would refuse, so the round is not lost.
   */
  private reproposeAfterRestart(round: number, justifiedByQc: boolean): boolean {
    const signed = this.safety.lastProposal;
    if (signed === null || signed.round !== round) return false;
    const block = this.tree.findProposal(this.config.self, round);
    if (block === undefined || toHex(proposalDigest(block.hash, block.payload)) !== signed.digest) return false;
    this.proposedRound = round;
    this.broadcast({
      kind: 'proposal',
      block: { header: block.header, payload: block.payload },
      justify: block.justify,
      timeoutCertificate: justifiedByQc && certificateRound(block.justify) + 1 === round ? null : this.highTc,
      signature: signed.signature,
    });
    return true;
  }

  // ---------------------------------------------------------------- timeouts

  private localTimeout(): void {
    this.timedOutRound = this.round;
    this.nextRebroadcastMs = this.nowMs + this.config.timings.timeoutRebroadcastMs;
    if (!this.isMember()) return;
    const decision = this.safety.signTimeout(this.round, this.highQc, this.highTc?.round ?? 0);
    if (!decision.ok) return this.reject('safety-refused');
    if (!decision.repeated) this.persistSafety(decision.state);
    this.timeoutMessage = {
      kind: 'timeout',
      round: this.round,
      highQc: decision.highQc ?? this.highQc,
      validator: this.config.self,
      signature: decision.signature,
      highTc: this.highTc,
    };
    this.rememberOwnSignature('timeout', timeoutDigest(this.round, certificateRound(this.timeoutMessage.highQc)), decision);
    this.broadcast(this.timeoutMessage);
  }

  private handleTimeout(from: string, message: TimeoutMessage): void {
    if (message.round > this.round + this.config.limits.futureRoundsMax) return this.reject('far-future-round');
    if (message.round < this.round) {
      this.offerSyncInfo(from);
      return this.reject('stale-round');
    }
    if (this.refuseUnless(this.verifier.verifyTimeout(message))) return;
    this.noteRecoveryReport(from, message.highQc, message.highTc);
    this.processQuorumCertificate(message.highQc, from);
    if (message.highTc !== null) this.processTimeoutCertificate(message.highTc, from);
    if (message.round < this.round) return;
    // An honest validator is in a round its certificates justify, and we have just adopted them:
    // a timeout for a later round is not backed by any certificate, so it is not stored.
    if (message.round > this.round) return this.reject('unjustified-round');

    let roundTimeouts = this.timeouts.get(message.round);
    if (roundTimeouts === undefined) this.timeouts.set(message.round, (roundTimeouts = new Map()));
    const earlier = roundTimeouts.get(message.validator);
    if (earlier !== undefined) {
      if (earlier.signature === message.signature) return this.reject('duplicate');
      return this.equivocation({ validator: message.validator, round: message.round, message: 'timeout', first: earlier.signature, second: message.signature });
    }
    roundTimeouts.set(message.validator, message);

    // f + 1 timeouts mean at least one honest validator gave up on this round: join it, so that
    // validators whose timers drifted apart still reach n - f timeouts together.
    if (message.round === this.round && this.timedOutRound !== this.round && roundTimeouts.size > this.validators.faultsTolerated) {
      this.localTimeout();
    }
    if (roundTimeouts.size === this.validators.quorum) {
      const signers = [...roundTimeouts.values()];
      const highest = signers.reduce((best, timeout) => (certificateRound(timeout.highQc) > certificateRound(best.highQc) ? timeout : best));
      const byIndex = (id: string) => this.validators.get(id)!.index;
      this.processTimeoutCertificate(
        {
          round: message.round,
          highQc: highest.highQc,
          signatures: signers
            .map((timeout) => ({ validator: timeout.validator, highQcRound: certificateRound(timeout.highQc), signature: timeout.signature }))
            .sort((a, b) => byIndex(a.validator) - byIndex(b.validator)),
        },
        from,
      );
    }
  }

  private handleSyncInfo(from: string, message: SyncInfoMessage): void {
    if (this.refuseUnless(this.verifier.verifyQuorumCertificate(message.highQc))) return;
    if (message.highTc !== null && this.refuseUnless(this.verifier.verifyTimeoutCertificate(message.highTc))) return;
    this.noteRecoveryReport(from, message.highQc, message.highTc);
    this.processQuorumCertificate(message.highQc, this.config.self);
    if (message.highTc !== null) this.processTimeoutCertificate(message.highTc, this.config.self);
    if (message.request === true && from !== this.config.self) {
      const answeredMs = this.syncRequestAnsweredMs.get(from);
      if (answeredMs !== undefined && this.nowMs < answeredMs + this.config.timings.syncRequestTimeoutMs) return this.reject('rate-limited');
      this.syncRequestAnsweredMs.set(from, this.nowMs);
      this.send(from, { kind: 'sync-info', highQc: this.highQc, highTc: this.highTc });
    }
  }

  // ---------------------------------------------------------------- a lost safety record

  /**
   * Peers whose certificates it takes to end a hold: 2f + 1 others. The validator's last
   * signature before the loss was in some round r; it was in round r, so the certificate of
   * round r - 1 existed, signed by n - f validators in round r - 1, of whom at least f others
   * are honest (n - f - f, less itself). An honest validator never moves back, so each of those
   * now holds a certificate of round r - 2 or later. Any 2f + 1 of the 3f others include one of
   * them: the highest round they show, plus 2, is at least r.
   */
  private recoveryPeersNeeded(): number {
    return 2 * this.validators.faultsTolerated + 1;
  }

  /** Asks every peer for its certificates, again each syncRequestTimeoutMs while held (messages may be lost). */
  private requestRoundsIfHeld(): void {
    if (!this.safety.held || this.nowMs < this.recoveryRequestSentMs + this.config.timings.syncRequestTimeoutMs) return;
    this.recoveryRequestSentMs = this.nowMs;
    this.sends.push({ kind: 'broadcast', message: { kind: 'sync-info', highQc: this.highQc, highTc: this.highTc, request: true }, epoch: this.epoch.number });
  }

  /**
   * Certificates a peer of the set sent, already verified: while held, they are what the peer
   * shows of the network's round. Only certificates count, never a claimed round, so a
   * Byzantine peer can raise the floor at most to rounds that really were certified.
   */
  private noteRecoveryReport(from: string, highQc: ParentCertificate, highTc: TimeoutCertificate | null): void {
    if (!this.safety.held || from === this.config.self || this.validators.get(from) === undefined) return;
    const qcRound = Math.max(certificateRound(highQc), certificateRound(highTc?.highQc ?? null));
    const round = Math.max(qcRound, highTc?.round ?? 0);
    const earlier = this.recoveryReports.get(from);
    this.recoveryReports.set(from, { round: Math.max(round, earlier?.round ?? 0), qcRound: Math.max(qcRound, earlier?.qcRound ?? 0) });
    if (this.recoveryReports.size < this.recoveryPeersNeeded()) return;
    let highestRound = 0;
    let highestQcRound = 0;
    for (const report of this.recoveryReports.values()) {
      highestRound = Math.max(highestRound, report.round);
      highestQcRound = Math.max(highestQcRound, report.qcRound);
    }
    // The lock: a block committed with this validator's vote in its certifying quorum had its QC
    // held by at least f honest others of that quorum, one of whom is among the reporters.
    const floor: RecoveredFloor = { round: highestRound + 2, lockedRound: highestQcRound };
    this.persistSafety(this.safety.releaseHold(floor));
    this.safetyRecovered = { ...floor, peers: [...this.recoveryReports.keys()].sort() };
    this.recoveryReports.clear();
  }

  /** Tells a peer that spoke from an older round how to catch up; once per peer per round. */
  private offerSyncInfo(peer: string): void {
    if (peer === this.config.self || this.syncInfoSentRound.get(peer) === this.round) return;
    this.syncInfoSentRound.set(peer, this.round);
    this.send(peer, { kind: 'sync-info', highQc: this.highQc, highTc: this.highTc });
  }

  // ---------------------------------------------------------------- block sync

  private requestBlocks(hash: string, peer: string): void {
    if (peer === this.config.self) return;
    for (const request of this.syncRequests.values()) if (request.blockHash === hash) return;
    if (this.syncRequests.size >= this.config.limits.syncRequestsMax) return;
    const requestId = this.nextRequestId++;
    this.syncRequests.set(requestId, { peer, blockHash: hash, sentAtMs: this.nowMs });
    this.send(peer, { kind: 'block-request', requestId, blockHash: hash, count: this.config.limits.blocksPerResponseMax });
  }

  private handleBlockRequest(from: string, request: BlockRequestMessage): void {
    const count = Math.min(request.count, this.config.limits.blocksPerResponseMax);
    this.send(from, {
      kind: 'block-response',
      requestId: request.requestId,
      blocks: this.tree.chainEndingAt(request.blockHash, count),
      committedHeight: this.tree.root.height,
    });
  }

  /**
   * Blocks fetched for a hash some certificate vouches for: each is authenticated by the hash
   * chain from that hash (a header's hash is its child's prevHash), and each carries the
   * verified QC of its parent. They are inserted oldest first once they reach the tree.
   */
  private handleBlockResponse(from: string, response: BlockResponseMessage): void {
    const request = this.syncRequests.get(response.requestId);
    if (request === undefined || request.peer !== from) return this.reject('unsolicited');
    this.syncRequests.delete(response.requestId);
    this.peersCommittedHeight = Math.max(this.peersCommittedHeight ?? 0, response.committedHeight);
    if (response.blocks.length === 0) {
      if (response.committedHeight > this.tree.root.height) this.requestCommitted(from);
      return;
    }
    let expected = request.blockHash;
    const usable: BlockRecord[] = [];
    for (const record of response.blocks) {
      const header = record.block.header;
      if (header.height <= this.tree.root.height || this.tree.contains(expected)) break;
      if (blockHash(header) !== expected || header.chainId !== this.config.chainId) return this.reject('bad-sync-response');
      if (this.refuseUnless(this.verifier.verifyParentLink(header, record.justify))) return;
      if (this.refuseUnless(this.verifier.verifyQuorumCertificate(record.justify))) return;
      if (!this.port.checkPayload(header, record.block.payload).ok) return this.reject('bad-sync-response');
      usable.push(record);
      expected = header.prevHash;
    }
    if (usable.length === 0) return;
    const oldest = usable[usable.length - 1]!;
    if (!this.tree.contains(oldest.block.header.prevHash)) {
      if (oldest.block.header.height - 1 <= this.tree.root.height) return this.reject('bad-sync-response');
      if (response.committedHeight >= oldest.block.header.height) this.requestCommitted(from);
      else this.requestBlocks(oldest.block.header.prevHash, from);
      return;
    }
    if (this.tree.size + usable.length > this.config.limits.pendingBlocksMax) return this.reject('buffer-full');
    for (const record of usable.reverse()) {
      this.insertBlock(record);
      this.processQuorumCertificate(record.justify, from);
    }
    this.tryCommitWith(this.highQc);
    this.retryPendingProposals('parent');
    this.proposeIfLeader(false);
  }

  private requestCommitted(peer: string): void {
    if (this.catchUp !== null || peer === this.config.self) return;
    this.catchUp = { peer, sentAtMs: this.nowMs };
    this.send(peer, { kind: 'committed-request', fromHeight: this.tree.root.height + 1, count: this.config.limits.blocksPerResponseMax });
  }

  /**
   * Committed blocks from a peer's ledger, for a validator too far behind for block sync: each
   * must extend the committed head and carry a valid QC on itself and a payload that matches it.
   * A QC alone does not prove a block committed (a Byzantine peer may hold one on a block the
   * chain abandoned), so blocks are taken up to the last one with proof: its successor in the
   * response is from the very next round (the two-chain rule). An epoch's last block has no
   * such successor in any ledger, so a peer that saw it commit appends the blocks past the end
   * that did (its hand-over proof); or the next epoch's set certified its successor, which that
   * set makes only on a committed hand-over. The tip of a peer's ledger lacks proof; block sync
   * brings it.
   */
  private handleCommittedResponse(from: string, response: CommittedResponseMessage): void {
    if (this.catchUp === null || this.catchUp.peer !== from) return this.reject('unsolicited');
    this.catchUp = null;
    const ceiling = this.commitCeiling();
    // Blocks this epoch may commit, then any past its last block (proof only, never committed).
    const checked: CommittedBlock[] = [];
    let committable = 0;
    let certifiedByNextEpoch: CommittedBlock | undefined;
    let expectedHash = this.tree.root.hash;
    for (const committed of response.blocks.slice(0, committedResponseBlocksMax(this.config.limits.blocksPerResponseMax))) {
      const header = committed.block.header;
      const hash = blockHash(header);
      const vote = committed.certificate.vote;
      if (header.height !== this.tree.root.height + checked.length + 1 || header.prevHash !== expectedHash || header.chainId !== this.config.chainId) break;
      if (vote.blockHash !== hash || vote.height !== header.height || vote.round !== header.round) return this.reject('bad-sync-response');
      const role = this.epochRole(header.height);
      if (header.height > ceiling) {
        // Past what this epoch may commit now: the rest comes after the ledger (or the epoch) advances.
        this.catchUpResumePeer = from;
        if (role !== 'beyond' || committable === 0) break;
        if (checked.length === committable && this.certifiedByNextEpoch(committed)) {
          certifiedByNextEpoch = committed;
          break;
        }
      }
      if (role === 'unknown' || !this.fitsEpochRole(header, role)) return this.reject('bad-epoch-boundary');
      if (this.refuseUnless(this.verifier.verifyQuorumCertificate(committed.certificate))) return;
      if (!this.port.checkPayload(header, committed.block.payload).ok) return this.reject('bad-sync-response');
      checked.push(committed);
      if (header.height <= ceiling) committable = checked.length;
      expectedHash = hash;
    }
    let proven = certifiedByNextEpoch !== undefined ? committable : 0;
    for (let index = checked.length - 2; index >= 0 && proven === 0; index--) {
      if (checked[index + 1]!.block.header.round === checked[index]!.block.header.round + 1) proven = Math.min(index + 1, committable);
    }
    if (proven === 0) return;
    if (proven === committable && this.epochRole(this.tree.root.height + proven) === 'last') {
      this.keepHandOverProof(certifiedByNextEpoch !== undefined ? [certifiedByNextEpoch] : checked.slice(committable));
    }
    let previousCertificate = this.tree.root.certificate;
    for (const committed of checked.slice(0, proven)) {
      this.tree.commitFetched(committed, previousCertificate);
      this.commits.push(committed);
      previousCertificate = committed.certificate;
    }
    this.persisting().pruneBelowHeight = this.tree.root.height;
    this.processQuorumCertificate(this.tree.root.certificate, from);
    if (response.blocks.length >= this.config.limits.blocksPerResponseMax) this.requestCommitted(from);
    this.retryPendingProposals('parent');
  }

  /** Whether the first block of the scheduled epoch carries a valid certificate of that epoch's set. */
  private certifiedByNextEpoch(committed: CommittedBlock): boolean {
    const scheduled = this.scheduledChange();
    if (scheduled === undefined || committed.block.header.height !== scheduled.startHeight) return false;
    const next = ValidatorSet.create(scheduled.validators);
    assert(next.ok, `the scheduled validator set is invalid: ${next.ok ? '' : next.message}`);
    return verifyQuorumCertificate(committed.certificate, next.set, this.config.chainId, this.epoch.number + 1).ok;
  }

  // ---------------------------------------------------------------- helpers

  private insertBlock(record: BlockRecord): TreeBlock {
    const inserted = this.tree.insert(record.block, record.justify);
    const persist = this.persisting();
    (persist.blocks ??= []).push(record);
    return inserted;
  }

  private holdProposal(hash: string, pending: PendingProposal): void {
    if (!this.pendingProposals.has(hash) && this.pendingProposals.size >= this.config.limits.pendingProposalsMax) return this.reject('buffer-full');
    this.pendingProposals.set(hash, pending);
  }

  private retryPendingProposals(waitingFor: PendingProposal['waitingFor']): void {
    for (const [hash, pending] of [...this.pendingProposals]) {
      if (pending.waitingFor !== waitingFor && waitingFor !== 'parent') continue;
      if (pending.message.block.header.round !== this.round) {
        this.pendingProposals.delete(hash);
        continue;
      }
      if (waitingFor === 'parent' && !this.tree.contains(pending.message.block.header.prevHash)) continue;
      this.pendingProposals.delete(hash);
      this.considerProposal(pending.from, pending.message, hash);
    }
  }

  private restoreBlocks(records: readonly BlockRecord[]): void {
    const sorted = [...records].sort((a, b) => a.block.header.height - b.block.header.height);
    for (const record of sorted) {
      const header = record.block.header;
      if (header.height <= this.tree.root.height || !this.tree.contains(header.prevHash)) continue;
      this.tree.insert(record.block, record.justify);
      this.restoredCertificates.push(record.justify);
      if (certificateRound(record.justify) > certificateRound(this.highQc)) this.highQc = record.justify;
    }
  }

  private firstSigner(certificate: QuorumCertificate): string {
    const other = certificate.signatures.find((entry) => entry.validator !== this.config.self);
    return other?.validator ?? this.nextPeer(this.config.self);
  }

  /** The validator after `peer` in set order, skipping this one: how retries rotate. */
  private nextPeer(peer: string): string {
    const size = this.validators.size;
    const start = this.validators.get(peer)?.index ?? 0;
    for (let offset = 1; offset <= size; offset++) {
      const candidate = this.validators.at((start + offset) % size).id;
      if (candidate !== this.config.self) return candidate;
    }
    return peer;
  }
}

/** The middle value, or the mean of the two middle ones; `values` is not empty. */
function median(values: readonly number[]): number {
  assert(values.length > 0, 'the median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index]);
}

/**
 * Whether a validator's safety record was lost rather than never written: the consensus store
 * holds no safety record, yet the validator ran before (its ledger is past genesis, or the
 * consensus store kept blocks or certificates). Then it must not sign before a quorum of peers
 * shows it the network's round (docs/consensus.md section 3, "A lost safety record"). A
 * validator that starts with an empty ledger (a new network, or one a governance change adds)
 * never signed anything in this chain.
 */
export function safetyRecordWasLost(stores: {
  safety: SafetyState | undefined;
  ledgerHeight: number;
  blocks: readonly unknown[];
  highQc: ParentCertificate;
  highTc: TimeoutCertificate | null;
}): boolean {
  if (stores.safety !== undefined) return false;
  return stores.ledgerHeight > 0 || stores.blocks.length > 0 || stores.highQc !== null || stores.highTc !== null;
}

/**
 * The safety state raised to what the stores show (docs/consensus.md section 3, "Safety state
 * never moves backwards"). A consensus log cut short (a truncated write-ahead log, a restored
 * backup) can hold a safety record older than certificates kept elsewhere: the ledger's head
 * certificate, the highest QC and TC, the parent certificates of stored blocks, the blocks it
 * proposed. A QC of round r may hold this validator's vote for r, a TC its timeout, its own
 * block its proposal and vote, so after a rollback it could otherwise sign a second, different
 * vote, timeout or proposal for a round it already signed in. So lastVotedRound is at least
 * every such round, the lock at least every QC round, and the highest timeout round at least
 * the TC's. The state is returned unchanged (the same object)
 * when nothing is raised.
 */
export function safetyAtLeastStores(
  state: SafetyState,
  stores: { certificates: readonly ParentCertificate[]; highTc: TimeoutCertificate | null; ownProposalRounds?: readonly number[] },
): SafetyState {
  let certifiedRound = 0;
  for (const certificate of stores.certificates) certifiedRound = Math.max(certifiedRound, certificateRound(certificate));
  const timeoutRound = stores.highTc?.round ?? 0;
  // A block this validator proposed: it signed the proposal and may have voted for it, so the
  // round counts as voted in, which also keeps it from proposing there again (safety-rules.ts).
  let proposedRound = 0;
  for (const round of stores.ownProposalRounds ?? []) if (round > (state.lastProposal?.round ?? 0)) proposedRound = Math.max(proposedRound, round);
  const lastVotedRound = Math.max(state.lastVotedRound, certifiedRound, timeoutRound, proposedRound);
  const lockedRound = Math.max(state.lockedRound, certifiedRound);
  const highestTimeoutRound = Math.max(state.highestTimeoutRound, timeoutRound);
  if (lastVotedRound === state.lastVotedRound && lockedRound === state.lockedRound && highestTimeoutRound === state.highestTimeoutRound) return state;
  return { ...state, lastVotedRound, lockedRound, highestTimeoutRound };
}
