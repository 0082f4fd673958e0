/**
 * The lower bound on block time (docs/consensus.md "Block time") never costs an honest block its
 * votes in the simulator: honest leaders stamp max(clock, parent's stamp), honest clocks agree
 * within clockSkewMaxMs, and timestampLagMaxMs is ten of those, so across every fault kind
 * without Byzantine validators (skewed clocks, late bodies, partitions, crashes) no honest
 * validator refuses a proposal as timestamp-too-old.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../tools/sim/run.js';
import { NETWORK_KINDS } from '../../../tools/sim/scenarios.js';
import { SIM_TIMINGS } from '../../../tools/sim/configuration.js';

describe('block timestamps in the simulator', () => {
  it('allow a lag well above twice the tolerated clock skew', () => {
    expect(SIM_TIMINGS.timestampLagMaxMs).toBeGreaterThan(2 * SIM_TIMINGS.clockSkewMaxMs);
  });

  it.each(NETWORK_KINDS.flatMap((kind) => [1, 2].map((seed) => [kind, seed] as const)))('%s (seed %i, n = 4): no honest proposal refused as too old', (kind, seed) => {
    const result = runScenario({ seed, validators: 4, byzantine: 0, kind });
    // Safety and liveness are the seed suites' to check; this run must only have made blocks.
    expect(result.commitsMin).toBeGreaterThan(0);
    expect(result.rejections['timestamp-too-old'] ?? 0).toBe(0);
  });
});
