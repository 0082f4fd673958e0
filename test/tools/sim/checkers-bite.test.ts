/**
 * The checkers must bite (issue 3): with the safe-to-vote rule switched off on the honest
 * validators (a test-only switch) and a forking leader among them, the simulator must find an
 * agreement violation within a bounded number of seeds; with the rule on, the same seeds are clean.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioResult } from '../../../tools/sim/run.js';

/** How many consecutive seeds the search may take. Seed 1 already forks for n = 4 and 7 today. */
const SEED_BOUND = 10;

function firstAgreementViolation(validators: number): ScenarioResult | null {
  const byzantine = Math.floor((validators - 1) / 3);
  for (let seed = 1; seed <= SEED_BOUND; seed++) {
    const result = runScenario({ seed, validators, byzantine, kind: 'forking-leader', unsafeTestSwitches: { skipSafeToVoteRule: true } });
    if (result.safetyViolations.some((violation) => violation.includes(' agreement: '))) return result;
  }
  return null;
}

describe('the checkers bite', () => {
  it.each([4, 7])('find an agreement violation within %i-validator runs of a forking leader when honest validators skip the safe-to-vote rule', (validators) => {
    const found = firstAgreementViolation(validators);
    expect(found, `no agreement violation within ${SEED_BOUND} seeds`).not.toBeNull();
    expect(found!.seed).toBeLessThanOrEqual(SEED_BOUND);
    expect(found!.safetyViolations[0]).toMatch(/agreement: v\d+ committed [0-9a-f]{12} at height \d+ but v\d+ committed [0-9a-f]{12}/);

    const control = runScenario({ seed: found!.seed, validators, byzantine: Math.floor((validators - 1) / 3), kind: 'forking-leader' });
    expect(control.safetyViolations).toEqual([]);
    expect(control.livenessFailure).toBeNull();
    expect(control.rejections['safety-refused'] ?? 0).toBeGreaterThan(0);
  });
});
