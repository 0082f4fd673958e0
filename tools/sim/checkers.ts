/**
 * The simulator's invariant checkers, fed on every step of every honest node:
 * - agreement: no two honest validators commit different blocks at one height;
 * - no honest validator signs two different votes, timeouts or proposals for one round of one
 *   validator-set epoch, across restarts (what Aptos' SafetyRules and CometBFT's privval exist
 *   to prevent; rounds restart at 1 in each epoch, under the epoch's own signing domain);
 * - commits are never revoked: each validator's committed chain only extends, one height at a
 *   time, each block certified and linked to the one before;
 * - data availability: no honest validator votes for, or commits, a block that references a
 *   transaction id nobody disseminated (a Byzantine leader's unknown ids): honest validators vote
 *   only once they hold every body, and a committed block's bodies must exist to be executed;
 * - liveness: once the last fault has healed (with at most f faulty validators), every honest
 *   validator commits a block above the highest height any honest validator had at that moment,
 *   within a bound (run.ts justifies the bound from the configured timings).
 * The checkers only read; they never steer the run. They take plain values so that tests can
 * feed them synthetic logs and watch them bite.
 */
import { blockHash } from '../../ledger/model/block.js';
import type { VoteData } from '../../ledger/model/certificate.js';
import type { CommittedBlock } from '../../consensus/messages.js';

/** Enough to diagnose a run; a broken core would otherwise fill memory with repeats. */
export const VIOLATIONS_KEPT_MAX = 50;

export class SafetyCheckers {
  readonly violations: string[] = [];
  #violationCount = 0;
  /** height -> first honest commit seen there. */
  readonly #agreedBlocks = new Map<number, { hash: string; validator: string }>();
  /** validator -> its committed hashes, index = height (index 0 is genesis). */
  readonly #chains = new Map<string, string[]>();
  /**
   * Per validator, the next height a restart may hand over again. Blocks committed above the
   * height its ledger had executed when it restarted were only queued for execution in the lost
   * process (waiting for bodies), so the restarted core rightly hands them over again, once and
   * in order; the same block then is a replay, not a violation. A different block is still a
   * revocation, and a second replay is still a re-commit.
   */
  readonly #replayNext = new Map<string, number>();
  readonly #votes = new Map<string, string>();
  readonly #timeouts = new Map<string, number>();
  readonly #proposals = new Map<string, string>();
  /** Transaction ids some validator relayed with their body. */
  readonly #disseminated = new Set<string>();
  /** Blocks seen on the wire that reference an id not disseminated. */
  readonly #unavailableBlocks = new Set<string>();

  constructor(readonly genesisHash: string) {}

  /** A transaction's body was relayed (by an honest or a Byzantine validator): its id is available. */
  observeDisseminated(id: string): void {
    this.#disseminated.add(id);
  }

