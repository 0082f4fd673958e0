/**
 * Scenario plans (a pure function of the seed) and, for every scenario kind, a run that shows
 * the kind really exercised its fault and stayed safe and live.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../tools/sim/run.js';
import { BYZANTINE_KINDS } from '../../../tools/sim/byzantine.js';
import { VALIDATOR_SET_CHANGE_NOTICE_BLOCKS } from '../../../ledger/model/validator-set.js';
import { isByzantineKind, kindForSeed, kindsFor, NETWORK_KINDS, planScenario, SCENARIO_KINDS, type ScenarioKind } from '../../../tools/sim/scenarios.js';

describe('scenario plans', () => {
  it('rotate through every kind with the seed, and through network kinds only without Byzantine validators', () => {
    expect(new Set(Array.from({ length: SCENARIO_KINDS.length }, (_, index) => kindForSeed(index + 1, 1)))).toEqual(new Set(SCENARIO_KINDS));
    expect(kindsFor(0)).toEqual(NETWORK_KINDS);
    for (let seed = 1; seed <= 40; seed++) expect(NETWORK_KINDS).toContain(kindForSeed(seed, 0));
    expect(SCENARIO_KINDS).toHaveLength(NETWORK_KINDS.length + BYZANTINE_KINDS.length + 1);
  });

  it('plan a validator-set hand-over in some runs, always with the notice the contracts require', () => {
    const plans = Array.from({ length: 200 }, (_, index) => planScenario({ seed: index + 1, validators: 4, byzantine: 1 }));
    const handOvers = plans.flatMap((plan) => (plan.handOver === null ? [] : [plan.handOver]));
    expect(handOvers.length).toBeGreaterThan(50);
    expect(handOvers.length).toBeLessThan(150);
    for (const handOver of handOvers) expect(handOver.startHeight).toBeGreaterThanOrEqual(handOver.approvedAtHeight + VALIDATOR_SET_CHANGE_NOTICE_BLOCKS);
  });

  it('are a pure function of the seed, heal every fault by the heal time, and pick at most the requested Byzantine validators', () => {
    for (let seed = 1; seed <= 3 * SCENARIO_KINDS.length; seed++) {
      const plan = planScenario({ seed, validators: 7, byzantine: 2 });
      expect(planScenario({ seed, validators: 7, byzantine: 2 })).toEqual(plan);
      for (const partition of plan.partitions) {
        expect(partition.startMs).toBeLessThan(partition.healMs);
        expect(partition.healMs).toBeLessThanOrEqual(plan.healMs);
        expect(partition.groupA.length).toBeGreaterThan(0);
        expect(partition.groupB.length).toBeGreaterThan(0);
      }
      for (const crash of plan.crashes) expect(crash.atMs).toBeLessThan(plan.healMs);
      expect(plan.clockOffsetsMs).toHaveLength(7);
      for (const offset of plan.clockOffsetsMs) expect(Math.abs(offset)).toBeLessThanOrEqual(500);
      if (isByzantineKind(plan.kind)) {
        expect(plan.faulty).toHaveLength(2);
        expect(plan.behaviours).toHaveLength(2);
        if (plan.kind !== 'mixed') expect(plan.behaviours).toEqual([plan.kind, plan.kind]);
        else expect(plan.behaviours).not.toContain('twins');
      } else {
        expect(plan.faulty).toEqual([]);
        expect(plan.behaviours).toEqual([]);
      }
    }
  });

  it('put each twin on the other side of the partition from its sibling', () => {
    const plan = planScenario({ seed: 1, validators: 10, byzantine: 3, kind: 'twins' });
    const [partition] = plan.partitions;
    expect(plan.faulty).toHaveLength(3);
    for (const index of plan.faulty) {
      expect(partition!.groupA).toContain(`v${index}`);
      expect(partition!.groupB).toContain(`v${index}+twin`);
    }
  });
});

/** What each kind must visibly have done in a run, so that no kind is silently a no-op. */
const EXERCISED: Record<ScenarioKind, (result: ReturnType<typeof runScenario>) => boolean> = {
  baseline: (result) => result.counters.delivered > 0 && result.counters.dropped.loss + result.counters.dropped.partition === 0,
  lossy: (result) => result.counters.dropped.loss > 0,
  duplicating: (result) => result.counters.duplicated > 0 && (result.rejections.duplicate ?? 0) > 0,
  reordering: (result) => result.trace!.some((line) => line.includes('links reordering')),
  'partition-halves': (result) => result.counters.dropped.partition > 0,
  'partition-isolate': (result) => result.counters.dropped.partition > 0,
  'partition-one-way': (result) => result.trace!.some((line) => line.includes('partition one-way')) && result.counters.dropped.partition > 0,
  'crash-restart': (result) => result.counters.crashes > 0 && result.counters.restarts === result.counters.crashes,
  'crash-after-persist': (result) => result.trace!.some((line) => / crash-after-persist v\d+$/.test(line)) && result.counters.restarts > 0,
  equivocation: (result) => (result.rejections.equivocation ?? 0) > 0,
  'double-vote': (result) => (result.rejections.equivocation ?? 0) > 0,
  'invalid-votes': (result) => {
    const proposed = new Set(result.trace!.flatMap((line) => [...line.matchAll(/ proposal r\d+ h\d+ ([0-9a-f]{8}) /g)].map((match) => match[1]!)));
    const faulty = result.faultyValidators[0]!;
    const votes = result.trace!.flatMap((line) => [...line.matchAll(new RegExp(` vote ${faulty} r\\d+ h\\d+ ([0-9a-f]{8})`, 'g'))].map((match) => match[1]!));
    return votes.length > 0 && votes.some((hash) => !proposed.has(hash));
  },
  'withhold-votes': (result) => !result.trace!.some((line) => line.includes(`deliver ${result.faultyValidators[0]}->`) && line.includes(` vote ${result.faultyValidators[0]} `)),
  'bad-signatures': (result) => (result.rejections['bad-signature'] ?? 0) > 0 && result.counters.dropped.undecodable > 0,
  'stale-messages': (result) => (result.rejections['stale-round'] ?? 0) > 0,
  'forking-leader': (result) => (result.rejections['safety-refused'] ?? 0) > 0,
  'invalid-proposals': (result) => ['application-rejected', 'bad-timestamp', 'timestamp-too-old', 'wrong-chain', 'oversized'].some((reason) => (result.rejections[reason] ?? 0) > 0),
  'forged-sync': (result) => result.counters.crashes > 0 && result.counters.restarts === result.counters.crashes,
  twins: (result) => result.trace!.some((line) => line.includes('+twin')) && result.faultyValidators.length === 1,
  'clock-skew': (result) => result.trace!.some((line) => / clocks v\d+ [+-]\d+ ms/.test(line)) && result.trace!.some((line) => line.endsWith(' clocks corrected')) && (result.rejections['bad-timestamp'] ?? 0) > 0,
  'consensus-store-lost': (result) => result.trace!.some((line) => / consensus store of v\d+ lost$/.test(line)) && result.counters.restarts > 0,
  'consensus-store-rolled-back': (result) => result.trace!.some((line) => / consensus store of v\d+ rolled back [1-9]\d* writes$/.test(line)) && result.counters.restarts > 0,
  'late-bodies': (result) =>
    result.trace!.some((line) => line.includes(' relays late: ')) && result.data.missingVerdicts > 0 && result.data.bodiesFetched > 0 && result.data.wantsCompleted > 0,
  'unknown-ids': (result) => result.data.unavailableProposals > 0 && result.data.missingVerdicts > 0 && result.data.unavailableFollowedByCommits > 0,
  'some-unknown-ids': (result) => result.data.unavailableProposals > 0 && result.data.missingVerdicts > 0 && result.data.unavailableFollowedByCommits > 0,
  mixed: (result) => result.faultyValidators.length === 1 && result.trace!.some((line) => line.includes(' links ')),
};

describe('every scenario kind', () => {
  it.each(SCENARIO_KINDS.map((kind, index) => [kind, index + 1] as const))('%s exercises its fault and stays safe and live (seed %i, n = 4)', (kind, seed) => {
    const result = runScenario({ seed, validators: 4, byzantine: 1, kind, trace: true });
    expect(result.kind).toBe(kind);
    expect(result.safetyViolations).toEqual([]);
    expect(result.livenessFailure).toBeNull();
    expect(result.commitsMin).toBeGreaterThan(0);
    expect(EXERCISED[kind](result)).toBe(true);
  });
});

describe('a restart replays commits its ledger had not executed', () => {
  // Found by a clock-skew sweep: v1 crashed with blocks 11-13 committed but waiting for bodies,
  // lost its consensus store, and its restarted core handed them over again. The checker once
  // called that a re-commit; it is a replay of what the lost process never executed.
  it('seed 1, consensus-store-lost, is safe and live', () => {
    for (const byzantine of [0, 1]) {
      const result = runScenario({ seed: 1, validators: 4, byzantine, kind: 'consensus-store-lost' });
      expect(result.safetyViolations).toEqual([]);
      expect(result.livenessFailure).toBeNull();
    }
  });
});
