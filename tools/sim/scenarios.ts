/**
 * Scenario kinds and how a seed turns into one concrete run plan (which faults, when, on whom).
 * Each kind exercises one fault family, so a failing seed points at a cause. Kinds rotate with
 * the seed (seed 1 is the first kind, seed 2 the next, ...) so that any run of a few hundred
 * consecutive seeds covers every kind several times; everything else (timings, victims,
 * partitions, probabilities) is drawn from the seed's `scenario` stream.
 *
 * Every plan has a heal time. By then network faults are over, partitions are gone and crashed
 * validators are back; Byzantine validators keep misbehaving, which the protocol must tolerate
 * for ever (at most f of them), so for Byzantine kinds the heal time only marks where the
 * liveness check starts.
 */
import { BYZANTINE_KINDS, type ByzantineKind } from './byzantine.js';
import { CALM_LINKS, type LinkConditions } from './network.js';
import { VALIDATOR_SET_CHANGE_NOTICE_BLOCKS } from '../../ledger/model/validator-set.js';
import { Prng } from './prng.js';

export const NETWORK_KINDS = [
  'baseline',
  'lossy',
  'duplicating',
  'reordering',
  'partition-halves',
  'partition-isolate',
  'partition-one-way',
  'crash-restart',
  'crash-after-persist',
  'clock-skew',
  'late-bodies',
  'consensus-store-lost',
  /**
   * The consensus store loses its latest writes at a crash (a truncated log) while the ledger
   * and the safety record's copy stay (docs/consensus.md section 3, "A rolled-back store").
   */
  'consensus-store-rolled-back',
] as const;

/** Kinds with Byzantine validators: one per behaviour, and `mixed`, where each has its own and links and crashes add to it. */
export const BYZANTINE_SCENARIO_KINDS = [...BYZANTINE_KINDS, 'mixed'] as const;

export const SCENARIO_KINDS = [...NETWORK_KINDS, ...BYZANTINE_SCENARIO_KINDS] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export function isScenarioKind(text: string): text is ScenarioKind {
  return (SCENARIO_KINDS as readonly string[]).includes(text);
}

export function isByzantineKind(kind: ScenarioKind): kind is (typeof BYZANTINE_SCENARIO_KINDS)[number] {
  return (BYZANTINE_SCENARIO_KINDS as readonly string[]).includes(kind);
}

export interface PartitionPlan {
  startMs: number;
  healMs: number;
  shape: 'split' | 'one-way';
  /** Endpoint names; for one-way, A's messages to B are lost. */
  groupA: string[];
  groupB: string[];
}

export interface CrashPlan {
  atMs: number;
  endpoint: string;
  /** For an after-persist crash: how long after it actually strikes. */
  downtimeMs: number;
  /** Crash at the first safety write after `atMs`, before the sends that follow it. */
  afterPersist: boolean;
  /**
   * What the crash does to the consensus store (the ledger always stays): `lost`, so the restart
   * must recover its safety record from peers; `rolled-back` to what it held some writes earlier
   * (a truncated log, a restored backup), so the restart must raise its safety state to the
   * certificates it still holds before it signs.
   */
  consensusStore: 'kept' | 'lost' | 'rolled-back';
  /** For `rolled-back`: how many of its latest writes the store loses (1 to SIM_DISK_SNAPSHOTS_KEPT). */
  rolledBackWrites: number;
}

export interface ScenarioPlan {
  seed: number;
  kind: ScenarioKind;
  validators: number;
  /** Validator indexes that are Byzantine in this run (empty for network kinds). */
  faulty: number[];
  /** What each of them does, in the order of `faulty`. */
  behaviours: ByzantineKind[];
  calmLinks: LinkConditions;
  /**
   * Each validator's clock minus the true (virtual) time. Within half of clockSkewMaxMs of the
   * truth, so any two honest clocks are within clockSkewMaxMs of each other, as NTP keeps them.
   */
  clockOffsetsMs: number[];
  /** Offsets between faultStartMs and healMs, when the kind breaks clocks. */
  faultyClockOffsetsMs: number[] | null;
  /** Link conditions between faultStartMs and healMs, if the kind degrades links. */
  faultyLinks: LinkConditions | null;
  /**
   * Between faultStartMs and healMs, transaction relays (and only they) are also lost or held
   * back, on top of the link conditions: proposals then name bodies their receivers do not hold
   * yet, which they must fetch.
   */
  lateRelays: { lossProbability: number; delayProbability: number; delayMaximumMs: number } | null;
  faultStartMs: number;
  healMs: number;
  partitions: PartitionPlan[];
  crashes: CrashPlan[];
  /** Mean gap between client submissions. */
  workloadGapMeanMs: number;
  /**
   * A validator-set hand-over the ledger schedules (the same members, a new epoch), or null.
   * Drawn from a stream of its own, so the other draws of a seed stay as they were.
   */
  handOver: { approvedAtHeight: number; startHeight: number } | null;
}

/** SIM_TIMINGS.clockSkewMaxMs (configuration.ts) is this value: honest clocks stay within it of each other. */
export const PLANNED_CLOCK_SKEW_MAX_MS = 1000;