  /**
   * A proposed block and the ids its payload references. Returns true the first time a block is
   * seen that references an id nobody disseminated; votes for it are then violations.
   */
  observeBlockReferences(hash: string, ids: readonly string[]): boolean {
    if (this.#unavailableBlocks.has(hash) || ids.every((id) => this.#disseminated.has(id))) return false;
    this.#unavailableBlocks.add(hash);
    return true;
  }

  /** The ids of a block an honest validator committed: every one must have been disseminated. */
  observeCommittedReferences(nowMs: number, validator: string, height: number, hash: string, ids: readonly string[]): void {
    const unknown = ids.filter((id) => !this.#disseminated.has(id));
    if (unknown.length > 0) {
      this.report(nowMs, `unavailable commit: ${validator} committed ${short(hash)} at height ${height}, which references ${unknown.length} transaction id(s) nobody disseminated (${short(unknown[0]!)})`);
    }
  }

  get violationCount(): number {
    return this.#violationCount;
  }

  report(nowMs: number, message: string): void {
    this.#violationCount += 1;
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(`t=${nowMs} ${message}`);
  }

  committedHeight(validator: string): number {
    return (this.#chains.get(validator)?.length ?? 1) - 1;
  }

  observeRestart(validator: string, executedHeight: number): void {
    this.#replayNext.set(validator, executedHeight + 1);
  }

  /** Blocks an honest validator's core handed to its application, in output order. */
  observeCommit(nowMs: number, validator: string, blocks: readonly CommittedBlock[]): void {
    let chain = this.#chains.get(validator);
    if (chain === undefined) {
      chain = [this.genesisHash];
      this.#chains.set(validator, chain);
    }
    for (const committed of blocks) {
      const header = committed.block.header;
      const hash = blockHash(header);
      const height = header.height;
      const vote = committed.certificate.vote;
      if (vote.blockHash !== hash || vote.height !== height || vote.round !== header.round) {
        this.report(nowMs, `certificate: ${validator} committed block ${short(hash)} at height ${height} with a certificate for ${short(vote.blockHash)} (height ${vote.height}, round ${vote.round})`);
      }
      if (height < chain.length) {
        if (chain[height] !== hash) {
          this.report(nowMs, `revoked: ${validator} committed ${short(hash)} at height ${height} after having committed ${short(chain[height]!)} there`);
        } else if (height === this.#replayNext.get(validator)) {
          this.#replayNext.set(validator, height + 1);
        } else {
          this.report(nowMs, `re-committed: ${validator} was handed block ${short(hash)} at height ${height} again (its ledger is at ${chain.length - 1})`);
        }
        continue;
      }
      if (height > chain.length) {
        this.report(nowMs, `gap: ${validator} committed height ${height} while its ledger ends at ${chain.length - 1}`);
        return;
      }
      if (header.prevHash !== chain[height - 1]) {
        this.report(nowMs, `broken chain: ${validator} committed ${short(hash)} at height ${height} whose parent ${short(header.prevHash)} is not its block ${short(chain[height - 1]!)}`);
      }
      chain.push(hash);
      const agreed = this.#agreedBlocks.get(height);
      if (agreed === undefined) {
        this.#agreedBlocks.set(height, { hash, validator });
      } else if (agreed.hash !== hash) {
        this.report(nowMs, `agreement: ${validator} committed ${short(hash)} at height ${height} but ${agreed.validator} committed ${short(agreed.hash)}`);
      }
    }
  }

  /** A vote an honest validator signed (sent, or persisted as its last vote). */
  observeVote(nowMs: number, validator: string, epoch: number, vote: VoteData): void {
    const key = `${validator}|${epoch}|${vote.round}`;
    const content = `${vote.blockHash}|${vote.height}`;
    const previous = this.#votes.get(key);
    if (previous === undefined) {
      this.#votes.set(key, content);
      if (this.#unavailableBlocks.has(vote.blockHash)) {
        this.report(nowMs, `unavailable vote: ${validator} voted in round ${vote.round} for ${short(vote.blockHash)}, which references a transaction nobody disseminated`);
      }
    } else if (previous !== content) {
      this.report(nowMs, `double vote: ${validator} signed votes for ${short(previous)} and ${short(content)} in round ${vote.round}`);
    }
  }

  /** A timeout an honest validator signed; its signed content is (round, highQcRound). */
  observeTimeout(nowMs: number, validator: string, epoch: number, round: number, highQcRound: number): void {
    const key = `${validator}|${epoch}|${round}`;
    const previous = this.#timeouts.get(key);
    if (previous === undefined) this.#timeouts.set(key, highQcRound);
    else if (previous !== highQcRound) {
      this.report(nowMs, `double timeout: ${validator} signed timeouts for round ${round} with highQcRound ${previous} and ${highQcRound}`);
    }
  }

  /** A proposal an honest validator signed, named by its signed digest. */
  observeProposal(nowMs: number, validator: string, epoch: number, round: number, digest: string): void {
    const key = `${validator}|${epoch}|${round}`;
    const previous = this.#proposals.get(key);
    if (previous === undefined) this.#proposals.set(key, digest);
    else if (previous !== digest) {
      this.report(nowMs, `double proposal: ${validator} signed two different proposals in round ${round} (${short(previous)}, ${short(digest)})`);
    }
  }
}

export interface LivenessVerdict {
  satisfied: boolean;
  /** Null while satisfied or still within the bound. */
  failure: string | null;
}

/**
 * After the mark (the moment the last fault healed), every honest validator must commit above
 * the highest height any honest validator had then: new blocks, not just catch-up.
 */
export class LivenessChecker {
  #markMs: number | null = null;
  #targetHeight = 0;
  readonly #reachedAtMs = new Map<string, number>();

  constructor(
    readonly honestValidators: readonly string[],
    readonly boundMs: number,
  ) {}

  get markMs(): number | null {
    return this.#markMs;
  }

  get targetHeight(): number {
    return this.#targetHeight;
  }

  get deadlineMs(): number | null {
    return this.#markMs === null ? null : this.#markMs + this.boundMs;
  }

  mark(nowMs: number, committedHeights: ReadonlyMap<string, number>): void {
    this.#markMs = nowMs;
    let highest = 0;
    for (const validator of this.honestValidators) highest = Math.max(highest, committedHeights.get(validator) ?? 0);
    this.#targetHeight = highest + 1;
    this.#reachedAtMs.clear();
    for (const validator of this.honestValidators) this.observeHeight(nowMs, validator, committedHeights.get(validator) ?? 0);
  }

  observeHeight(nowMs: number, validator: string, committedHeight: number): void {
    if (this.#markMs === null || this.#reachedAtMs.has(validator)) return;
    if (!this.honestValidators.includes(validator)) return;
    if (committedHeight >= this.#targetHeight) this.#reachedAtMs.set(validator, nowMs);
  }

  /** How long after the mark the last honest validator reached the target; null until all have. */
  get recoveryMs(): number | null {
    if (this.#markMs === null || !this.satisfied()) return null;
    let latest = this.#markMs;
    for (const reachedAt of this.#reachedAtMs.values()) latest = Math.max(latest, reachedAt);
    return latest - this.#markMs;
  }

  satisfied(): boolean {
    return this.#markMs !== null && this.honestValidators.every((validator) => this.#reachedAtMs.has(validator));
  }

  /** The verdict at `nowMs`; a failure once the deadline has passed without every honest validator committing. */
  verdict(nowMs: number, committedHeights: ReadonlyMap<string, number>): LivenessVerdict {
    if (this.satisfied()) return { satisfied: true, failure: null };
    if (this.#markMs === null) return { satisfied: false, failure: nowMs > 0 ? 'the run ended before the faults healed' : null };
    if (nowMs < this.#markMs + this.boundMs) return { satisfied: false, failure: null };
    const missing = this.honestValidators
      .filter((validator) => !this.#reachedAtMs.has(validator))
      .map((validator) => `${validator} at height ${committedHeights.get(validator) ?? 0}`);
    return {
      satisfied: false,
      failure: `no new commit within ${this.boundMs} ms after the faults healed at t=${this.#markMs}: target height ${this.#targetHeight}; ${missing.join(', ')}`,
    };
  }
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
