/**
 * Part of the 300-seed simulation suite (n = 4, 7 and 10; issue 3), split across files so that
 * vitest runs them in parallel. Every seed must end with no safety violation and with every
 * honest validator committing new blocks after the faults heal, hand-overs to a new
 * validator-set epoch included.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, runSeeds } from '../../../tools/sim/run.js';
import { SCENARIO_KINDS } from '../../../tools/sim/scenarios.js';

describe('simulation with 7 validators and 2 Byzantine', () => {
  it('seeds 101 to 200: no safety violation, no liveness failure, every scenario kind', () => {
    const { summary, failures } = runSeeds({ firstSeed: 101, seeds: 100, validators: 7, byzantine: 2 });
    expect(failures.map((failure) => describeFailure(failure))).toEqual([]);
    expect(summary).toMatchObject({ seeds: 100, validators: 7, byzantine: 2, safetyViolations: 0, livenessFailures: 0, failingSeeds: [] });
    expect(Object.keys(summary.scenarios).sort()).toEqual([...SCENARIO_KINDS].sort());
    expect(summary.commitsMin).toBeGreaterThan(0);
    // About half the runs also hand over to a new validator-set epoch, most of them before the run ends.
    expect(summary.handOvers.completed).toBeGreaterThan(0);
  }, 900_000);
});