/** The simulated consensus store can roll back at most this many writes (tools/sim/node.ts SimDisk). */
export const SIM_DISK_SNAPSHOTS_KEPT = 16;

export function validatorName(index: number): string {
  return `v${index}`;
}

export function twinName(index: number): string {
  return `v${index}+twin`;
}

export function faultsTolerated(validators: number): number {
  return Math.floor((validators - 1) / 3);
}

/** The kinds a run with `byzantine` faulty validators may draw: Byzantine kinds need at least one. */
export function kindsFor(byzantine: number): readonly ScenarioKind[] {
  return byzantine >= 1 ? SCENARIO_KINDS : NETWORK_KINDS;
}

export function kindForSeed(seed: number, byzantine: number): ScenarioKind {
  const kinds = kindsFor(byzantine);
  const index = (((seed - 1) % kinds.length) + kinds.length) % kinds.length;
  return kinds[index]!;
}

/** Half the runs hand over to a new epoch, at a height that falls before, inside or after the fault window. */
function planHandOver(prng: Prng): ScenarioPlan['handOver'] {
  if (prng.intBetween(0, 1) === 0) return null;
  const approvedAtHeight = prng.intBetween(1, 8);
  return { approvedAtHeight, startHeight: approvedAtHeight + VALIDATOR_SET_CHANGE_NOTICE_BLOCKS + prng.intBetween(0, 5) };
}

export function planScenario(options: { seed: number; validators: number; byzantine: number; kind?: ScenarioKind }): ScenarioPlan {
  const { seed, validators, byzantine } = options;
  const kind = options.kind ?? kindForSeed(seed, byzantine);
  const prng = Prng.fromSeed(seed, 'scenario');
  const names = Array.from({ length: validators }, (_, index) => validatorName(index));
  const faultStartMs = prng.intBetween(1000, 3000);
  const plan: ScenarioPlan = {
    seed,
    kind,
    validators,
    faulty: [],
    behaviours: [],
    calmLinks: CALM_LINKS,
    clockOffsetsMs: names.map(() => prng.intBetween(-PLANNED_CLOCK_SKEW_MAX_MS / 2, PLANNED_CLOCK_SKEW_MAX_MS / 2)),
    faultyClockOffsetsMs: null,
    faultyLinks: null,
    lateRelays: null,
    faultStartMs,
    healMs: faultStartMs + prng.intBetween(4000, 9000),
    partitions: [],
    crashes: [],
    workloadGapMeanMs: prng.intBetween(30, 150),
    handOver: planHandOver(Prng.fromSeed(seed, 'hand-over')),
  };
  switch (kind) {
    case 'baseline':
      plan.healMs = faultStartMs;
      break;
    case 'lossy':
      plan.faultyLinks = { ...CALM_LINKS, lossProbability: prng.intBetween(5, 35) / 100 };
      break;
    case 'duplicating':
      plan.faultyLinks = { ...CALM_LINKS, duplicateProbability: prng.intBetween(20, 60) / 100 };
      break;
    case 'reordering':
      plan.faultyLinks = { ...CALM_LINKS, reorderProbability: prng.intBetween(20, 50) / 100, reorderDelayMaximumMs: prng.intBetween(200, 1500) };
      break;
    case 'partition-halves':
    case 'partition-isolate':
    case 'partition-one-way':
      plan.partitions = partitionEpisodes(prng, kind, names, faultStartMs, plan.healMs);
      break;
    case 'crash-restart':
    case 'crash-after-persist':
      plan.crashes = crashPlans(prng, names, faultStartMs, plan.healMs, prng.intBetween(1, 4), kind === 'crash-after-persist' ? 1 : 0);
      break;
    case 'consensus-store-lost':
      // Often right after a safety write: the signature just made is what the lost record held. A
      // validator without its record counts as faulty until it has recovered, so at most f lose theirs.
      plan.crashes = crashPlans(prng, prng.sample(names, faultsTolerated(validators)), faultStartMs, plan.healMs, prng.intBetween(1, 3), 0.5, { probability: 1, fault: 'lost' });
      break;
    case 'consensus-store-rolled-back':
      // Right after a safety write, often: the record rolls back past the signature just made.
      plan.crashes = crashPlans(prng, names, faultStartMs, plan.healMs, prng.intBetween(1, 3), 0.5, { probability: 1, fault: 'rolled-back' });
      break;
    case 'late-bodies':
      // Consensus traffic a little lossy, relays much worse: 'missing-transactions' and fetching become the norm.
      plan.faultyLinks = { ...CALM_LINKS, lossProbability: prng.intBetween(0, 10) / 100 };
      plan.lateRelays = { lossProbability: prng.intBetween(10, 40) / 100, delayProbability: prng.intBetween(30, 80) / 100, delayMaximumMs: prng.intBetween(300, 2000) };
      break;
    case 'clock-skew': {
      // Up to f clocks off by two to five times the tolerated skew, ahead or behind, until the heal corrects them.
      const skewed = prng.sample(Array.from(names.keys()), prng.intBetween(1, faultsTolerated(validators)));
      plan.faultyClockOffsetsMs = plan.clockOffsetsMs.map((offset, index) =>
        skewed.includes(index) ? (prng.chance(0.5) ? 1 : -1) * prng.intBetween(2 * PLANNED_CLOCK_SKEW_MAX_MS, 5 * PLANNED_CLOCK_SKEW_MAX_MS) : offset,
      );
      break;
    }
    default: {
      plan.faulty = prng.sample(Array.from(names.keys()), Math.min(byzantine, validators)).sort((a, b) => a - b);
      plan.behaviours = plan.faulty.map(() => (kind === 'mixed' ? prng.pick(BYZANTINE_KINDS.filter((behaviour) => behaviour !== 'twins')) : kind));
      if (kind === 'mixed') {
        // Everything at once: each Byzantine validator its own attack, degraded links, and honest validators crashing.
        plan.faultyLinks = {
          ...CALM_LINKS,
          lossProbability: prng.intBetween(0, 15) / 100,
          duplicateProbability: prng.intBetween(0, 30) / 100,
          reorderProbability: prng.intBetween(0, 30) / 100,
          reorderDelayMaximumMs: prng.intBetween(100, 1000),
        };
        const honest = names.filter((_, index) => !plan.faulty.includes(index));
        plan.crashes = crashPlans(prng, honest, faultStartMs, plan.healMs, prng.intBetween(0, 2), 0.5);
      }
      if (kind === 'forged-sync') {
        // Forged answers only matter to validators that ask: make honest ones fall behind.
        const honest = names.filter((_, index) => !plan.faulty.includes(index));
        plan.crashes = crashPlans(prng, honest, faultStartMs, plan.healMs, prng.intBetween(1, 3), 0);
        plan.faultyLinks = { ...CALM_LINKS, lossProbability: prng.intBetween(5, 15) / 100 };
      }
      if (kind === 'twins') {
        const honest = names.filter((_, index) => !plan.faulty.includes(index));
        const shuffled = prng.shuffle(honest);
        const cut = prng.intBetween(1, Math.max(1, honest.length - 1));
        plan.partitions = [
          {
            startMs: 0,
            healMs: plan.healMs,
            shape: 'split',
            groupA: [...plan.faulty.map(validatorName), ...shuffled.slice(0, cut)],
            groupB: [...plan.faulty.map(twinName), ...shuffled.slice(cut)],
          },
        ];
      }
      break;
    }
  }
  return plan;
}

