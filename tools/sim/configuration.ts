/**
 * The simulated cluster's fixed configuration: chain, genesis and validator keys, the
 * ConsensusTimings and ConsensusLimits the simulator runs the core with (chosen for a simulated
 * WAN, not the production defaults), and the liveness bound derived from them, following the
 * liveness argument of Jolteon / DiemBFT v4 (docs/consensus.md, section 5).
 */
import { keyPairFromSeed, type KeyPair } from '../../ledger/crypto/ed25519.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { genesisHash } from '../../ledger/model/genesis.js';
import { ValidatorSet } from '../../ledger/model/validator-set.js';
import type { ConsensusLimits, ConsensusTimings } from '../../consensus/types.js';
import { CALM_LINKS, type LinkConditions } from './network.js';
import { faultsTolerated, PLANNED_CLOCK_SKEW_MAX_MS, validatorName } from './scenarios.js';

export const SIM_CHAIN_ID = 'custodia-sim';
/** Virtual time 0; block timestamps and the core's clock are this plus the virtual milliseconds. */
export const SIM_GENESIS_TIME_MS = 1_700_000_000_000;

/**
 * Timings for the simulated network (one-way delays of 30 to 200 ms when calm). A healthy round
 * is a proposal and its votes, at most 2 x 200 ms, plus at most idleProposalDelayMs when the
 * leader has nothing to propose: at most 650 ms, so the 1 s base timeout never fires in calm
 * conditions. Doubling reaches the 8 s cap after three rounds without a commit; the cap keeps
 * an outage from stretching rounds beyond what the liveness bound below allows.
 */
export const SIM_TIMINGS: ConsensusTimings = Object.freeze({
  roundTimeoutBaseMs: 1000,
  roundTimeoutMaxMs: 8000,
  backoffFactor: 2,
  idleProposalDelayMs: 250,
  timeoutRebroadcastMs: 1000,
  syncRequestTimeoutMs: 500,
  clockSkewMaxMs: PLANNED_CLOCK_SKEW_MAX_MS,
  // Above the clock-skew scenario's worst (a clock 5 x the skew off, seeing honest blocks from
  // half the skew the other way, plus delays), so a skewed validator still votes for honest blocks.
  timestampLagMaxMs: 10 * PLANNED_CLOCK_SKEW_MAX_MS,
});

/**
 * Limits small enough that the simulator reaches them: a validator a few blocks behind falls
 * out of its peers' recentCommittedBlocksKept window and must catch up from a peer's ledger,
 * in responses of blocksPerResponseMax blocks, so both sync paths run in ordinary scenarios.
 */
export const SIM_LIMITS: ConsensusLimits = Object.freeze({
  payloadBytesMax: 64 * 1024,
  futureRoundsMax: 200,
  pendingBlocksMax: 256,
  recentCommittedBlocksKept: 4,
  syncRequestsMax: 4,
  blocksPerResponseMax: 4,
  pendingProposalsMax: 16,
  bufferedVotesPerRoundMax: 64,
});

/**
 * Block records a validator may hold on disk: the uncommitted tree (pendingBlocksMax) plus
 * abandoned forks above the committed height that pruning has not reached yet. More means the
 * core persists blocks it never lets go of.
 */
export const DISK_BLOCKS_MAX = 2 * SIM_LIMITS.pendingBlocksMax;

/**
 * How long after the last fault heals every honest validator must commit a new block.
 *
 * At the heal, honest validators may be spread over rounds, with timeouts backed off to
 * roundTimeoutMaxMs. With delay = the largest calm one-way delay:
 * 1. Within one maximal timeout every honest validator times out in its round; timeouts are
 *    re-broadcast every timeoutRebroadcastMs and carry the highest TC, so all honest validators
 *    reach the highest honest round and form its TC. Twice that covers a laggard that arrives
 *    just after a TC formed without it: 2 x (max + rebroadcast + 2 x delay).
 * 2. A commit needs three consecutive rounds with honest leaders (docs/consensus.md, section
 *    5). With rotation r mod n, the first such window starts within n rounds. A faulty
 *    validator spoils the round it leads and the round before it (it is that round's vote
 *    collector), each at the cost of one maximal timeout: 2f x (max + 2 x delay). Every honest
 *    round costs at most 2 x delay + idleProposalDelayMs.
 * 3. A validator that was down catches up by block sync or from a peer's ledger, each request
 *    answered or retried within syncRequestTimeoutMs: allow six.
 * With the timings above that is 41.2 s for n = 4, 59.95 s for n = 7 and 78.7 s for n = 10.
 * Over the 300-seed suite the slowest recoveries took 23.6 s (n = 4: a Byzantine validator
 * spoiling two rounds at the 8 s cap, after a round already backed off), 11.4 s (n = 7) and
 * 14.7 s (n = 10): the bound is loose enough not to flake and tight enough to catch a stall.
 */
export function livenessBoundMs(validators: number, timings: ConsensusTimings = SIM_TIMINGS, links: LinkConditions = CALM_LINKS): number {
  const delay = links.delayBaseMaximumMs + links.jitterMs;
  const synchronise = 2 * (timings.roundTimeoutMaxMs + timings.timeoutRebroadcastMs + 2 * delay);
  const faultyRounds = 2 * faultsTolerated(validators) * (timings.roundTimeoutMaxMs + 2 * delay);
  const honestRounds = validators * (2 * delay + timings.idleProposalDelayMs);
  const catchUp = 6 * timings.syncRequestTimeoutMs;
  return synchronise + faultyRounds + honestRounds + catchUp;
}


const keyCache = new Map<number, KeyPair>();

/** Validator keys are fixed per index (not per seed): deriving keys costs more than a short run. */
export function simValidatorKey(index: number): KeyPair {
  let key = keyCache.get(index);
  if (key === undefined) {
    key = keyPairFromSeed(sha256(utf8(`custodia sim validator ${index}`)));
    keyCache.set(index, key);
  }
  return key;
}

export interface SimGenesis {
  chainId: string;
  genesisHash: string;
  validators: ValidatorSet;
  keys: KeyPair[];
}

export function simGenesis(validators: number): SimGenesis {
  const keys = Array.from({ length: validators }, (_, index) => simValidatorKey(index));
  const members = keys.map((key, index) => ({ id: validatorName(index), publicKey: toHex(key.publicKey) }));
  const created = ValidatorSet.create(members);
  if (!created.ok) throw new Error(`simulator validator set: ${created.message}`);
  const hash = genesisHash({ chainId: SIM_CHAIN_ID, genesisTime: SIM_GENESIS_TIME_MS, validators: members, consortium: {} });
  return { chainId: SIM_CHAIN_ID, genesisHash: hash, validators: created.set, keys };
}
