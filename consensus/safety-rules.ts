/**
 * Safety rules: the only holder of the validator's signing key (after Aptos' SafetyRules and
 * CometBFT's privval). It signs a proposal, vote or timeout only when the named predicates below
 * allow it, and returns the new safety state with every signature; the core emits that state as
 * a durable write ahead of the message, so nothing signed leaves before the state that allows it
 * is on disk. A repeated request for the same round and content gets the identical signature
 * back; anything that would move backwards or sign a second, different message for a round is
 * refused. The rules are those of Jolteon / DiemBFT v4 (Gelashvili et al. 2021, "Jolteon and
 * Ditto"; the DiemBFT v4 specification, section 4), in Aptos' two-chain formulation.
 */
import { assert } from '../ledger/assert.js';
import { toHex } from '../ledger/encoding/hex.js';
import { signFor } from '../ledger/crypto/signatures.js';
import { signVote } from '../ledger/model/certificate.js';
import { certificateRound, timeoutDigest, type ParentCertificate } from './messages.js';
import { initialSafetyState } from './defaults.js';
import type { SafetyState, SignedProposalRecord, UnsafeTestSwitches } from './types.js';

/**
 * Rule "vote once per round": a validator votes or times out in a round only if the round is
 * above every round in which it already voted or timed out (lastVotedRound). This alone rules
 * out two different votes in one round, across restarts, since lastVotedRound is persisted first.
 */
export function isAboveLastVotedRound(round: number, lastVotedRound: number): boolean {
  return round > lastVotedRound;
}

/**
 * Rule "safe to vote" (Jolteon): vote for a block of round r only if its QC is from round r - 1,
 * or r - 1 ended in a timeout certificate and the block's QC is at least as high as every QC
 * the TC's signers reported. Either way the block extends the highest block any honest
 * validator may have locked on, so a block that could have been committed is never abandoned.
 */
export function isSafeToVote(round: number, qcRound: number, timeoutCertificate: { round: number; highestQcRound: number } | null): boolean {
  if (round === qcRound + 1) return true;
  return timeoutCertificate !== null && round === timeoutCertificate.round + 1 && qcRound >= timeoutCertificate.highestQcRound;
}

/**
 * Rule "safe to timeout": time out in round r only when r is justified by the QC or the TC
 * carried (r = qcRound + 1 or r = tcRound + 1), and the carried QC is not below the lock, so a
 * TC never certifies a QC lower than one an honest validator locked on.
 */
export function isSafeToTimeout(round: number, qcRound: number, tcRound: number, lockedRound: number): boolean {
  return (round === qcRound + 1 || round === tcRound + 1) && qcRound >= lockedRound;
}

export interface VoteRequest {
  blockHash: string;
  height: number;
  round: number;
  /** Round of the QC the block carries (its parent's round). */
  qcRound: number;
  /** The TC the proposal carries, as (round, highest QC round of its signers). */
  timeoutCertificate: { round: number; highestQcRound: number } | null;
}

export type SafetyRefusal =
  | 'already-voted-for-another-block'
  | 'round-not-above-last-voted'
  | 'not-safe-to-vote'
  | 'round-below-last-voted'
  | 'not-safe-to-timeout'
  | 'already-proposed-another-block'
  | 'proposal-round-not-increasing'
  /** A round this validator already voted or timed out in: it may have proposed there too, before a rollback lost the record. */
  | 'proposal-round-already-signed'
  /** The safety record was lost and the network's round is not known yet (SafetyRules.releaseHold). */
  | 'held-after-lost-record';

export type SafetyDecision =
  | { ok: true; signature: string; state: SafetyState; repeated: boolean }
  | { ok: false; refusal: SafetyRefusal };

/**
 * Where a validator whose safety record was lost may sign again (docs/consensus.md section 3,
 * "A lost safety record"): above `round`, with its lock at least `lockedRound`.
 */
export interface RecoveredFloor {
  round: number;
  lockedRound: number;
}

export class SafetyRules {
  #state: SafetyState;
  readonly #seed: Uint8Array;
  /** Set while a lost safety record is being recovered: nothing is signed. */
  #held: boolean;