function crashPlans(
  prng: Prng,
  victims: readonly string[],
  startMs: number,
  healMs: number,
  count: number,
  afterPersistProbability: number,
  storeFault: { probability: number; fault: CrashPlan['consensusStore'] } = { probability: 0, fault: 'kept' },
): CrashPlan[] {
  const crashes: CrashPlan[] = [];
  for (let crash = 0; crash < count; crash++) {
    // Victims are drawn independently: sometimes one validator crashes twice, sometimes more than f are down at once.
    const atMs = prng.intBetween(startMs, healMs - 1000);
    const crash = { atMs, endpoint: prng.pick(victims), downtimeMs: prng.intBetween(200, 5000), afterPersist: prng.chance(afterPersistProbability) };
    // Drawn only where the kind damages stores, so every other kind's seeds draw as before.
    const consensusStore = storeFault.probability > 0 && prng.chance(storeFault.probability) ? storeFault.fault : 'kept';
    crashes.push({ ...crash, consensusStore, rolledBackWrites: consensusStore === 'rolled-back' ? prng.intBetween(1, SIM_DISK_SNAPSHOTS_KEPT) : 0 });
  }
  return crashes.sort((left, right) => left.atMs - right.atMs);
}

function partitionEpisodes(prng: Prng, kind: 'partition-halves' | 'partition-isolate' | 'partition-one-way', names: readonly string[], startMs: number, healMs: number): PartitionPlan[] {
  const episodes = prng.intBetween(1, 2);
  const length = Math.floor((healMs - startMs) / episodes);
  const plans: PartitionPlan[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    const episodeStart = startMs + episode * length;
    // The last episode heals exactly at the heal time; earlier ones leave a calm gap before the next.
    const episodeHeal = episode === episodes - 1 ? healMs : episodeStart + prng.intBetween(Math.floor(length / 2), length - 100);
    const shuffled = prng.shuffle(names);
    let groupA: string[];
    if (kind === 'partition-isolate') groupA = shuffled.slice(0, 1);
    else if (kind === 'partition-halves') groupA = shuffled.slice(0, prng.intBetween(1, names.length - 1));
    else groupA = shuffled.slice(0, prng.chance(0.5) ? 1 : prng.intBetween(1, names.length - 1));
    const groupB = names.filter((name) => !groupA.includes(name));
    const oneWay = kind === 'partition-one-way';
    // One-way cuts go either way: a validator that cannot be heard, or one that cannot hear.
    const [senders, receivers] = oneWay && prng.chance(0.5) ? [groupB, groupA] : [groupA, groupB];
    plans.push({ startMs: episodeStart, healMs: episodeHeal, shape: oneWay ? 'one-way' : 'split', groupA: senders, groupB: receivers });
  }
  return plans;
}
