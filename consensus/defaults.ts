/** Default limits and timings of the consensus core, and the safety state of a fresh validator. */
import type { ConsensusLimits, ConsensusTimings, SafetyState } from './types.js';

export const DEFAULT_LIMITS: ConsensusLimits = Object.freeze({
  payloadBytesMax: 16 * 1024 * 1024,
  futureRoundsMax: 1000,
  pendingBlocksMax: 4096,
  recentCommittedBlocksKept: 256,
  syncRequestsMax: 4,
  blocksPerResponseMax: 64,
  pendingProposalsMax: 64,
  bufferedVotesPerRoundMax: 128,
});

export const DEFAULT_TIMINGS: ConsensusTimings = Object.freeze({
  roundTimeoutBaseMs: 3000,
  roundTimeoutMaxMs: 30_000,
  backoffFactor: 1.5,
  // The heartbeat of an idle chain (docs/consensus.md "Idle chains"): a block only when there is work, or this often.
  idleProposalDelayMs: 30_000,
  timeoutRebroadcastMs: 1000,
  syncRequestTimeoutMs: 2000,
  clockSkewMaxMs: 5000,
  // Honest clocks agree within clockSkewMaxMs, so an honest block arrives at most that plus the
  // network's delay behind a voter's clock: six times the skew leaves room for slow links and loaded hosts.
  timestampLagMaxMs: 30_000,
});

export function initialSafetyState(epoch = 0): SafetyState {
  return { epoch, lastVotedRound: 0, lockedRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, lastProposal: null };
}