  constructor(
    private readonly chainId: string,
    seed: Uint8Array,
    state: SafetyState,
    private readonly unsafeTestSwitches: UnsafeTestSwitches = {},
    options: { heldAfterLostRecord?: boolean } = {},
  ) {
    this.#seed = seed;
    this.#state = structuredClone(state);
    this.#held = options.heldAfterLostRecord === true;
  }

  get state(): SafetyState {
    return structuredClone(this.#state);
  }

  /**
   * The proposal signed last, for a leader that checks on every proposal whether it restarted
   * inside its own round: a copy of that one record, not of the whole state (which holds a
   * certificate with every timeout).
   */
  get lastProposal(): SignedProposalRecord | null {
    const last = this.#state.lastProposal;
    return last === null ? null : { ...last };
  }

  get held(): boolean {
    return this.#held;
  }

  /**
   * Ends the hold of a lost record: nothing is signed in a round up to `floor.round`, where this
   * validator may have signed before the loss, and the lock is at least `floor.lockedRound`.
   * The returned state must be durable before the next signature (the core persists it in the
   * same step).
   */
  releaseHold(floor: RecoveredFloor): SafetyState {
    assert(this.#held, 'only a held safety module is released');
    assert(Number.isSafeInteger(floor.round) && floor.round >= 0 && Number.isSafeInteger(floor.lockedRound) && floor.lockedRound <= floor.round, 'a recovered floor is a round with a lock at or below it');
    this.#held = false;
    this.#state = {
      ...this.#state,
      lastVotedRound: Math.max(this.#state.lastVotedRound, floor.round),
      highestTimeoutRound: Math.max(this.#state.highestTimeoutRound, floor.round),
      lockedRound: Math.max(this.#state.lockedRound, floor.lockedRound),
    };
    return this.state;
  }

  signVote(request: VoteRequest): SafetyDecision {
    if (this.#held) return { ok: false, refusal: 'held-after-lost-record' };
    const last = this.#state.lastVote;
    if (last !== null && last.round === request.round) {
      if (last.blockHash === request.blockHash && last.height === request.height) return this.repeat(last.signature);
      return { ok: false, refusal: 'already-voted-for-another-block' };
    }
    if (!isAboveLastVotedRound(request.round, this.#state.lastVotedRound)) return { ok: false, refusal: 'round-not-above-last-voted' };
    if (!isSafeToVote(request.round, request.qcRound, request.timeoutCertificate) && this.unsafeTestSwitches.skipSafeToVoteRule !== true) {
      return { ok: false, refusal: 'not-safe-to-vote' };
    }
    const vote = { blockHash: request.blockHash, height: request.height, round: request.round };
    const signature = toHex(signVote(this.chainId, this.#seed, vote, this.#state.epoch));
    this.#state = {
      ...this.#state,
      lastVotedRound: request.round,
      lockedRound: Math.max(this.#state.lockedRound, request.qcRound),
      lastVote: { ...vote, signature },
    };
    return { ok: true, signature, state: this.state, repeated: false };
  }

  /** One timeout per round: asked again for the same round, it re-serves the first signature. */
  signTimeout(round: number, highQc: ParentCertificate, tcRound: number): SafetyDecision & { highQc?: ParentCertificate } {
    if (this.#held) return { ok: false, refusal: 'held-after-lost-record' };
    const last = this.#state.lastTimeout;
    if (last !== null && last.round === round) return { ...this.repeat(last.signature), highQc: last.highQc };
    if (round < this.#state.lastVotedRound) return { ok: false, refusal: 'round-below-last-voted' };
    const qcRound = certificateRound(highQc);
    if (!isSafeToTimeout(round, qcRound, tcRound, this.#state.lockedRound)) return { ok: false, refusal: 'not-safe-to-timeout' };
    const signature = toHex(signFor('timeout', this.chainId, this.#seed, timeoutDigest(round, qcRound), this.#state.epoch));
    this.#state = {
      ...this.#state,
      lastVotedRound: Math.max(this.#state.lastVotedRound, round),
      lockedRound: Math.max(this.#state.lockedRound, qcRound),
      highestTimeoutRound: Math.max(this.#state.highestTimeoutRound, round),
      lastTimeout: { round, highQcRound: qcRound, highQc, signature },
    };
    return { ok: true, signature, state: this.state, repeated: false, highQc };
  }

  /** A leader proposes once per round; a restarted leader re-serves its proposal, never a second one. */
  signProposal(round: number, digest: Uint8Array): SafetyDecision {
    if (this.#held) return { ok: false, refusal: 'held-after-lost-record' };
    const digestHex = toHex(digest);
    const last = this.#state.lastProposal;
    if (last !== null && last.round === round) {
      return last.digest === digestHex ? this.repeat(last.signature) : { ok: false, refusal: 'already-proposed-another-block' };
    }
    if (last !== null && round < last.round) return { ok: false, refusal: 'proposal-round-not-increasing' };
    // A leader proposes before it votes in its round; a round already voted or timed out in (as
    // the stores showed after a rollback, core.ts safetyAtLeastStores) gets no new proposal.
    if (round <= this.#state.lastVotedRound) return { ok: false, refusal: 'proposal-round-already-signed' };
    const signature = toHex(signFor('proposal', this.chainId, this.#seed, digest, this.#state.epoch));
    this.#state = { ...this.#state, lastProposal: { round, digest: digestHex, signature } };
    return { ok: true, signature, state: this.state, repeated: false };
  }

  /**
   * Moves to a later epoch: its rounds start again at 1, and its signatures carry its own domain
   * tag, so nothing signed in an earlier epoch can count in it. Never moves backwards.
   */
  enterEpoch(epoch: number): SafetyState {
    if (epoch > this.#state.epoch) this.#state = initialSafetyState(epoch);
    return this.state;
  }

  private repeat(signature: string): SafetyDecision {
    return { ok: true, signature, state: this.state, repeated: true };
  }
}

/** How far a safety record has got within its epoch: the highest round it signed anything in or locked on. */
function safetyProgress(state: SafetyState): number {
  return Math.max(state.lastVotedRound, state.highestTimeoutRound, state.lockedRound, state.lastProposal?.round ?? 0);
}

/**
 * The later of the consensus store's safety record and its copy kept outside the store
 * (docs/consensus.md section 3, "A rolled-back store"). Both are written before any signature
 * leaves, so the one further on is the true record and the other was cut short (a truncated
 * log loses the store's latest writes but not the copy's); its rounds are raised to the other's
 * too, so neither can move the floor down. `storeBehind` says the store lost writes the copy kept;
 * `storeEpochStale` that it lost them back across a validator-set hand-over, so the blocks and
 * certificates it still holds belong to an epoch the copy has left and must not be read as the
 * copy's (the caller drops them, as the core drops a stale epoch's).
 */
export function laterSafetyRecord(
  stored: SafetyState | undefined,
  copy: SafetyState | undefined,
): { record: SafetyState | undefined; storeBehind: boolean; storeEpochStale: boolean } {
  if (copy === undefined) return { record: stored, storeBehind: false, storeEpochStale: false };
  if (stored === undefined) return { record: copy, storeBehind: true, storeEpochStale: false };
  if (copy.epoch !== stored.epoch) {
    return copy.epoch > stored.epoch ? { record: copy, storeBehind: true, storeEpochStale: true } : { record: stored, storeBehind: false, storeEpochStale: false };
  }
  const storeBehind = safetyProgress(copy) > safetyProgress(stored);
  const [later, other] = storeBehind ? [copy, stored] : [stored, copy];
  const raised = {
    ...later,
    // A round the other record proposed in counts as signed in (as safetyAtLeastStores counts it).
    lastVotedRound: Math.max(later.lastVotedRound, other.lastVotedRound, (other.lastProposal?.round ?? 0) > (later.lastProposal?.round ?? 0) ? other.lastProposal!.round : 0),
    lockedRound: Math.max(later.lockedRound, other.lockedRound),
    highestTimeoutRound: Math.max(later.highestTimeoutRound, other.highestTimeoutRound),
  };
  return { record: raised, storeBehind, storeEpochStale: false };
}
