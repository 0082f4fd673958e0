/**
 * Byzantine validators for the simulator. A Byzantine node runs the honest core (so it stays
 * in step with the protocol and knows what to attack), and its driver rewrites the traffic
 * the core emits, re-signing with the validator's raw key where it needs a signature the core
 * would never produce. The attacks are the ones Jolteon / DiemBFT v4's safety argument must
 * survive with at most f faulty validators, and the ones Twins (Bano et al., 2020) generates
 * by running two instances under one key:
 * - equivocation: a second, conflicting proposal in the same round, the two sent to different halves;
 * - double-vote: a second vote for another block in the same round;
 * - invalid-votes: votes for blocks that do not exist (random hashes, wrong heights);
 * - withhold-votes: never votes;
 * - bad-signatures: corrupted own signatures, corrupted signatures inside carried certificates,
 *   and undecodable frames;
 * - stale-messages: replays of old messages (its own and others') next to its normal traffic;
 * - forking-leader: when leading round r, it holds back its proposal (which carries the QC on
 *   the previous block C) and everything else that would reveal that QC, until the honest
 *   validators time out in round r - 1. From their timeouts it builds a TC for r - 1, then sends
 *   a fork that extends an older certificate than its highest (the QC on A, the grandparent of
 *   C, so the fork conflicts with C's parent B) with that TC to a quorum minus itself, and its
 *   honest proposal to the rest; it votes for the fork and for every block built on it. The
 *   honest proposal lets its receivers commit B; the fork is exactly what the safe-to-vote
 *   rule refuses (its QC is below the highest QC the TC reports), so with that rule switched
 *   off the fork is certified and committed at B's height: the agreement checker must fire;
 * - invalid-proposals: when leading, re-signed proposals that break one rule each: ledger
 *   roots that match no ledger, a payload that does not match txRoot, a timestamp far ahead or
 *   before the parent's, another chain id, an oversized payload;
 * - forged-sync: answers block and committed-block requests with tampered blocks (a swapped
 *   payload under a certified header, an altered header, a corrupted or misattached
 *   certificate, blocks out of order), the attack checkPayload and the hash-chain checks exist for;
 * - twins: no rewriting; the cluster runs two instances of the validator instead;
 * - unknown-ids: when leading, proposes (re-signed) a payload of transaction ids no validator
 *   holds a body for, and votes for it itself: honest validators must answer
 *   'missing-transactions', fetch in vain from it and then each other, never vote, and the
 *   round must time out like a silent one;
 * - some-unknown-ids: the same with a mix: ids of transactions it disseminated (its own fresh
 *   one and those its honest proposal carried) and unknown ones, so that fetching succeeds for
 *   some bodies and never for the rest.
 * Blocks that must stay available (an equivocating or forking leader's second block) carry a
 * transaction the Byzantine validator disseminates first, like any client transaction, so the
 * attack is on the protocol and not merely on data availability.
 */
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, type VoteData } from '../../ledger/model/certificate.js';
import {
  certificateRound,
  proposalDigest,
  timeoutDigest,
  type BlockRecord,
  type ConsensusMessage,
  type ParentCertificate,
  type ProposalMessage,
  type ProposedBlock,
  type TimeoutCertificate,
  type TimeoutMessage,
  type VoteMessage,
} from '../../consensus/messages.js';
import { encodeMessageBytes } from '../../consensus/codec.js';
import { payloadIds, type SimApplication } from './application.js';
import { transactionId } from './transaction-bodies.js';
import type { Prng } from './prng.js';

export const BYZANTINE_KINDS = [
  'equivocation',
  'double-vote',
  'invalid-votes',
  'withhold-votes',
  'bad-signatures',
  'stale-messages',
  'forking-leader',
  'invalid-proposals',
  'forged-sync',
  'twins',
  'unknown-ids',
  'some-unknown-ids',
] as const;
export type ByzantineKind = (typeof BYZANTINE_KINDS)[number];

/** What a Byzantine driver puts on the wire: a message, or bytes that are not one. */
export type Outgoing = { recipients: readonly string[]; message: ConsensusMessage } | { recipients: readonly string[]; garbage: Uint8Array };

export interface ByzantineContext {
  self: string;
  /** Every Byzantine validator of the run (they collude: an attacker knows who will not vote honestly). */
  colluders: readonly string[];
  signingSeed: Uint8Array;
  chainId: string;
  genesisHash: string;
  /** In validator-set order, so that the leader of round r is validatorIds[r mod n]. */
  validatorIds: readonly string[];
  quorum: number;
  prng: Prng;
  app: SimApplication;
  /** The validator-set epoch its own core is in: forgeries are signed under it, to count there. */
  epoch: () => number;
  /** Admits a transaction of its own and relays it to every validator, as a client's would be; returns its id. */
  disseminate: (body: string) => string;
}

export interface ByzantineBehaviour {
  readonly kind: ByzantineKind;
  /** Sees what the node receives; may answer with traffic of its own (sent from this node). */
  observeIncoming(message: ConsensusMessage): Outgoing[];
  rewrite(recipients: readonly string[], message: ConsensusMessage): Outgoing[];
}

/** Larger than the simulator's payloadBytesMax (64 KiB), smaller than the codec's 16 MiB. */
const SIM_PAYLOAD_BYTES_OVERSIZED = 96 * 1024;

/** Blocks remembered to find older certificates to fork from; old ones are forgotten first. */
const REMEMBERED_BLOCKS_MAX = 256;
/** Messages kept for replay. */
const REPLAY_BUFFER_MAX = 128;
const REPLAY_PROBABILITY = 0.3;

export function signProposal(context: Pick<ByzantineContext, 'chainId' | 'signingSeed' | 'epoch'>, block: ProposedBlock): string {
  return toHex(signFor('proposal', context.chainId, context.signingSeed, proposalDigest(blockHash(block.header), block.payload), context.epoch()));
}

export function signVoteHex(context: Pick<ByzantineContext, 'chainId' | 'signingSeed' | 'epoch'>, vote: VoteData): string {
  return toHex(signVote(context.chainId, context.signingSeed, vote, context.epoch()));
}

/** Flips one hex digit: still well-formed, no longer valid. */
export function corruptSignature(signature: string, prng: Prng): string {
  const position = prng.intBelow(signature.length);
  const digit = signature[position]!;
  const replacement = digit === '0' ? '1' : '0';
  return signature.slice(0, position) + replacement + signature.slice(position + 1);
}

export function createBehaviour(kind: ByzantineKind, context: ByzantineContext): ByzantineBehaviour {
  return new ByzantineDriver(kind, context);
}

interface ForkAttack {
  round: number;
  proposal: ProposalMessage;
  /** The older certified block the fork extends. */
  target: { hash: string; height: number; certificate: ParentCertificate; ledgerHeight: number };
  /** Honest timeouts for round - 1, by validator. */
  timeouts: Map<string, TimeoutMessage>;
}

/** Fork blocks the forking leader keeps voting for; old ones are forgotten first. */
const FORK_BLOCKS_MAX = 64;

class ByzantineDriver implements ByzantineBehaviour {
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #replayBuffer: ConsensusMessage[] = [];
  #attack: ForkAttack | null = null;
  /** The round of the latest attack, prepared or launched. */
  #attackRound = 0;
  readonly #forkBlocks = new Set<string>();
  /** The latest block with unknown ids it proposed, whose vote replaces its core's vote for the honest block. */
  #unavailable: { round: number; height: number; hash: string } | null = null;

  constructor(
    readonly kind: ByzantineKind,
    readonly context: ByzantineContext,
  ) {}

  observeIncoming(message: ConsensusMessage): Outgoing[] {
    this.#remember(message);
    if (this.kind === 'stale-messages') this.#keepForReplay(message);
    if (this.kind !== 'forking-leader') return [];
    if (message.kind === 'timeout') return this.#collectTimeout(message);
    if (message.kind === 'proposal') return this.#followFork(message);
    return [];
  }

  rewrite(recipients: readonly string[], message: ConsensusMessage): Outgoing[] {
    this.#remember(message);
    const self = this.context.self;
    const ownVote = message.kind === 'vote' && message.validator === self ? message : null;
    const ownProposal = message.kind === 'proposal' && message.block.header.proposer === self ? message : null;
    switch (this.kind) {
      case 'twins':
        return [{ recipients, message }];
      case 'withhold-votes':
        return ownVote === null ? [{ recipients, message }] : [];
      case 'invalid-votes':
        return ownVote === null ? [{ recipients, message }] : [{ recipients, message: this.#invalidVote(ownVote) }];
      case 'double-vote': {
        if (ownVote === null) return [{ recipients, message }];
        const second: Outgoing = { recipients, message: this.#voteFor(ownVote.vote.round, ownVote.vote.height, this.context.prng.hex(32)) };
        const first: Outgoing = { recipients, message };
        return this.context.prng.chance(0.5) ? [first, second] : [second, first];
      }
      case 'equivocation':
        return ownProposal === null ? [{ recipients, message }] : this.#equivocate(recipients, ownProposal);
      case 'forking-leader':
        if (ownProposal !== null) return this.#prepareFork(recipients, ownProposal);
        // Its own timeouts and sync-info would carry the withheld QC to the fork's voters before
        // they vote (it answers their round r - 1 timeouts with sync-info at once): it sends none.
        if (message.kind === 'timeout' || message.kind === 'sync-info') return [];
        // Its core votes for the withheld proposal; that vote would take the slot of its vote for the fork.
        if (ownVote !== null && ownVote.vote.round === this.#attackRound) return [];
        return [{ recipients, message }];
      case 'bad-signatures':
        return [this.#badSignature(recipients, message)];
      case 'invalid-proposals':
        return ownProposal === null ? [{ recipients, message }] : [{ recipients, message: this.#invalidProposal(ownProposal) }];
      case 'forged-sync':
        return [{ recipients, message: this.#forgedSync(message) }];
      case 'unknown-ids':
      case 'some-unknown-ids': {
        if (ownProposal !== null) return [{ recipients, message: this.#unavailableProposal(ownProposal) }];
        const unavailable = this.#unavailable;
        if (ownVote !== null && unavailable !== null && ownVote.vote.round === unavailable.round) {
          return [{ recipients, message: this.#voteFor(unavailable.round, unavailable.height, unavailable.hash) }];
        }
        return [{ recipients, message }];
      }
      case 'stale-messages': {
        this.#keepForReplay(message);
        const outgoing: Outgoing[] = [{ recipients, message }];
        if (this.#replayBuffer.length > 0 && this.context.prng.chance(REPLAY_PROBABILITY)) {
          // Biased towards the oldest half of the buffer: the point is messages from rounds long gone.
          const index = this.context.prng.intBelow(Math.max(1, Math.ceil(this.#replayBuffer.length / 2)));
          const others = this.context.validatorIds.filter((id) => id !== this.context.self);
          outgoing.push({ recipients: [this.context.prng.pick(others)], message: this.#replayBuffer[index]! });
        }
        return outgoing;
      }
    }
  }

  #remember(message: ConsensusMessage): void {
    const records: BlockRecord[] =
      message.kind === 'proposal' ? [{ block: message.block, justify: message.justify }] : message.kind === 'block-response' ? message.blocks : [];
    for (const record of records) {
      this.#blocks.set(blockHash(record.block.header), record);
      while (this.#blocks.size > REMEMBERED_BLOCKS_MAX) this.#blocks.delete(this.#blocks.keys().next().value!);
    }
  }

  #keepForReplay(message: ConsensusMessage): void {
    if (message.kind !== 'proposal' && message.kind !== 'vote' && message.kind !== 'timeout' && message.kind !== 'sync-info') return;
    this.#replayBuffer.push(message);
    if (this.#replayBuffer.length > REPLAY_BUFFER_MAX) this.#replayBuffer.shift();
  }

  #voteFor(round: number, height: number, hash: string): VoteMessage {
    const vote: VoteData = { blockHash: hash, height, round };
    return { kind: 'vote', vote, validator: this.context.self, signature: signVoteHex(this.context, vote) };
  }

  #invalidVote(original: VoteMessage): VoteMessage {
    const prng = this.context.prng;
    if (prng.chance(0.25)) return this.#voteFor(original.vote.round, original.vote.height + 1 + prng.intBelow(3), original.vote.blockHash);
    return this.#voteFor(original.vote.round, original.vote.height, prng.hex(32));
  }

  /** A block at `parentHeight + 1` on `prevHash`, in the same round as `original`, with a payload no honest node proposed (but disseminated). */
  #conflictingBlock(original: ProposedBlock, parentHeight: number, prevHash: string, tag: string, ledgerHeight = original.header.ledgerHeight): ProposedBlock {
    const header = original.header;
    const id = this.context.disseminate(`byzantine:${this.context.self}:r${header.round}:${tag}`);
    const content = this.context.app.contentFor([id], Math.min(ledgerHeight, parentHeight));
    const forged: BlockHeader = {
      ...header,
      height: parentHeight + 1,
      prevHash,
      txCount: content.txCount,
      txRoot: content.txRoot,
      ledgerHeight: content.ledgerHeight,
      logSize: content.logSize,
      logRoot: content.logRoot,
      stateRoot: content.stateRoot,
    };
    return { header: forged, payload: content.payload };
  }

  #proposalOf(block: ProposedBlock, justify: ParentCertificate, original: ProposalMessage): ProposalMessage {
    return { kind: 'proposal', block, justify, timeoutCertificate: original.timeoutCertificate, signature: signProposal(this.context, block) };
  }

  #nextLeader(round: number): string {
    const ids = this.context.validatorIds;
    return ids[(round + 1) % ids.length]!;
  }

  #equivocate(recipients: readonly string[], proposal: ProposalMessage): Outgoing[] {
    const header = proposal.block.header;
    const alternative = this.#proposalOf(this.#conflictingBlock(proposal.block, header.height - 1, header.prevHash, 'equivocation'), proposal.justify, proposal);
    const prng = this.context.prng;
    if (recipients.length < 2) return [{ recipients, message: prng.chance(0.5) ? proposal : alternative }];
    const shuffled = prng.shuffle(recipients);
    const half = Math.ceil(shuffled.length / 2);
    const outgoing: Outgoing[] = [
      { recipients: shuffled.slice(0, half), message: proposal },
      { recipients: shuffled.slice(half), message: alternative },
    ];
    const nextLeader = this.#nextLeader(header.round);
    if (nextLeader !== this.context.self && prng.chance(0.5)) {
      outgoing.push({ recipients: [nextLeader], message: this.#voteFor(header.round, header.height, blockHash(alternative.block.header)) });
    }
    return outgoing;
  }

  /** The certified block `depth - 1` steps above the proposal's parent, with its certificate, if remembered. */
  #olderCertified(proposal: ProposalMessage, depth: number): ForkAttack['target'] | null {
    let certificate = proposal.justify;
    for (let step = 1; step < depth; step++) {
      if (certificate === null) return null;
      const record = this.#blocks.get(certificate.vote.blockHash);
      if (record === undefined) return null;
      certificate = record.justify;
    }
    if (certificate === null) return { hash: this.context.genesisHash, height: 0, certificate, ledgerHeight: 0 };
    const record = this.#blocks.get(certificate.vote.blockHash);
    // Honest validators executed at least what the target's own header names, so its roots are safe to reuse.
    if (record === undefined) return null;
    return { hash: certificate.vote.blockHash, height: certificate.vote.height, certificate, ledgerHeight: record.block.header.ledgerHeight };
  }

  #honestOthers(): string[] {
    return this.context.validatorIds.filter((id) => id !== this.context.self && !this.context.colluders.includes(id));
  }

  /** Holds the honest proposal back and waits for round r - 1 to time out (see the header). */
  #prepareFork(recipients: readonly string[], proposal: ProposalMessage): Outgoing[] {
    const round = proposal.block.header.round;
    const target = this.#olderCertified(proposal, 3);
    if (target === null || round < 2) {
      this.#attack = null;
      return [{ recipients, message: proposal }];
    }
    this.#attack = { round, proposal, target, timeouts: new Map() };
    this.#attackRound = round;
    return [];
  }

  #collectTimeout(timeout: TimeoutMessage): Outgoing[] {
    const attack = this.#attack;
    if (attack === null || timeout.round !== attack.round - 1 || this.context.colluders.includes(timeout.validator)) return [];
    attack.timeouts.set(timeout.validator, timeout);
    // Its own forged timeout completes the quorum, so the attack needs only n - f - 1 honest timeouts.
    if (attack.timeouts.size < this.context.quorum - 1) return [];
    this.#attack = null;
    return this.#launchFork(attack);
  }

  #launchFork(attack: ForkAttack): Outgoing[] {
    const { round, proposal, target } = attack;
    const timeouts = [...attack.timeouts.values()];
    const highest = timeouts.reduce((best, timeout) => (certificateRound(timeout.highQc) > certificateRound(best.highQc) ? timeout : best));
    const highQcRound = certificateRound(highest.highQc);
    const ownSignature = toHex(signFor('timeout', this.context.chainId, this.context.signingSeed, timeoutDigest(round - 1, highQcRound), this.context.epoch()));
    const indexOf = (id: string) => this.context.validatorIds.indexOf(id);
    const timeoutCertificate: TimeoutCertificate = {
      round: round - 1,
      highQc: highest.highQc,
      signatures: [
        ...timeouts.map((timeout) => ({ validator: timeout.validator, highQcRound: certificateRound(timeout.highQc), signature: timeout.signature })),
        { validator: this.context.self, highQcRound, signature: ownSignature },
      ].sort((left, right) => indexOf(left.validator) - indexOf(right.validator)),
    };
    const forkBlock = this.#conflictingBlock(proposal.block, target.height, target.hash, 'fork', target.ledgerHeight);
    const forkHash = blockHash(forkBlock.header);
    const fork: ProposalMessage = { kind: 'proposal', block: forkBlock, justify: target.certificate, timeoutCertificate, signature: signProposal(this.context, forkBlock) };
    // The leaders of r + 1 and r + 2 must be on the fork: they certify it and the block after it.
    const nextLeaders = [this.#nextLeader(round), this.#nextLeader(round + 1)];
    const honest = this.context.prng.shuffle(this.#honestOthers()).sort((left, right) => Number(nextLeaders.includes(right)) - Number(nextLeaders.includes(left)));
    const forkGroupSize = Math.min(honest.length - 1, this.context.quorum - 1);
    const forkGroup = honest.slice(0, forkGroupSize);
    const proposalGroup = [...honest.slice(forkGroupSize), ...this.context.colluders.filter((id) => id !== this.context.self)];
    this.#rememberFork(forkHash);
    const outgoing: Outgoing[] = [
      { recipients: forkGroup, message: fork },
      { recipients: proposalGroup, message: proposal },
    ];
    const nextLeader = this.#nextLeader(round);
    if (nextLeader !== this.context.self) {
      outgoing.push({ recipients: [nextLeader], message: this.#voteFor(round, forkBlock.header.height, forkHash) });
    }
    return outgoing;
  }

  /** Votes for every block built on the fork, as its own honest core (which committed the other branch) will not. */
  #followFork(proposal: ProposalMessage): Outgoing[] {
    const header = proposal.block.header;
    if (!this.#forkBlocks.has(header.prevHash)) return [];
    const hash = blockHash(header);
    this.#rememberFork(hash);
    const nextLeader = this.#nextLeader(header.round);
    if (nextLeader === this.context.self) return [];
    return [{ recipients: [nextLeader], message: this.#voteFor(header.round, header.height, hash) }];
  }

  #rememberFork(hash: string): void {
    this.#forkBlocks.add(hash);
    while (this.#forkBlocks.size > FORK_BLOCKS_MAX) this.#forkBlocks.delete(this.#forkBlocks.values().next().value!);
  }

  /**
   * Its honest proposal with the payload swapped for ids no validator holds (and, for
   * some-unknown-ids, ids it disseminated too), re-signed: a well-formed block that can never
   * be voted for by a validator that insists on holding every body.
   */
  #unavailableProposal(proposal: ProposalMessage): ProposalMessage {
    const prng = this.context.prng;
    const header = proposal.block.header;
    const unknown = Array.from({ length: 1 + prng.intBelow(3) }, () => prng.hex(32));
    let ids = unknown;
    if (this.kind === 'some-unknown-ids') {
      const own = this.context.disseminate(`byzantine:${this.context.self}:r${header.round}:known`);
      const known = [own, ...payloadIds(proposal.block.payload).filter((id) => id !== own)];
      ids = prng.shuffle([...unknown, ...known.slice(0, this.context.app.limits.blockTransactionsMax - unknown.length)]);
    }
    const content = this.context.app.contentFor(ids, header.ledgerHeight);
    const block: ProposedBlock = { header: { ...header, txCount: content.txCount, txRoot: content.txRoot }, payload: content.payload };
    this.#unavailable = { round: header.round, height: header.height, hash: blockHash(block.header) };
    return { ...proposal, block, signature: signProposal(this.context, block) };
  }

  /** One broken rule per proposal, re-signed so that only that rule can refuse it. */
  #invalidProposal(proposal: ProposalMessage): ProposalMessage {
    const prng = this.context.prng;
    const block = structuredClone(proposal.block);
    const header = block.header;
    switch (prng.intBelow(7)) {
      case 0:
        header.stateRoot = prng.hex(32);
        break;
      case 1:
        block.payload = this.context.app.contentFor([transactionId(`byzantine:${this.context.self}:r${header.round}:swapped`)], 0).payload;
        break;
      case 2:
        header.timestamp += 60 * 60 * 1000;
        break;
      case 3:
        header.timestamp = 0;
        break;
      case 4:
        header.chainId = 'another-chain';
        break;
      case 5:
        header.ledgerHeight = header.height;
        break;
      default:
        block.payload = new Uint8Array(SIM_PAYLOAD_BYTES_OVERSIZED).fill(0x20);
        break;
    }
    return { ...proposal, block, signature: signProposal(this.context, block) };
  }

  #forgedSync(message: ConsensusMessage): ConsensusMessage {
    const prng = this.context.prng;
    if (message.kind === 'block-response' && message.blocks.length > 0) {
      const copy = structuredClone(message);
      const target = copy.blocks[prng.intBelow(copy.blocks.length)]!;
      switch (prng.intBelow(4)) {
        case 0:
          target.block.payload = this.context.app.contentFor([transactionId(`byzantine:${this.context.self}:forged`)], 0).payload;
          break;
        case 1:
          target.block.header.timestamp += 1;
          break;
        case 2: {
          const inner = target.justify?.signatures[0];
          if (inner !== undefined) inner.signature = corruptSignature(inner.signature, prng);
          else target.block.header.txCount += 1;
          break;
        }
        default:
          copy.blocks.reverse();
          break;
      }
      return copy;
    }
    if (message.kind === 'committed-response' && message.blocks.length > 0) {
      const copy = structuredClone(message);
      const index = prng.intBelow(copy.blocks.length);
      const target = copy.blocks[index]!;
      switch (prng.intBelow(4)) {
        case 0:
          target.block.payload = this.context.app.contentFor([transactionId(`byzantine:${this.context.self}:forged`)], 0).payload;
          break;
        case 1:
          target.certificate.signatures[0]!.signature = corruptSignature(target.certificate.signatures[0]!.signature, prng);
          break;
        case 2: {
          const other = copy.blocks[(index + 1) % copy.blocks.length]!;
          target.certificate = structuredClone(other.certificate);
          if (other === target) target.certificate.vote.round += 1;
          break;
        }
        default:
          target.block.header.stateRoot = prng.hex(32);
          break;
      }
      return copy;
    }
    return message;
  }

  #badSignature(recipients: readonly string[], message: ConsensusMessage): Outgoing {
    const prng = this.context.prng;
    const signed = message.kind === 'proposal' || message.kind === 'vote' || message.kind === 'timeout';
    if (!signed) return { recipients, message };
    const choice = prng.intBelow(10);
    if (choice < 3) return { recipients, message };
    if (choice >= 8) return { recipients, garbage: garbageFrame(message, prng) };
    const copy = structuredClone(message);
    if (choice === 7) {
      const certificate = copy.kind === 'proposal' ? copy.justify : copy.kind === 'timeout' ? copy.highQc : null;
      const inner = certificate?.signatures[prng.intBelow(certificate.signatures.length)];
      if (inner !== undefined) {
        inner.signature = corruptSignature(inner.signature, prng);
        return { recipients, message: copy };
      }
    }
    copy.signature = corruptSignature(copy.signature, prng);
    return { recipients, message: copy };
  }
}

/** Bytes a hostile peer might send as a consensus frame body (consensus/codec.ts): cut off, edited, absurd lengths, noise. */
export function garbageFrame(message: ConsensusMessage, prng: Prng): Uint8Array {
  const wire = encodeMessageBytes(message);
  switch (prng.intBelow(5)) {
    case 0:
      return wire.slice(0, prng.intBelow(wire.length));
    case 1: {
      // One byte of the structure or a payload changed.
      const edited = wire.slice();
      const at = prng.intBelow(edited.length);
      edited[at] = (edited[at]! + 1 + prng.intBelow(255)) & 0xff;
      return edited;
    }
    case 2: {
      // A structure length far beyond the bytes present.
      const lying = wire.slice();
      if (lying.length >= 5) new DataView(lying.buffer, lying.byteOffset).setUint32(1, 0xffffffff);
      return lying;
    }
    case 3:
      return new Uint8Array([...wire, ...new TextEncoder().encode(prng.hex(8))]);
    default:
      return new TextEncoder().encode(prng.hex(48));
  }
}
